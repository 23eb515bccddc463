"""The site's settings: read by anyone (a frontend's header and footer), changed by admins with
a version, like every other write, and told as a `site.updated` event."""

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from models import SITE_ID, EditorRole, Site
from resolvers import events, validation
from resolvers.accounts import Viewer
from resolvers.errors import Rejected
from resolvers.fields import SITE

if TYPE_CHECKING:
    from resolvers.context import Context

EDITABLE = SITE.editable()
MAX_LANGUAGES = 20
MAX_LINKS = 50
LISTS = {
    "languages": "languages",
    "navigation": "navigation",
    "secondary_navigation": "secondaryNavigation",
    "social_links": "socialLinks",
}
"""The settings that are lists, by column: their GraphQL names."""


async def read_site(ctx: "Context") -> Site:
    ctx.request.read_keys.listed("site")
    async with ctx.reader() as session:
        site = await session.get(Site, SITE_ID)
    assert site is not None, "the migrations make the site's row"
    return site


async def update_site(
    session: AsyncSession, *, viewer: Viewer, version: int, values: dict[str, Any], now: datetime
) -> Site:
    """Change the settings `values` names (columns; None clears) if the site is still at
    `version`. Admins only."""
    if viewer.role is not EditorRole.ADMIN:
        raise Rejected("forbidden", "Only admins change the site's settings.")
    validation.reject(problems(values))
    site = await session.get(Site, SITE_ID)
    assert site is not None, "the migrations make the site's row"
    changed = [column for column, value in values.items() if getattr(site, column) != value]
    result = await session.execute(
        update(Site)
        .where(Site.id == SITE_ID, Site.version == version)
        .values(**values, version=Site.version + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        await session.refresh(site)
        raise Rejected(
            "conflict",
            f"The site's settings changed since version {version}; they are at version "
            f"{site.version} now. Reload them, reapply your change and save again.",
            field="version",
            current_version=site.version,
        )
    await session.refresh(site)
    await events.record(session, [site_event(site, [field_name(c) for c in changed])], now)
    return site


def field_name(column: str) -> str:
    """A setting's GraphQL name (`social_links` -> `socialLinks`)."""
    return LISTS.get(column) or SITE.name_of(column)


def site_event(site: Site, changed: list[str]) -> events.Event:
    return events.Event(
        "site.updated",
        "site",
        SITE_ID,
        {
            "changedFields": sorted(changed),
            "visible": True,
            "wasVisible": True,
            "cacheKeys": ["site"],
        },
    )


def problems(values: dict[str, Any]) -> list[tuple[str, str]]:
    """Every (input field, message) failure of the settings in `values`, the lists' included."""
    found = validation.problems(values, EDITABLE, creating=False)
    if "languages" in values:
        found += _languages(values["languages"])
    for column, name in (
        ("navigation", "navigation"),
        ("secondary_navigation", "secondaryNavigation"),
    ):
        if column in values:
            found += _links(values[column], name, "label", internal=True)
    if "social_links" in values:
        found += _links(values["social_links"], "socialLinks", "network", internal=False)
    return found


def _languages(languages: list[str] | None) -> list[tuple[str, str]]:
    if not languages:
        return [("languages", "Give at least one language; the first is the default.")]
    if len(languages) > MAX_LANGUAGES:
        return [("languages", f"Give at most {MAX_LANGUAGES} languages.")]
    found = [
        ("languages", f"Language {index + 1} is not a BCP 47 code such as en or pt-BR.")
        for index, code in enumerate(languages)
        if not validation.LANGUAGE.fullmatch(code) or len(code) > 35
    ]
    if len(set(languages)) != len(languages):
        found.append(("languages", "Each language once."))
    return found


def _links(
    links: list[dict[str, str]] | None, name: str, text: str, *, internal: bool
) -> list[tuple[str, str]]:
    if links is None:
        return [(name, f"`{name}` cannot be null; send [] for none.")]
    if len(links) > MAX_LINKS:
        return [(name, f"Give at most {MAX_LINKS} links.")]
    found = []
    for index, link in enumerate(links):
        label = link.get(text) or ""
        if not label.strip() or len(label) > 100:
            found.append((f"{name}[{index}].{text}", f"`{text}` needs 1 to 100 characters."))
        url = link.get("url") or ""
        path = internal and url.startswith("/") and not url.startswith("//") and " " not in url
        if len(url) > 2_000 or not (path or validation.is_web_url(url)):
            where = "an http or https URL" + (
                ", or a path on the site such as /about/" if internal else ""
            )
            found.append((f"{name}[{index}].url", f"`url` must be {where}."))
    return found
