"""What a search adds to a post's edge: where its words were found (resolvers.search_text)."""

from collections.abc import Callable
from typing import Any

import strawberry

from resolvers.content import plain_text
from resolvers.search_text import Highlighted, SearchQuery, highlight, snippet

HIGHLIGHT_COLUMNS = frozenset({"title", "summary", "excerpt", "html", "language"})
"""The post's columns its highlights read (a model's, or a row's that has them)."""


def title_highlighted(post: Any, query: SearchQuery) -> Highlighted:
    return highlight(post.title, query, post.language)


def summary_highlighted(post: Any, query: SearchQuery) -> Highlighted | None:
    """The summary's, or the excerpt's when there is none; None when neither."""
    summary = post.summary or post.excerpt
    return None if summary is None else highlight(summary, query, post.language)


def body_snippet(post: Any, query: SearchQuery) -> Highlighted:
    return snippet(plain_text(post.html), query, post.language)


HIGHLIGHTED: dict[str, Callable[[Any, SearchQuery], Highlighted | None]] = {
    "title": title_highlighted,
    "summary": summary_highlighted,
    "snippet": body_snippet,
}
"""PostHighlights' fields, each from the post and the search."""


@strawberry.type(
    description="A range of a text: `start` and `length` in UTF-16 code units, as JavaScript "
    "strings, Swift's NSString and Kotlin index them."
)
class TextRange:
    start: int = strawberry.field(description="Where the range starts (0: the first unit).")
    length: int = strawberry.field(description="How long it is.")


@strawberry.type(
    description="Plain text (no markup) and the ranges where the search's words are in it, for "
    "the frontend to mark."
)
class HighlightedText:
    text: str = strawberry.field(description="The text, plain.")
    matches: list[TextRange] = strawberry.field(
        description="The ranges of the words the search found, in order."
    )

    @classmethod
    def of(cls, found: Highlighted) -> "HighlightedText":
        return cls(
            text=found.text, matches=[TextRange(start=s, length=n) for s, n in found.matches]
        )


@strawberry.type(description="Where a search's words are in a post.")
class PostHighlights:
    title: HighlightedText = strawberry.field(description="The title.")
    summary: HighlightedText | None = strawberry.field(
        description="The summary, or the excerpt when there is none; null when neither."
    )
    snippet: HighlightedText = strawberry.field(
        description="About 24 words of the body around its first match, with … where cut."
    )
