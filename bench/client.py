"""A tiny HTTP client for single requests (the load itself is wrk's)."""

import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

import orjson


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes

    def json(self) -> Any:
        return orjson.loads(self.body)


def post_json(url: str, body: bytes, *, timeout: float = 30.0) -> Answer:
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Answer(response.status, response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.read())


def get_text(url: str, *, timeout: float = 10.0) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        text: str = response.read().decode()
        return text


def graphql(url: str, query: str, variables: dict[str, Any] | None = None) -> Any:
    """`data` of one GraphQL request; any error is raised."""
    payload: dict[str, Any] = {"query": query}
    if variables:
        payload["variables"] = variables
    answer = post_json(url, orjson.dumps(payload))
    document = answer.json()
    if answer.status != 200 or document.get("errors") or document.get("data") is None:
        raise RuntimeError(f"GraphQL request failed ({answer.status}): {answer.body[:500]!r}")
    return document["data"]
