"""Relay object identification: opaque global IDs resolved to posts, authors, tags and
publications."""

import asyncio
from typing import Annotated, Any

import strawberry
from strawberry import relay
from strawberry.relay import GlobalID, GlobalIDValueError

from resolvers.errors import BadUserInput
from resolvers.fields import global_id
from schema.author import Author
from schema.context import Info
from schema.post import Post
from schema.publication import Publication
from schema.tag import Tag

MAX_NODES = 100
MAX_ROW_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL

_TYPES: dict[str, Any] = {"Post": Post, "Author": Author, "Tag": Tag, "Publication": Publication}


def encode_id(type_name: str, row_id: int) -> strawberry.ID:
    """The opaque ID of an object that is not a Node (a revision, a token, an account)."""
    return strawberry.ID(global_id(type_name, row_id))


def parse_id(value: str, *, expected: str | None = None, argument: str = "id") -> tuple[str, int]:
    """(type name, database id) from a global ID, or a BAD_USER_INPUT error naming `argument`.
    Without `expected`, only the IDs of Nodes are accepted."""
    try:
        global_id = GlobalID.from_id(value)
        type_name, row_id = global_id.type_name, int(global_id.node_id)
    except (GlobalIDValueError, ValueError):
        raise BadUserInput(f"`{argument}` is not a valid ID: {value!r}.", field=argument) from None
    if not 1 <= row_id <= MAX_ROW_ID:
        raise BadUserInput(f"`{argument}` is not a valid ID: {value!r}.", field=argument)
    if type_name != expected if expected is not None else type_name not in _TYPES:
        wanted = expected or "Post, Author, Tag or Publication"
        raise BadUserInput(f"`{argument}` is not the ID of a {wanted}.", field=argument)
    return type_name, row_id


async def load_node(info: Info, type_name: str, row_id: int) -> relay.Node | None:
    loaders = info.context.loaders
    if type_name == "Post":
        post = await loaders.post_by_id.load(row_id)
        return Post.from_model(post) if post else None
    if type_name == "Author":
        author = await loaders.author_by_id.load(row_id)
        return Author.from_model(author) if author else None
    if type_name == "Publication":
        publication = await loaders.publication_by_id.load(row_id)
        return Publication.from_model(publication) if publication else None
    tag = await loaders.tag_by_id.load(row_id)
    return Tag.from_model(tag) if tag else None


async def resolve_node(
    info: Info,
    id: Annotated[strawberry.ID, strawberry.argument(description="A global ID.")],
) -> relay.Node | None:
    return await load_node(info, *parse_id(id))


async def resolve_nodes(
    info: Info,
    ids: Annotated[
        list[strawberry.ID], strawberry.argument(description=f"Up to {MAX_NODES} global IDs.")
    ],
) -> list[relay.Node | None]:
    """The objects in order; a malformed ID gives null at its position and an error whose path
    ends with that position (graphql-core reports an exception returned as a list item there),
    so one bad ID does not cost the others."""
    if len(ids) > MAX_NODES:
        raise BadUserInput(f"`ids` takes at most {MAX_NODES} IDs; got {len(ids)}.", field="ids")

    async def node(value: str) -> relay.Node | BadUserInput | None:
        try:
            kind, row_id = parse_id(value, argument="ids")
        except BadUserInput as error:
            return error
        return await load_node(info, kind, row_id)

    found = await asyncio.gather(*(node(value) for value in ids))
    return found  # type: ignore[return-value]  # errors stand in for their items
