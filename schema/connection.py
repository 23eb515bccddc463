"""Relay cursor connections. The page is fetched only when edges, nodes or pageInfo are selected,
and the total only when totalCount is, so `{ posts { totalCount } }` runs a single COUNT."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import strawberry

from resolvers.pagination import Page

NodeT = TypeVar("NodeT")
T = TypeVar("T")


@strawberry.type(description="Where a page sits in the whole list (Relay cursor connections).")
class PageInfo:
    has_next_page: bool = strawberry.field(
        description="True when more items follow this page in the requested order."
    )
    has_previous_page: bool = strawberry.field(
        description="True when items precede this page (when paging forward: an `after` cursor "
        "was given)."
    )
    start_cursor: str | None = strawberry.field(description="Cursor of the first item, if any.")
    end_cursor: str | None = strawberry.field(description="Cursor of the last item, if any.")


PAGE_INFO_FIELDS = ("has_next_page", "has_previous_page", "start_cursor", "end_cursor")
"""PageInfo's fields: each is the `Page`'s attribute of the same name."""


@strawberry.type(description="An item in a connection, with the cursor that points at it.")
class Edge(Generic[NodeT]):
    cursor: str = strawberry.field(description="Opaque cursor; pass it as `after` or `before`.")
    node: NodeT = strawberry.field(description="The item.")


def shared_task(work: Awaitable[T]) -> "asyncio.Future[T]":
    """A task several fields await (through `asyncio.shield`): when one of them is cancelled,
    as graphql-core cancels the siblings of a field that failed, the task goes on for the
    others; its outcome is retrieved even when nobody awaits it any more."""
    task = asyncio.ensure_future(work)
    task.add_done_callback(_retrieve)
    return task


def _retrieve(task: "asyncio.Future[Any]") -> None:
    if not task.cancelled():
        task.exception()


class LazyPage:
    """Fetches a page once, however many of the connection's fields ask for it concurrently."""

    def __init__(self, fetch: Callable[[], Awaitable[Page[Any]]], to_node: Callable[[Any], Any]):
        self._fetch = fetch
        self._to_node = to_node
        self._task: asyncio.Future[tuple[list[Any], PageInfo]] | None = None
        self.loaded: Page[Any] | None = None  # the page, once fetched

    def get(self) -> "asyncio.Future[tuple[list[Any], PageInfo]]":
        if self._task is None:
            self._task = shared_task(self._load())
        return asyncio.shield(self._task)

    async def _load(self) -> tuple[list[Any], PageInfo]:
        page = self.loaded = await self._fetch()
        edges = [
            Edge(cursor=cursor, node=self._to_node(item))
            for item, cursor in zip(page.items, page.cursors, strict=True)
        ]
        info = PageInfo(**{name: getattr(page, name) for name in PAGE_INFO_FIELDS})
        return edges, info


@strawberry.type(description="A page of items in a stable, keyset-paginated list.")
class Connection(Generic[NodeT]):
    page: strawberry.Private[LazyPage]
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="The items of this page with their cursors.")
    async def edges(self) -> list[Edge[NodeT]]:
        edges, _ = await self.page.get()
        return edges

    @strawberry.field(description="The items of this page, without cursors.")
    async def nodes(self) -> list[NodeT]:
        edges, _ = await self.page.get()
        return [edge.node for edge in edges]

    @strawberry.field(description="Cursors and whether more pages exist in either direction.")
    async def page_info(self) -> PageInfo:
        _, info = await self.page.get()
        return info

    @strawberry.field(
        description="How many items match the filter across all pages (costs one COUNT query)."
    )
    async def total_count(self) -> int:
        return await self.count()
