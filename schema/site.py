"""The site's settings: the `site` query and `updateSite`."""

from typing import Annotated, Any

import strawberry

from models import Site as SiteModel
from resolvers import site as settings
from resolvers.fields import SITE
from schema.context import Info
from schema.editing import EditError, VersionArg, run, sent_values
from schema.stored import StoredType, stored


@strawberry.type(description="A link of the site's navigation.")
class NavigationItem:
    label: str = strawberry.field(description='What the link reads, e.g. "Engineering culture".')
    url: str = strawberry.field(description="An absolute URL, or a path on the site (/about/).")


@strawberry.type(description="A profile of the site elsewhere.")
class SocialLink:
    network: str = strawberry.field(description='Where, e.g. "mastodon", "linkedin".')
    url: str = strawberry.field(description="The profile's absolute URL.")


@strawberry.type(description="The site itself: what a frontend's header and footer show.")
@stored(SITE)
class Site(StoredType):
    languages: list[str] = strawberry.field(
        description="The languages the site publishes in (BCP 47); the first is the default."
    )
    navigation: list[NavigationItem] = strawberry.field(description="The main navigation.")
    secondary_navigation: list[NavigationItem] = strawberry.field(
        description="The secondary navigation (a footer's links)."
    )
    social_links: list[SocialLink] = strawberry.field(description="Profiles elsewhere.")

    @classmethod
    def of(cls, model: SiteModel) -> "Site":
        return cls.from_model(
            model,
            languages=list(model.languages),
            navigation=[NavigationItem(**item) for item in model.navigation],
            secondary_navigation=[NavigationItem(**item) for item in model.secondary_navigation],
            social_links=[SocialLink(**item) for item in model.social_links],
        )


@strawberry.input(description="A link of the site's navigation.")
class NavigationItemInput:
    label: str = strawberry.field(description="What the link reads, 1 to 100 characters.")
    url: str = strawberry.field(description="An absolute http(s) URL, or a path such as /about/.")


@strawberry.input(description="A profile of the site elsewhere.")
class SocialLinkInput:
    network: str = strawberry.field(description="Where, 1 to 100 characters.")
    url: str = strawberry.field(description="The profile's absolute http(s) URL.")


@strawberry.input(
    description="Changes to the site's settings. Fields left out stay as they are; a field sent "
    "as null is cleared (the title cannot be; send [] to empty a list)."
)
class UpdateSiteInput:
    title: str | None = strawberry.field(default=strawberry.UNSET, description="The name.")
    description: str | None = strawberry.field(
        default=strawberry.UNSET, description="A tagline, up to 500 characters."
    )
    url: str | None = strawberry.field(
        default=strawberry.UNSET, description="The public site's http(s) address."
    )
    logo_url: str | None = strawberry.field(default=strawberry.UNSET, description="The logo.")
    icon_url: str | None = strawberry.field(default=strawberry.UNSET, description="The icon.")
    accent_color: str | None = strawberry.field(default=strawberry.UNSET, description="#RRGGBB.")
    languages: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="1 to 20 BCP 47 codes; the first is the default."
    )
    navigation: list[NavigationItemInput] | None = strawberry.field(
        default=strawberry.UNSET, description="The main navigation, up to 50 links."
    )
    secondary_navigation: list[NavigationItemInput] | None = strawberry.field(
        default=strawberry.UNSET, description="The secondary navigation, up to 50 links."
    )
    social_links: list[SocialLinkInput] | None = strawberry.field(
        default=strawberry.UNSET, description="Profiles elsewhere, up to 50."
    )


@strawberry.type(description="The result of `updateSite`.")
class SitePayload:
    site: Site | None = strawberry.field(description="The settings after the change.")
    errors: list[EditError] = strawberry.field(description="Why nothing changed, if so.")


def _values(input: UpdateSiteInput) -> dict[str, Any]:
    values = sent_values(input, settings.EDITABLE)
    for column in settings.LISTS:
        sent = getattr(input, column)
        if sent is strawberry.UNSET:
            continue
        values[column] = (
            None
            if sent is None
            else [item if isinstance(item, str) else dict(vars(item)) for item in sent]
        )
    return values


@strawberry.type
class SiteQueries:
    @strawberry.field(description="The site's settings: name, address, images, navigation.")
    async def site(self, info: Info) -> Site:
        return Site.of(await settings.read_site(info.context))


@strawberry.type
class SiteMutations:
    @strawberry.mutation(description="Change the site's settings (admins only).")
    async def update_site(
        self,
        info: Info,
        version: VersionArg,
        input: Annotated[UpdateSiteInput, strawberry.argument(description="The changes.")],
    ) -> SitePayload:
        written, errors = await run(
            info,
            lambda session, viewer: settings.update_site(
                session, viewer=viewer, version=version, values=_values(input), now=info.context.now
            ),
        )
        return SitePayload(site=Site.of(written) if written else None, errors=errors)
