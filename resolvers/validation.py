"""Checks shared by the editing modules: required fields, lengths, slugs, language codes and
URLs, every failure named by its camelCase input field; and unique slugs."""

import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from resolvers.content import slugify
from resolvers.errors import Rejected
from resolvers.fields import Field

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
LANGUAGE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")


def problems(
    values: dict[str, Any], fields: tuple[Field, ...], *, creating: bool
) -> list[tuple[str, str]]:
    """Every (input field, message) failure of `values` (keyed by column) against the editable
    `fields` of one type's description."""
    found: list[tuple[str, str]] = []
    for entry in fields:
        name = entry.input or entry.name
        present = entry.column in values
        value = values.get(entry.column)
        if entry.required and ((creating and not present) or (present and value is None)):
            found.append((name, f"`{name}` is required."))
        if not isinstance(value, str):
            continue
        if entry.limit is not None and len(value) > entry.limit:
            found.append((name, f"`{name}` is limited to {entry.limit} characters."))
        if entry.not_blank and not value.strip():
            found.append((name, f"`{name}` must not be blank."))
        if entry.check is not None and not CHECKS[entry.check][0](value):
            found.append((name, CHECKS[entry.check][1].format(name=name)))
    return found


def reject(found: list[tuple[str, str]]) -> None:
    """Raise every failure at once, if there is any."""
    if found:
        raise Rejected.invalid(found)


def is_web_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in url


CHECKS: dict[str, tuple[Callable[[str], bool], str]] = {
    "slug": (
        lambda value: SLUG.fullmatch(value) is not None,
        "Slugs use lowercase letters, digits and single hyphens.",
    ),
    "language": (
        lambda value: LANGUAGE.fullmatch(value) is not None,
        "`{name}` must be a BCP 47 code such as en or pt-BR.",
    ),
    "url": (is_web_url, "`{name}` must be an http or https URL."),
    "color": (
        lambda value: re.fullmatch(r"#[0-9A-Fa-f]{6}", value) is not None,
        "`{name}` must be a colour as #RRGGBB.",
    ),
}


async def unique_slug(
    wanted: str | None,
    source: str,
    *,
    taken: Callable[[str], Awaitable[bool]],
    fallback: str,
    length: int,
) -> str:
    """`wanted` if it is free (refused otherwise); else `source`'s slug, cut to `length` and
    numbered until it is free."""
    if wanted is not None:
        if await taken(wanted):
            raise Rejected("invalid", f"The slug {wanted!r} is taken.", field="slug")
        return wanted
    base = slugify(source)[:length] or fallback
    candidate, number = base, 1
    while await taken(candidate):
        number += 1
        candidate = f"{base}-{number}"
    return candidate
