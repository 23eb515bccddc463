"""The Query root: what readers, editors and admins can ask for."""

from typing import Annotated

import strawberry
from strawberry import relay

from models import Author as AuthorModel
from models import Tag as TagModel
from resolvers import named, posts, previews
from resolvers.errors import BadUserInput
from resolvers.named import NamedQuery
from resolvers.pagination import PageRequest, check_cursors
from schema.accounts import AccountQueries
from schema.arguments import (
    After,
    Before,
    First,
    IdArg,
    Last,
    NameFilterArg,
    NameOrderArg,
    PostFilterArg,
    PostOrderArg,
    SearchArg,
    SlugArg,
)
from schema.author import Author
from schema.connection import Connection, LazyPage
from schema.context import Info
from schema.inputs import NameFilter, NameOrder, name_filter, name_order
from schema.node import MAX_NODES, parse_id, resolve_node, resolve_nodes
from schema.post import Post, PostConnection, post_connection
from schema.publication import PublicationQueries
from schema.site import SiteQueries
from schema.sync import SyncQueries
from schema.tag import Tag
from schema.viewer import Viewer
from schema.webhook import WebhookQueries

PreviewTokenArg = Annotated[
    str | None,
    strawberry.argument(
        description="A token from `createPreviewLink` (instead of `id` or `slug`)."
    ),
]


def _one_of(id: str | None, slug: str | None, **others: str | None) -> None:
    """Exactly one of `id`, `slug` and the lookup's other arguments (named in camelCase)."""
    given = [value for value in (id, slug, *others.values()) if value is not None]
    if len(given) != 1:
        alternatives = "".join(f" (or `{name}`)" for name in others)
        raise BadUserInput(f"Give exactly one of `id` or `slug`{alternatives}.", field="id")


def _named_connection(
    info: Info,
    entity: type[AuthorModel] | type[TagModel],
    to_node: type[Author] | type[Tag],
    *,
    filter: NameFilter | None,
    order_by: NameOrder | None,
    request: PageRequest,
) -> Connection:  # type: ignore[type-arg]
    ctx = info.context
    field, descending = name_order(order_by)
    query = NamedQuery(
        entity=entity, filter=name_filter(filter), order_by=field, descending=descending
    )
    check_cursors(request, ordering=query.ordering(ctx), codec=query.codec(ctx))
    return Connection(
        page=LazyPage(lambda: named.list_named(ctx, query=query, page=request), to_node.from_model),
        count=lambda: named.count_named(ctx, query=query),
    )


@strawberry.type(description="Read published posts, their authors and tags.")
class Query(AccountQueries, PublicationQueries, SiteQueries, SyncQueries, WebhookQueries):
    node: relay.Node | None = strawberry.field(
        resolver=resolve_node,
        description="Fetch any post, author, tag or publication by its global ID.",
    )
    nodes: list[relay.Node | None] = strawberry.field(
        resolver=resolve_nodes,
        description=f"Fetch up to {MAX_NODES} objects by global ID, in order; null if not found.",
    )

    @strawberry.field(description="Who the request's bearer token belongs to; null when anonymous.")
    def viewer(self, info: Info) -> Viewer | None:
        viewer = info.context.viewer
        return Viewer.from_model(viewer) if viewer is not None else None

    @strawberry.field(
        description="Live posts, newest first unless `orderBy` says otherwise; editors list "
        "drafts and scheduled posts with `filter: { status: [...] }`."
    )
    async def posts(
        self,
        info: Info,
        filter: PostFilterArg = None,
        order_by: PostOrderArg = None,
        search: SearchArg = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> PostConnection:
        return await post_connection(
            info,
            filter=filter,
            order_by=order_by,
            search=search,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @strawberry.field(
        description="One post by ID, slug or preview token; null when there is none you may "
        "read. Readers see live posts, editors also the drafts and scheduled posts their role "
        "allows; a preview token shows its post to anyone (an expired one is an error)."
    )
    async def post(
        self,
        info: Info,
        id: IdArg = None,
        slug: SlugArg = None,
        preview_token: PreviewTokenArg = None,
    ) -> Post | None:
        _one_of(id, slug, previewToken=preview_token)
        if preview_token is not None:
            model = await previews.previewed_post(info.context, token=preview_token)
        else:
            row_id = parse_id(id, expected="Post")[1] if id is not None else None
            model = await posts.get_post(info.context, post_id=row_id, slug=slug)
        return Post.from_model(model) if model else None

    @strawberry.field(description="Authors, by name unless `orderBy` says otherwise.")
    def authors(
        self,
        info: Info,
        filter: NameFilterArg = None,
        order_by: NameOrderArg = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Author]:
        request = PageRequest(first=first, after=after, last=last, before=before)
        return _named_connection(
            info, AuthorModel, Author, filter=filter, order_by=order_by, request=request
        )

    @strawberry.field(description="One author by ID or slug; null when there is none.")
    async def author(self, info: Info, id: IdArg = None, slug: SlugArg = None) -> Author | None:
        _one_of(id, slug)
        row_id = parse_id(id, expected="Author")[1] if id is not None else None
        model = await named.get_author(info.context, author_id=row_id, slug=slug)
        return Author.from_model(model) if model else None

    @strawberry.field(description="Public tags, by name unless `orderBy` says otherwise.")
    def tags(
        self,
        info: Info,
        filter: NameFilterArg = None,
        order_by: NameOrderArg = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Tag]:
        request = PageRequest(first=first, after=after, last=last, before=before)
        return _named_connection(
            info, TagModel, Tag, filter=filter, order_by=order_by, request=request
        )

    @strawberry.field(description="One public tag by ID or slug; null when there is none.")
    async def tag(self, info: Info, id: IdArg = None, slug: SlugArg = None) -> Tag | None:
        _one_of(id, slug)
        row_id = parse_id(id, expected="Tag")[1] if id is not None else None
        model = await named.get_tag(info.context, tag_id=row_id, slug=slug)
        return Tag.from_model(model) if model else None
