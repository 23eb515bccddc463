"""Other systems' bodies made Markdown, Quire's one body format.

HTML (Ghost's rendered `html`, WordPress's `content:encoded`) goes through markdownify: editors
then edit what they imported like any post, and the renderer's sanitiser sees Markdown only.
What Markdown cannot say (embedded iframes, scripts, forms, styling) is dropped, with its text
kept where it has any. Ghost's editor documents (mobiledoc, Lexical) are read only when an
export carries no `html`, for the cards and nodes a blog uses.
"""

import re
from collections.abc import Callable
from typing import Any

import orjson
from bs4 import BeautifulSoup, Tag
from markdownify import MarkdownConverter

from resolvers.imports import Prepared, prepare_body

_BLANK_LINES = re.compile(r"\n{3,}")


class _Converter(MarkdownConverter):
    def convert_figcaption(self, el: Tag, text: str, parent_tags: Any) -> str:
        return f"\n\n*{text.strip()}*\n\n" if text.strip() else ""

    def _dropped(self, el: Tag, text: str, parent_tags: Any) -> str:
        return ""

    # What a reader never sees as text, or must not run: gone with its content.
    convert_script = convert_style = convert_noscript = convert_template = _dropped
    convert_iframe = convert_object = convert_embed = convert_form = _dropped


_converter = _Converter(
    heading_style="ATX",
    bullets="-",
    code_language_callback=lambda el: _code_language(el),
    strip=["button", "input", "select", "textarea"],
    escape_underscores=False,
    escape_misc=False,
    bs4_options="lxml",  # several times faster than html.parser on a big import
)


def _code_language(el: Tag) -> str | None:
    code = el.find("code") if el.name == "pre" else el
    for name in (code.get("class") or []) if isinstance(code, Tag) else []:
        if name.startswith("language-"):
            return str(name.removeprefix("language-"))
    return None


def html_to_markdown(html: str) -> str:
    text = _converter.convert(html)
    return _BLANK_LINES.sub("\n\n", text).strip() + "\n" if text.strip() else ""


def prepare(html: str | None, markdown: str) -> Prepared:
    """A body ready to store: from `html` when given (made Markdown), else `markdown`."""
    return prepare_body(markdown if html is None else html_to_markdown(html))


def prepare_many(bodies: list[tuple[str | None, str]]) -> list[Prepared]:
    """`prepare` for a chunk of bodies: what a worker process is given."""
    return [prepare(html, markdown) for html, markdown in bodies]


def html_to_text(html: str) -> str:
    """The text of an HTML fragment (an excerpt), on one line."""
    return " ".join(BeautifulSoup(html, "html.parser").get_text(" ").split())


_BLOCK_START = re.compile(
    r"^\s*<(?:p|div|h[1-6]|ul|ol|li|blockquote|pre|table|figure|hr|!--)\b", re.IGNORECASE
)


def paragraphs(text: str) -> str:
    """WordPress's classic content: blank lines separate paragraphs and a single newline is a
    line break (as its `wpautop` renders it); blocks already in HTML stay as they are."""
    text = text.replace("\r\n", "\n")
    blocks = []
    for block in re.split(r"\n\s*\n", text):
        if not block.strip():
            continue
        if _BLOCK_START.match(block):
            blocks.append(block)
        else:
            blocks.append("<p>" + block.strip().replace("\n", "<br>\n") + "</p>")
    return "\n\n".join(blocks)


# Ghost's editor documents, for exports that carry no rendered html.


def mobiledoc_to_markdown(document: str) -> str:
    """Ghost 1 to 4's editor format: sections of marked-up text, and cards."""
    doc = orjson.loads(document)
    markups = doc.get("markups") or []
    cards = doc.get("cards") or []
    atoms = doc.get("atoms") or []
    blocks = []
    for section in doc.get("sections") or []:
        kind = section[0]
        if kind == 1:  # markup section: a paragraph, heading or quote
            tag = str(section[1]).lower()
            text = _mobiledoc_markers(section[2], markups, atoms)
            blocks.append(_block(tag, text))
        elif kind == 3:  # list
            marker = "1." if str(section[1]).lower() == "ol" else "-"
            items = [_mobiledoc_markers(item, markups, atoms) for item in section[2]]
            blocks.append("\n".join(f"{marker} {item}" for item in items))
        elif kind == 10:  # card
            name, payload = cards[section[1]]
            blocks.append(_card(name, payload))
        elif kind == 2:  # image section
            blocks.append(f"![]({section[1]})")
    return _joined(blocks)


