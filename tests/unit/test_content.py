"""Markdown rendering is safe, and derived fields follow the body."""

from html.parser import HTMLParser

import pytest

from resolvers.content import WORDS_PER_MINUTE, reading_time, render_body, slugify


@pytest.mark.parametrize(
    "markdown",
    [
        "<script>alert(1)</script>",
        "[click](javascript:alert(1))",
        '<img src=x onerror="alert(1)">',
        "![x](javascript:alert(1))",
        '<a href="#" onclick="steal()">x</a>',
    ],
)
def test_rendered_html_never_carries_scripts_handlers_or_javascript_urls(markdown: str) -> None:
    elements = _elements(render_body(markdown).html)
    assert "script" not in {tag for tag, _ in elements}
    attributes = [(name, value or "") for _, attrs in elements for name, value in attrs]
    assert not [name for name, _ in attributes if name.startswith("on")]
    assert not [value for _, value in attributes if value.strip().lower().startswith("javascript:")]


def _elements(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    found: list[tuple[str, list[tuple[str, str | None]]]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, attrs))

    Collector().feed(html)
    return found


def test_fenced_code_keeps_its_language_class_and_sets_includes_code() -> None:
    rendered = render_body("Intro\n\n```python\nprint('hi')\n```\n")
    assert '<code class="language-python">' in rendered.html
    assert rendered.includes_code


def test_prose_with_only_inline_code_does_not_count_as_including_code() -> None:
    assert not render_body("Call `run()` when ready.").includes_code


def test_reading_time_grows_with_length_and_is_at_least_one_minute() -> None:
    assert reading_time("") == 1
    assert reading_time("word " * WORDS_PER_MINUTE) == 1
    assert reading_time("word " * (WORDS_PER_MINUTE * 3 + 1)) == 4


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Scaling Ray: From Training to Pipelines", "scaling-ray-from-training-to-pipelines"),
        ("Diseño de índices en PostgreSQL", "diseno-de-indices-en-postgresql"),
        ("  --Trust & Safety--  ", "trust-safety"),
        ("Ghost's editor", "ghosts-editor"),
        ("Διαχείριση δεδομένων", "diakheirise-dedomenon"),
    ],
)
def test_slugify_makes_lowercase_hyphenated_ascii(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_brace_nesting_skips_escaped_quotes_inside_block_strings() -> None:
    from schema.limits import brace_nesting

    query = '{ post(slug: """x\\""" still inside """) ' + "{a" * 100 + "}" * 100 + " }"
    assert brace_nesting(query) > 100
