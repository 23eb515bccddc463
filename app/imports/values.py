"""Field values as exports write them, read the way Quire stores them: dates, URLs, language
codes, flags."""

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

from resolvers.validation import LANGUAGE, is_web_url


class BadValue(ValueError):
    """A value that cannot be read; its message says which and why."""


def moment(value: object) -> datetime | None:
    """ISO 8601 (a `Z`, an offset, or none, read as UTC), `YYYY-MM-DD HH:MM:SS`, RFC 822 as in
    RSS, or milliseconds since 1970 (Ghost 0.x); None for nothing or WordPress's zero date."""
    if value is None or value == "" or value == "0000-00-00 00:00:00":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, UTC)
    text = str(value).strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            raise BadValue(f"{text[:40]!r} is not a date") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def web_url(value: object, *, base: str | None) -> str | None:
    """An absolute http(s) URL; relative ones are resolved against `base` (the old site's
    address, where its images live) or, without one, refused."""
    if not value:
        return None
    text = str(value).strip()
    if text.startswith("//"):
        text = "https:" + text
    if not urlsplit(text).scheme:
        if not base:
            raise BadValue(f"{text[:80]!r} is relative; pass the old site's address to keep it")
        text = urljoin(base.rstrip("/") + "/", text.lstrip("/"))
    if not is_web_url(text):
        raise BadValue(f"{text[:80]!r} is not an http or https URL")
    return text


def language(value: object, default: str) -> str:
    """A BCP 47 code: `en_US` (Ghost's and WordPress's locales) becomes `en-US`."""
    text = re.sub(r"_", "-", str(value or "").strip())
    return text if text and LANGUAGE.fullmatch(text) else default


def flag(value: object) -> bool:
    """Exports write booleans as true, 1 or "1"."""
    return value in (True, 1, "1", "true")
