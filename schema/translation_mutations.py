"""Linking a post to its translations, and unlinking it."""

from typing import Annotated

import strawberry

from resolvers import translations
from schema.context import Info
from schema.editing import VersionArg
from schema.node import parse_id
from schema.post_mutations import IdArg, PostPayload, run_post_write


@strawberry.type
class TranslationMutations:
    @strawberry.mutation(
        description="Make a post a translation of another: it joins the other post's "
        "translations (leaving any it had), at most one post per language. Needs permission to "
        "change the post `id` only."
    )
    async def link_translation(
        self,
        info: Info,
        id: IdArg,
        version: VersionArg,
        translation_of: Annotated[
            strawberry.ID,
            strawberry.argument(description="The global ID of a post in another language."),
        ],
    ) -> PostPayload:
        post_id = parse_id(id, expected="Post")[1]
        other_id = parse_id(translation_of, expected="Post", argument="translationOf")[1]
        return await run_post_write(
            info,
            lambda session, viewer: translations.link_translation(
                session,
                viewer=viewer,
                post_id=post_id,
                version=version,
                translation_of=other_id,
                now=info.context.now,
            ),
        )

    @strawberry.mutation(
        description="Take a post out of its translations; the others stay linked together."
    )
    async def unlink_translation(self, info: Info, id: IdArg, version: VersionArg) -> PostPayload:
        post_id = parse_id(id, expected="Post")[1]
        return await run_post_write(
            info,
            lambda session, viewer: translations.unlink_translation(
                session, viewer=viewer, post_id=post_id, version=version, now=info.context.now
            ),
        )
