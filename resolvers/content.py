"""Markdown bodies: rendering to safe HTML, reading time, the "includes code" flag, slugs."""

import html as html_entities
import math
import re
import unicodedata
from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt

WORDS_PER_MINUTE = 230
_CODE_TOKENS = {"fence", "code_block"}
_markdown = MarkdownIt("js-default")  # raw HTML off; the output is sanitised anyway
_ALLOWED_ATTRIBUTES = {**nh3.ALLOWED_ATTRIBUTES, "code": {"class"}}


@dataclass(frozen=True)
class RenderedBody:
    html: str
    reading_time: int
    includes_code: bool


def render_body(markdown: str) -> RenderedBody:
    tokens = _markdown.parse(markdown)
    html = nh3.clean(
        _markdown.renderer.render(tokens, _markdown.options, {}), attributes=_ALLOWED_ATTRIBUTES
    )
    return RenderedBody(
        html=html,
        reading_time=reading_time(markdown),
        includes_code=any(token.type in _CODE_TOKENS for token in tokens),
    )


def reading_time(markdown: str) -> int:
    """Minutes at a steady reading pace, never less than one."""
    return max(1, math.ceil(len(markdown.split()) / WORDS_PER_MINUTE))


def slugify(text: str) -> str:
    """Lowercase letters, digits and hyphens; accents are folded (e.g. "Diseño" -> "diseno")."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


_TAG = re.compile(r"<[^>]*>")


def plain_text(html: str) -> str:
    """The text of sanitised HTML (a rendered body): tags dropped, entities decoded."""
    return html_entities.unescape(_TAG.sub(" ", html))
