"""Checks shared by the editing modules: required fields, lengths, slugs, language codes and
URLs, every failure named by its camelCase input field; and unique slugs."""

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from resolvers.content import slugify
from resolvers.errors import Rejected

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
LANGUAGE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")


@dataclass(frozen=True)
class Rules:
    """How the editable fields of one kind of object are checked (model column names)."""

    limits: dict[str, int | None]  # every editable field, and its length limit if any
    required: tuple[str, ...] = ()  # needed on create, and never cleared
    not_blank: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()


def problems(values: dict[str, Any], rules: Rules, *, creating: bool) -> list[tuple[str, str]]:
    """Every (column, message) failure of `values`; `slug`, when present, must be a slug."""
    found: list[tuple[str, str]] = []
    for name in rules.required:
        if (creating and name not in values) or (name in values and values[name] is None):
            found.append((name, f"`{name}` is required."))
    for name, limit in rules.limits.items():
        value = values.get(name)
        if isinstance(value, str) and limit is not None and len(value) > limit:
            found.append((name, f"`{name}` is limited to {limit} characters."))
    for name in rules.not_blank:
        value = values.get(name)
        if isinstance(value, str) and not value.strip():
            found.append((name, f"`{name}` must not be blank."))
    slug = values.get("slug")
    if slug is not None and not SLUG.fullmatch(slug):
        found.append(("slug", "Slugs use lowercase letters, digits and single hyphens."))
    for name in rules.languages:
        language = values.get(name)
        if language is not None and not LANGUAGE.fullmatch(language):
            found.append((name, f"`{name}` must be a BCP 47 code such as en or pt-BR."))
    for name in rules.urls:
        url = values.get(name)
        if url is not None and not is_web_url(url):
            found.append((name, f"`{name}` must be an http or https URL."))
    return found


def reject(found: list[tuple[str, str]]) -> None:
    """Raise every failure at once, named by input field, if there is any."""
    if found:
        raise Rejected.invalid([(camel(name), message) for name, message in found])


def is_web_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in url


def camel(name: str) -> str:
    """The GraphQL input field of a column: `feature_image_url` -> `featureImageUrl`."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


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
