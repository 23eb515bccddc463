"""Every example query in the README runs against the demo blog without errors."""

import re
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import GraphQLClient

README = Path(__file__).resolve().parents[2] / "README.md"
EXAMPLE_SECTION = README.read_text().split("## Example queries", 1)[1].split("\n## ", 1)[0]
EXAMPLES = re.findall(r"```graphql\n(.*?)```", EXAMPLE_SECTION, flags=re.DOTALL)


def _name(document: str) -> str:
    match = re.search(r"query (\w+)", document)
    assert match, document
    return match.group(1)


async def example_variables(client: GraphQLClient, document: str) -> dict[str, Any]:
    """What an example needs: the demo's second page's cursor, a Spanish post's slug."""
    variables: dict[str, Any] = {}
    if "$after" in document:
        first = await client.data("{ posts(first: 20) { pageInfo { endCursor } } }")
        variables["after"] = first["posts"]["pageInfo"]["endCursor"]
    if "$slug" in document:
        spanish = await client.data(
            '{ posts(first: 1, filter: { languages: ["es"] }) { nodes { slug } } }'
        )
        variables["slug"] = spanish["posts"]["nodes"][0]["slug"]
    return variables


@pytest.mark.parametrize("document", EXAMPLES, ids=[_name(doc) for doc in EXAMPLES])
async def test_readme_example_runs_and_finds_content(client: GraphQLClient, document: str) -> None:
    data = await client.data(document, await example_variables(client, document))
    assert all(value for value in data.values()), data


def test_the_readme_has_the_examples_the_issue_asks_for() -> None:
    names = {_name(doc) for doc in EXAMPLES}
    assert {"HomePage", "NextPage", "TagPage", "PostPage", "AuthorPage", "Facets"} <= names


def test_every_graphql_block_in_the_readme_is_valid_against_the_schema() -> None:
    from graphql import parse, validate

    from schema import build_schema
    from schema.strawberry_internals import graphql_schema

    schema = graphql_schema(build_schema())
    for block in re.findall(r"```graphql\n(.*?)```", README.read_text(), flags=re.DOTALL):
        assert validate(schema, parse(block)) == [], block
