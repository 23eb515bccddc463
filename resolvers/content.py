"""Markdown bodies: rendering to safe HTML, reading time, the "includes code" flag, slugs."""

import html as html_entities
import math
import re
import unicodedata
from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from slugify import slugify as python_slugify

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
    return _rendered(markdown, _markdown.parse(markdown))


def _rendered(markdown: str, tokens: list[Token]) -> RenderedBody:
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


_APOSTROPHES = [["'", ""], ["\u2019", ""]]  # "Ghost's" -> "ghosts", not "ghost-s"


def slugify(text: str) -> str:
    """Lowercase ASCII letters, digits and hyphens from any script: accents folded ("Diseño"
    -> "diseno"), other alphabets transliterated ("Привет" -> "privet", "数据" -> "shu-ju");
    a title of emoji only is spelled by their names ("🎉" -> "party-popper")."""
    slug: str = python_slugify(text, replacements=_APOSTROPHES)
    if slug:
        return slug
    names = (unicodedata.name(character, "") for character in text if not character.isspace())
    spelled: str = python_slugify(" ".join(names))
    return spelled


_TAG = re.compile(r"<[^>]*>")
_markdown_with_html = MarkdownIt("js-default", {"html": True})
_NOT_PROSE = {"fence", "code_block"}


def prose(markdown: str) -> str:
    """The body's running text on one line, as a reader sees it: rendered, with raw HTML reduced
    to its text (scripts and styles dropped), and without code blocks and headings (what an
    excerpt is made of)."""
    return _prose_of(_markdown_with_html.parse(markdown))


def render_with_prose(markdown: str) -> tuple[RenderedBody, str]:
    """`render_body` and `prose` of one body, parsed once when it holds no raw HTML (the two
    parsers then read it alike): an import renders every post."""
    if "<" in markdown:
        return render_body(markdown), prose(markdown)
    tokens = _markdown.parse(markdown)
    return _rendered(markdown, tokens), _prose_of(tokens)


def _prose_of(tokens: list[Token]) -> str:
    kept, heading = [], False
    for token in tokens:
        heading = token.type == "heading_open" or (heading and token.type != "heading_close")
        if not heading and token.type != "heading_close" and token.type not in _NOT_PROSE:
            kept.append(token)
    html = _markdown_with_html.renderer.render(kept, _markdown_with_html.options, {})
    return " ".join(html_entities.unescape(nh3.clean(html, tags=set())).split())


def plain_text(html: str) -> str:
    """The text of sanitised HTML (a rendered body): tags dropped, entities decoded."""
    return html_entities.unescape(_TAG.sub(" ", html))
