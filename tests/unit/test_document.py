"""Documents are parsed once per text, walked once, and carry what every step needs."""

from graphql import OperationType

from schema import build_schema
from schema.document import MAX_KEPT_TEXT, MAX_NESTING, Documents
from schema.strawberry_internals import graphql_schema

SCHEMA = build_schema()


def test_one_text_is_one_object_until_forgotten() -> None:
    documents = Documents(max_tokens=2_000)
    text = "{ posts { totalCount } }"
    assert documents.get(text) is documents.get(text)
    padded = "{ posts { totalCount } }" + " " * MAX_KEPT_TEXT
    assert documents.get(padded) is not documents.get(padded)  # too long to keep


def test_layout_does_not_change_the_digest_but_content_does() -> None:
    documents = Documents(max_tokens=2_000)
    one = documents.get("{ posts { totalCount } }")
    other = documents.get("# home\n{\n  posts {\n    totalCount,\n  }\n}\n")
    assert one.digest == other.digest
    assert documents.get("{ posts { nodes { id } } }").digest != one.digest


def test_what_the_walk_finds() -> None:
    documents = Documents(max_tokens=2_000)
    plain = documents.get("query Home { posts { totalCount } } mutation M { logout { ok } }")
    assert plain.cacheable and not plain.unsafe_literals
    assert plain.operation_type("Home") is OperationType.QUERY
    assert plain.operation_type("M") is OperationType.MUTATION
    assert plain.operation(None) is None  # two operations and no name: none runs
    assert not documents.get('{ post(previewToken: "t") { id } }').cacheable
    assert documents.get('{ post(slug: "a\\u0000b") { id } }').unsafe_literals


def test_what_cannot_run_has_no_node() -> None:
    documents = Documents(max_tokens=20)
    assert documents.get("{ posts {").node is None
    ids = " ".join(["id"] * 20)
    assert documents.get(f"{{ posts {{ nodes {{ {ids} }} }} }}").node is None
    deep = documents.get("{" * (MAX_NESTING + 1))
    assert deep.node is None and deep.too_deep


def test_validation_and_analysis_run_once_per_document_and_variables() -> None:
    documents = Documents(max_tokens=2_000)
    document = documents.get("query($n: Int) { posts(first: $n) { nodes { id } } }")
    calls: list[object] = []

    def validate(node: object) -> list:  # type: ignore[type-arg]
        calls.append(node)
        return []

    assert document.validate(validate) == document.validate(validate) == []
    assert len(calls) == 1
    schema = graphql_schema(SCHEMA)
    small = document.analysis(schema, None, {"n": 2})
    assert small is document.analysis(schema, None, {"n": 2})
    large = document.analysis(schema, None, {"n": 50})
    assert small is not None and large is not None and large.cost > small.cost
