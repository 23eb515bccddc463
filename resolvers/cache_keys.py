"""Cache keys: the names of what a response shows, so that a write purges exactly the cached
responses (Quire's own, a CDN's) that showed what it changed.

A key is an object's (`post:12`, `tag:3`, `author:5`) or a list's (`posts`, `tags`, `authors`);
the site's settings, of which there is one, are `site`.
A response read with a request carries a key for every object it read by id or slug, and the
list key of every set it read by a condition (a page, a count, a facet, a post's translations):
those sets can gain or lose members with no change to the members it showed. A lookup that
found nothing carries what would make it find something: the object's key for an id, the list
key for a slug.

A write's event carries the changed object's key and the list key of its kind; tag and author
events also carry `posts`, whose lists show tag names and bylines. So an object key can always
be replaced by its list key without missing a purge: `collapsed` does so when a header would
be too long.
"""

from collections.abc import Iterable, Sequence

KINDS = ("post", "tag", "author", "publication")
SINGLE = frozenset({"site"})
"""What there is one of: its key is its name (`site`), read and purged as a list's."""


def object_key(kind: str, object_id: int) -> str:
    return f"{kind}:{object_id}"


def list_key(kind: str) -> str:
    return kind if kind in SINGLE else f"{kind}s"


def of_change(kind: str, object_id: int) -> list[str]:
    """What a write of the object purges: its own key and the key of every list it may appear
    in. Tag names and bylines show in lists of posts, so tags and authors purge those too."""
    own = [object_key(kind, object_id), list_key(kind)]
    return own if kind == "post" else [*own, list_key("post")]


class ReadKeys:
    """The keys of one request's reads (kept on its `RequestState`): object ids by kind, and
    kinds read as lists. Names are made once, by `names`, when the answer is complete."""

    __slots__ = ("ids", "lists")

    def __init__(self) -> None:
        self.ids: dict[str, set[int]] = {kind: set() for kind in KINDS}
        self.lists: set[str] = set()

    def objects(self, kind: str, ids: Iterable[int]) -> None:
        self.ids[kind].update(ids)

    def listed(self, kind: str) -> None:
        """A set of `kind` chosen by a condition was read."""
        self.lists.add(kind)

    def looked_up(self, kind: str, found: int | None, *, by_id: int | None = None) -> None:
        """One object looked up by id (`by_id`) or slug, and the id of what was `found`."""
        if found is not None:
            self.ids[kind].add(found)
        elif by_id is not None:
            self.ids[kind].add(by_id)
        else:
            self.lists.add(kind)

    def names(self, *, lists: bool = True) -> list[str]:
        """Every key, by kind and id (without the list keys unless `lists`)."""
        found = [list_key(kind) for kind in sorted(self.lists)] if lists else []
        for kind in KINDS:
            found += [f"{kind}:{object_id}" for object_id in sorted(self.ids[kind])]
        return found


def collapsed(keys: Sequence[str], *, max_chars: int) -> Sequence[str]:
    """`keys` in at most about `max_chars` (joined by one character): beyond that, the object
    keys of the kinds with the most of them give way to their list keys."""
    if sum(map(len, keys)) + len(keys) <= max_chars:
        return keys
    kept = set(keys)
    while sum(len(key) + 1 for key in kept) > max_chars:
        by_kind = {kind: [key for key in kept if key.startswith(f"{kind}:")] for kind in KINDS}
        kind, members = max(by_kind.items(), key=lambda item: len(item[1]))
        if not members:
            break
        kept.difference_update(members)
        kept.add(list_key(kind))
    return sorted(kept)