def _mobiledoc_markers(markers: list[Any], markups: list[Any], atoms: list[Any]) -> str:
    out: list[str] = []
    open_marks: list[list[Any]] = []
    for kind, opens, closes, value in (marker[:4] for marker in markers):
        for index in opens:
            open_marks.append(markups[index])
            out.append("[" if markups[index][0] == "a" else _MARKS.get(markups[index][0], ""))
        out.append(str(value) if kind == 0 else str(atoms[value][1]))
        for _ in range(closes):
            tag, *rest = open_marks.pop()
            out.append(f"]({_href(rest)})" if tag == "a" else _MARKS.get(tag, ""))
    return "".join(out)


_MARKS = {"strong": "**", "b": "**", "em": "*", "i": "*", "code": "`", "s": "~~"}


def _href(rest: list[Any]) -> str:
    attributes = rest[0] if rest else []
    pairs = dict(zip(attributes[::2], attributes[1::2], strict=False))
    return str(pairs.get("href") or "")


def lexical_to_markdown(document: str) -> str:
    """Ghost 5's editor format: a tree of nodes."""
    root = orjson.loads(document).get("root") or {}
    return _joined([_lexical_block(node) for node in root.get("children") or []])


def _lexical_block(node: dict[str, Any]) -> str:
    kind = node.get("type")
    if kind == "paragraph":
        return _lexical_inline(node)
    if kind in ("heading", "extended-heading"):
        return _block(str(node.get("tag") or "h2"), _lexical_inline(node))
    if kind in ("quote", "extended-quote", "aside"):
        return _block("blockquote", _lexical_inline(node))
    if kind == "list":
        marker = "1." if node.get("listType") == "number" else "-"
        items = [_lexical_inline(item) for item in node.get("children") or []]
        return "\n".join(f"{marker} {item}" for item in items)
    return _card(str(kind), node)


_LEXICAL_FORMATS = ((1, "**"), (2, "*"), (4, "~~"), (16, "`"))  # bold, italic, strike, code


def _lexical_inline(node: dict[str, Any]) -> str:
    out = []
    for child in node.get("children") or []:
        kind = child.get("type")
        if kind in ("text", "extended-text"):
            text = str(child.get("text") or "")
            for bit, mark in _LEXICAL_FORMATS:
                if int(child.get("format") or 0) & bit and text.strip():
                    text = f"{mark}{text}{mark}"
            out.append(text)
        elif kind == "linebreak":
            out.append("  \n")
        elif kind == "link":
            out.append(f"[{_lexical_inline(child)}]({child.get('url') or ''})")
        else:
            out.append(_lexical_inline(child))
    return "".join(out)


def _block(tag: str, text: str) -> str:
    if re.fullmatch(r"h[1-6]", tag):
        return f"{'#' * int(tag[1])} {text}"
    if tag in ("blockquote", "aside"):
        return "\n".join(f"> {line}" for line in text.splitlines() or [""])
    return text


def _card(name: str, payload: dict[str, Any]) -> str:
    """A card of either editor, by what it holds."""
    handler = _CARDS.get(name)
    return handler(payload) if handler else ""


def _image(card: dict[str, Any]) -> str:
    image = f"![{card.get('alt') or ''}]({card.get('src') or ''})" if card.get("src") else ""
    caption = html_to_markdown(str(card.get("caption") or "")).strip()
    return f"{image}\n\n*{caption}*" if image and caption else image


def _code(card: dict[str, Any]) -> str:
    return f"```{card.get('language') or ''}\n{card.get('code') or ''}\n```"


def _link(card: dict[str, Any]) -> str:
    url = card.get("url") or (card.get("metadata") or {}).get("url")
    title = (card.get("metadata") or {}).get("title") or url
    return f"[{title}]({url})" if url else ""


_CARDS: dict[str, Callable[[dict[str, Any]], str]] = {
    "markdown": lambda card: str(card.get("markdown") or ""),
    "card-markdown": lambda card: str(card.get("markdown") or ""),
    "html": lambda card: html_to_markdown(str(card.get("html") or "")),
    "image": _image,
    "code": _code,
    "codeblock": _code,
    "hr": lambda _card: "---",
    "horizontalrule": lambda _card: "---",
    "embed": _link,
    "bookmark": _link,
    "gallery": lambda card: "\n\n".join(_image(image) for image in card.get("images") or []),
}


def _joined(blocks: list[str]) -> str:
    text = "\n\n".join(block for block in blocks if block.strip())
    return text + "\n" if text else ""
