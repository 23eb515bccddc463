"""Tracing spans for every layer: null contexts that cost nothing until app.tracing turns
tracing on (`use`)."""

from contextlib import nullcontext
from typing import Any

from opentelemetry.trace import Tracer

SQL_TEXT_LIMIT = 2_000  # characters of a statement kept on its span
_tracer: Tracer | None = None
_OFF = nullcontext(None)  # reusable: entering it does nothing


def use(tracer: Tracer | None) -> None:
    """Spans go to `tracer` from now on (None: tracing off)."""
    global _tracer
    _tracer = tracer


def tracer() -> Tracer | None:
    return _tracer


def span(name: str, **attributes: Any) -> Any:
    """A span as the current one (its attributes without the None ones), or a null context."""
    if _tracer is None:
        return _OFF
    kept = {key: value for key, value in attributes.items() if value is not None}
    return _tracer.start_as_current_span(name, attributes=kept)


def query(system: str, statement: str) -> Any:
    """A span around one SQL statement, or a null context."""
    if _tracer is None:
        return _OFF
    return _tracer.start_as_current_span(
        query_name(statement), attributes=query_attributes(system, statement)
    )


def query_name(statement: str) -> str:
    words = statement.split(None, 1)
    return f"db.query {words[0].upper() if words else 'SQL'}"


def query_attributes(system: str, statement: str) -> dict[str, Any]:
    return {"db.system": system, "db.statement": statement[:SQL_TEXT_LIMIT]}
