"""Argument types with their descriptions, shared by every connection field."""

from typing import Annotated, TypeAlias

import strawberry

from resolvers.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from schema.inputs import NameFilter, NameOrder, PostFilter, PostOrder

First: TypeAlias = Annotated[
    int | None,
    strawberry.argument(
        description=f"Page size going forward, 1 to {MAX_PAGE_SIZE} "
        f"(default {DEFAULT_PAGE_SIZE}). Not with `last`."
    ),
]
After: TypeAlias = Annotated[
    str | None, strawberry.argument(description="Return items after this cursor.")
]
Last: TypeAlias = Annotated[
    int | None,
    strawberry.argument(
        description=f"Page size going backward, 1 to {MAX_PAGE_SIZE}. Not with `first`."
    ),
]
Before: TypeAlias = Annotated[
    str | None, strawberry.argument(description="Return items before this cursor.")
]
PostFilterArg: TypeAlias = Annotated[
    PostFilter | None, strawberry.argument(description="Only posts matching this filter.")
]
SearchArg: TypeAlias = Annotated[
    str | None,
    strawberry.argument(
        description="Full-text search: every word must match (the last also as a prefix, for "
        'search as you type); "quoted words" match as a phrase; -word excludes. Stemmed in each '
        "post's language, case- and accent-insensitive. Orders by RELEVANCE unless `orderBy` "
        "says otherwise."
    ),
]
PostOrderArg: TypeAlias = Annotated[
    PostOrder | None, strawberry.argument(description="Sort order; newest first by default.")
]
NameFilterArg: TypeAlias = Annotated[
    NameFilter | None, strawberry.argument(description="Only items matching this filter.")
]
NameOrderArg: TypeAlias = Annotated[
    NameOrder | None, strawberry.argument(description="Sort order; by name by default.")
]
IdArg: TypeAlias = Annotated[
    strawberry.ID | None, strawberry.argument(description="Global ID (give this or `slug`).")
]
SlugArg: TypeAlias = Annotated[
    str | None, strawberry.argument(description="Slug (give this or `id`).")
]
