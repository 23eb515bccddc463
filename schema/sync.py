"""The sync feed (see resolvers.sync): `sync(after:, first:)` and what its pages hold."""

from enum import Enum
from typing import Annotated

import strawberry

from models import Author as AuthorModel
from models import Post as PostModel
from resolvers import sync
from resolvers.errors import BadUserInput
from resolvers.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from schema.author import Author
from schema.context import Info
from schema.node import encode_id
from schema.post import Post
from schema.tag import Tag

MAX_LANGUAGES = 20


@strawberry.enum(description="The kinds of objects the sync feed carries.")
class SyncType(Enum):
    POST = strawberry.enum_value("post", description="Posts.")
    AUTHOR = strawberry.enum_value("author", description="Authors.")
    TAG = strawberry.enum_value("tag", description="Tags.")


TYPE_NAMES = {"post": "Post", "author": "Author", "tag": "Tag"}


@strawberry.type(
    description="An object you can no longer see (deleted, unpublished, made internal, merged "
    "away): remove your copy. One may come for an object you never had."
)
class Tombstone:
    id: strawberry.ID = strawberry.field(description="The object's global ID.")
    type: SyncType = strawberry.field(description="What kind of object it was.")


SyncItem = Annotated[
    Post | Author | Tag | Tombstone,
    strawberry.union(
        "SyncItem", description="An object in its latest state (keep it), or a Tombstone."
    ),
]


@strawberry.type(description="A page of the sync feed.")
class SyncPage:
    items: list[SyncItem] = strawberry.field(
        description="Apply them in order: objects replace your copy, Tombstones remove it."
    )
    cursor: str = strawberry.field(
        description="Pass it as `after` next time (keep it with your copy of the data)."
    )
    has_more: bool = strawberry.field(
        description="True: ask again at once with `cursor`. False: you are up to date; ask "
        "again with `cursor` later."
    )


@strawberry.type
class SyncQueries:
    @strawberry.field(
        description="What changed, for apps that keep a copy of the content. Without `after`: "
        "everything you may see, page by page (posts, then authors, then tags). With `after`: "
        "each object changed since, once, in its latest state, or a Tombstone when you can no "
        "longer see it. A cursor older than the retention gets SYNC_EXPIRED: start again "
        "without `after`."
    )
    async def sync(
        self,
        info: Info,
        after: Annotated[
            str | None,
            strawberry.argument(description="The `cursor` of your last page; none to start."),
        ] = None,
        first: Annotated[
            int | None,
            strawberry.argument(
                description=f"Items per page, 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE})."
            ),
        ] = None,
        types: Annotated[
            list[SyncType] | None,
            strawberry.argument(description="Only these kinds (default: all)."),
        ] = None,
        languages: Annotated[
            list[str] | None,
            strawberry.argument(
                description=f"Only posts in these languages (up to {MAX_LANGUAGES}); authors "
                "and tags are not filtered."
            ),
        ] = None,
    ) -> SyncPage:
        size = DEFAULT_PAGE_SIZE if first is None else first
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise BadUserInput(f"`first` must be 1 to {MAX_PAGE_SIZE}.", field="first")
        if languages is not None and (
            len(languages) > MAX_LANGUAGES or any(not 0 < len(code) <= 35 for code in languages)
        ):
            raise BadUserInput(
                f"`languages` takes up to {MAX_LANGUAGES} language codes.", field="languages"
            )
        chosen = {kind.value for kind in types} if types else set(sync.KINDS)
        filter = sync.SyncFilter(
            kinds=tuple(kind for kind in sync.KINDS if kind in chosen),
            languages=tuple(sorted(set(languages))) if languages is not None else None,
        )
        page = await sync.sync(info.context, after=after, first=size, filter=filter)
        return SyncPage(
            items=[_item(found) for found in page.items],
            cursor=page.cursor,
            has_more=page.has_more,
        )


def _item(found: object) -> Post | Author | Tag | Tombstone:
    if isinstance(found, sync.Removed):
        return Tombstone(id=encode_id(TYPE_NAMES[found.kind], found.id), type=SyncType(found.kind))
    if isinstance(found, PostModel):
        return Post.from_model(found)
    if isinstance(found, AuthorModel):
        return Author.from_model(found)
    return Tag.from_model(found)
