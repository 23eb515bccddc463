"""Reading other systems' export files (Ghost's JSON, WordPress's WXR) into what
`resolvers.imports` writes, and Quire's own (`quire export`) back."""

from collections.abc import Callable, Iterator
from typing import IO, Any

import ijson


class UnreadableExport(Exception):
    """The file is not the export it was given as: nothing is written."""


def json_items(
    stream: IO[bytes], prefix: str, progress: Callable[[int], Any] | None = None
) -> Iterator[Any]:
    """The values at `prefix` (ijson's path, e.g. `posts.item`), one at a time, telling
    `progress` how far into the file it has read."""
    try:
        for item in ijson.items(stream, prefix, use_float=True):
            if progress is not None:
                progress(stream.tell())
            yield item
    except ijson.JSONError as error:
        raise UnreadableExport(f"the file is not valid JSON ({error})") from None
