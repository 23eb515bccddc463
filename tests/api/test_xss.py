"""XSS payloads in every text field of every create and update input, over HTTP.

`Post.html` is the only field Quire renders: whatever the body holds, it carries no script,
event handler, inline style or javascript:, vbscript: or data: URL. Every other text field is
data: it comes back exactly as sent, in a JSON response browsers neither sniff nor render. URL
fields refuse script and data schemes with a field error, slugs and language codes refuse
markup, IDs refuse it as bad input, and a refused write changes no table.
`test_every_text_field_of_every_input_is_covered` fails when an input gains a text field that
`FIELDS` does not list.
"""

import re
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pytest

from models import EditorRole
from tests.api.conftest import GraphQLClient, serve
from tests.api.editors import PASSWORD, Editor, make_editor
from tests.api.snapshot import snapshot
from tests.conftest import Database, create_database

# Plain text: none of it may be rendered, unescaped or altered on the way back.
PAYLOADS = (
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
    "[click](javascript:alert(1))",
    "</title><script>alert(document.cookie)</script>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "';alert(String.fromCharCode(88,83,83))//",
    "{{constructor.constructor('alert(1)')()}}",
)
# Markdown bodies: raw HTML, hostile link and image targets, attribute breakouts, code.
BODIES = (
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    "<svg onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<iframe src=https://evil.example></iframe>",
    "<style>*{display:none}</style>",
    "<<script>script>alert(1)<</script>/script>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](java&#x09;script:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click][ref]\n\n[ref]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '[click](https://example.com "\\" onmouseover=\\"alert(1)")',
    "```html\n<script>alert(1)</script>\n```",
    "`<img src=x onerror=alert(1)>`",
)
HOSTILE_URLS = (
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "javascript://example.com/%0Aalert(1)",
    "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "data:image/svg+xml,<svg onload=alert(1)>",
    "&#106;avascript:alert(1)",
    "//evil.example/x.js",
    "https:javascript:alert(1)",
)
# Web URLs with markup in them are valid URLs: they are data like any other text.
MARKUP_URLS = (
    'https://example.com/?q="><script>alert(1)</script>',
    'https://example.com/x.png"onerror="alert(1)',
)

ACTIVE_TAGS = {"script", "iframe", "frame", "object", "embed", "applet", "style", "svg", "math"}
ACTIVE_TAGS |= {"base", "form", "meta", "link"}
URL_ATTRIBUTES = {"href", "src", "srcset", "action", "formaction", "xlink:href", "poster", "data"}
SCRIPT_SCHEMES = ("javascript:", "vbscript:", "data:")

VERBATIM = "verbatim"  # stored and returned exactly as sent
RENDERED = "rendered"  # the body: returned as sent, and rendered to safe html
URL = "url"  # http(s) only
FORMAT = "format"  # slugs and language codes: markup is refused
ID = "id"  # global IDs: markup is bad input
SECRET = "secret"  # passwords: kept to log in with, never returned
CREATE, UPDATE = "create", "update"
ERRORS = "errors { field code message }"
TYPE_REF = (
    "kind name ofType { kind name ofType { kind name ofType { kind name ofType { name } } } }"
)
INPUTS = f"{{ __schema {{ types {{ name kind inputFields {{ name type {{ {TYPE_REF} }} }} }} }} }}"
LOGIN = f"""
mutation($email: String!, $password: String!) {{
  login(email: $email, password: $password) {{ token {ERRORS} }}
}}"""


@dataclass(frozen=True)
class Kind:
    """A kind of object: how to create it, update it and read it back."""

    name: str  # as in its inputs: CreatePostInput, UpdatePostInput
    root: str  # the payload's field with the object
    create: str | None  # None: there is one, made by the migrations (the site)
    update: str | None
    read: str  # the object by $id (a Node), or a list holding it
    base: Callable[[], dict[str, Any]]  # a valid create input; unique names keep slugs short
    input_object: bool = True  # false: the create takes plain arguments

    def arguments(self, values: dict[str, Any]) -> dict[str, Any]:
        return {"input": values} if self.input_object else values


def _name() -> str:
    return uuid.uuid4().hex[:8]


POST = Kind(
    "Post",
    "post",
    f"""mutation($input: CreatePostInput!) {{
      createPost(input: $input) {{ post {{ id }} {ERRORS} }}
    }}""",
    f"""mutation($id: ID!, $version: Int!, $input: UpdatePostInput!) {{
      updatePost(id: $id, version: $version, input: $input) {{ post {{ id }} {ERRORS} }}
    }}""",
    """query($id: ID!) { node(id: $id) { ... on Post {
      id title slug summary excerpt body html language canonicalUrl metaTitle metaDescription
      featureImage { url alt } tags { name }
    } } }""",
    lambda: {"title": f"Base {_name()}", "featureImageUrl": "https://example.com/cover.png"},
)
AUTHOR = Kind(
    "Author",
    "author",
    f"""mutation($input: CreateAuthorInput!) {{
      createAuthor(input: $input) {{ author {{ id }} {ERRORS} }}
    }}""",
    f"""mutation($id: ID!, $version: Int!, $input: UpdateAuthorInput!) {{
      updateAuthor(id: $id, version: $version, input: $input) {{ author {{ id }} {ERRORS} }}
    }}""",
    """query($id: ID!) { node(id: $id) { ... on Author {
      id name slug jobTitle bio avatarUrl website
    } } }""",
    lambda: {"name": f"Base {_name()}"},
)
TAG = Kind(
    "Tag",
    "tag",
    f"mutation($input: CreateTagInput!) {{ createTag(input: $input) {{ tag {{ id }} {ERRORS} }} }}",
    f"""mutation($id: ID!, $version: Int!, $input: UpdateTagInput!) {{
      updateTag(id: $id, version: $version, input: $input) {{ tag {{ id }} {ERRORS} }}
    }}""",
    "query($id: ID!) { node(id: $id) { ... on Tag { id name slug description } } }",
    lambda: {"name": f"Base {_name()}"},
)
EDITOR = Kind(
    "Editor",
    "editor",
    f"""mutation($input: CreateEditorInput!) {{
      createEditor(input: $input) {{ editor {{ id }} {ERRORS} }}
    }}""",
    None,
    "{ editors { id email displayName } }",
    lambda: {
        "email": f"{_name()}@example.com",
        "displayName": "Base",
        "password": PASSWORD,
        "role": "CONTRIBUTOR",
    },
)
TOKEN = Kind(
    "ApiToken",
    "apiToken",
    f"""mutation($name: String!) {{
      createApiToken(name: $name, role: EDITOR) {{ apiToken {{ id }} {ERRORS} }}
    }}""",
    None,
    "{ apiTokens { id name } }",
    lambda: {"name": "Base"},
    input_object=False,
)
WEBHOOK = Kind(
    "WebhookEndpoint",
    "endpoint",
    f"""mutation($input: CreateWebhookEndpointInput!) {{
      createWebhookEndpoint(input: $input) {{ endpoint {{ id }} {ERRORS} }}
    }}""",
    f"""mutation($id: ID!, $version: Int!, $input: UpdateWebhookEndpointInput!) {{
      updateWebhookEndpoint(id: $id, version: $version, input: $input) {{
        endpoint {{ id }} {ERRORS}
      }}
    }}""",
    "{ webhookEndpoints { id url description eventTypes } }",
    lambda: {"url": "https://hooks.example.com/quire", "eventTypes": ["post.*"]},
)


PUBLICATION = Kind(
    "Publication",
    "publication",
    f"""mutation($input: CreatePublicationInput!) {{
      createPublication(input: $input) {{ publication {{ id }} {ERRORS} }}
    }}""",
    f"""mutation($id: ID!, $version: Int!, $input: UpdatePublicationInput!) {{
      updatePublication(id: $id, version: $version, input: $input) {{
        publication {{ id }} {ERRORS}
      }}
    }}""",
    """query($id: ID!) { node(id: $id) { ... on Publication {
      id name slug description url logoUrl
    } } }""",
    lambda: {"name": f"Base {_name()}"},
)
SITE = Kind(
    "Site",
    "site",
    None,
    f"""mutation($version: Int!, $input: UpdateSiteInput!) {{
      updateSite(version: $version, input: $input) {{ site {{ version }} {ERRORS} }}
    }}""",
    "{ site { title description url logoUrl iconUrl accentColor languages } }",
    dict,
)


def _same(text: str) -> str:
    return text


def _numbered(text: str) -> str:
    """Tag names are unique regardless of case: each write gets its own."""
    return f"{text} {_name()}"


@dataclass(frozen=True)
class TextField:
    kind: Kind
    name: str
    treatment: str
    text: Callable[[str], str] = _same  # the value sent for a payload
    shown: Callable[[dict[str, Any]], Any] | None = None  # where it shows; default kind[name]
    listed: bool = False  # the input takes a list of these
    stored: Callable[[str], str] = _same  # the documented normalisation (emails: lower case)

    @property
    def id(self) -> str:
        return f"{self.kind.name}.{self.name}"

    @property
    def operations(self) -> tuple[str, ...]:
        return tuple(
            operation
            for operation, query in ((CREATE, self.kind.create), (UPDATE, self.kind.update))
            if query is not None
        )

    def sent(self, value: str) -> Any:
        return [value] if self.listed else value

    def read(self, found: dict[str, Any]) -> Any:
        return self.shown(found) if self.shown else found[self.name]


FIELDS = (
    TextField(POST, "title", VERBATIM),
    TextField(POST, "slug", FORMAT),
    TextField(POST, "excerpt", VERBATIM),
    TextField(POST, "summary", VERBATIM),
    TextField(POST, "body", RENDERED),
    TextField(POST, "language", FORMAT),
    TextField(POST, "canonicalUrl", URL),
    TextField(POST, "metaTitle", VERBATIM),
    TextField(POST, "metaDescription", VERBATIM),
    TextField(POST, "featureImageUrl", URL, shown=lambda post: post["featureImage"]["url"]),
    TextField(POST, "featureImageAlt", VERBATIM, shown=lambda post: post["featureImage"]["alt"]),
    TextField(POST, "authorIds", ID, listed=True),
    TextField(POST, "tagIds", ID, listed=True),
    TextField(POST, "publicationId", ID, shown=lambda post: None),
    TextField(
        POST,
        "tagNames",
        VERBATIM,
        text=_numbered,
        listed=True,
        shown=lambda post: [tag["name"] for tag in post["tags"]],
    ),
    TextField(AUTHOR, "name", VERBATIM),
    TextField(AUTHOR, "slug", FORMAT),
    TextField(AUTHOR, "jobTitle", VERBATIM),
    TextField(AUTHOR, "bio", VERBATIM),
    TextField(AUTHOR, "avatarUrl", URL),
    TextField(AUTHOR, "website", URL),
    TextField(TAG, "name", VERBATIM, text=_numbered),
    TextField(TAG, "slug", FORMAT),
    TextField(TAG, "description", VERBATIM),
    TextField(
        EDITOR,
        "email",
        VERBATIM,
        text=lambda payload: f"{payload}.{_name()}@example.com",
        stored=str.lower,
    ),
    TextField(EDITOR, "displayName", VERBATIM),
    TextField(EDITOR, "password", SECRET, text=lambda payload: f"{payload} long enough"),
    TextField(EDITOR, "authorId", ID),
    TextField(TOKEN, "name", VERBATIM),
    TextField(PUBLICATION, "name", VERBATIM),
    TextField(PUBLICATION, "slug", FORMAT),
    TextField(PUBLICATION, "description", VERBATIM),
    TextField(PUBLICATION, "url", URL),
    TextField(PUBLICATION, "logoUrl", URL),
    TextField(SITE, "title", VERBATIM),
    TextField(SITE, "description", VERBATIM),
    TextField(SITE, "url", URL),
    TextField(SITE, "logoUrl", URL),
    TextField(SITE, "iconUrl", URL),
    TextField(SITE, "accentColor", FORMAT),
    TextField(SITE, "languages", FORMAT, listed=True),
    TextField(WEBHOOK, "url", URL),
    TextField(WEBHOOK, "description", VERBATIM),
    TextField(WEBHOOK, "eventTypes", FORMAT, listed=True),
)


def _fields(treatment: str) -> list[Any]:
    return [pytest.param(f, id=f.id) for f in FIELDS if f.treatment == treatment]


class _Tags(HTMLParser):
    """Every start tag with its attributes (values unescaped, as a browser reads them)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def active_markup(html: str) -> list[str]:
    """What in `html` could run script: active elements, event handlers, inline styles, and
    script or data URLs (browsers ignore whitespace and control characters in schemes)."""
    parser = _Tags()
    parser.feed(html)
    parser.close()
    found = ["<script"] if "<script" in html.lower() else []
    for tag, attributes in parser.tags:
        if tag in ACTIVE_TAGS:
            found.append(f"<{tag}>")
        for name, value in attributes:
            scheme = re.sub(r"[\x00-\x20]", "", value or "").lower()
            if name.startswith("on") or name == "style":
                found.append(f"<{tag} {name}>")
            elif name in URL_ATTRIBUTES and scheme.startswith(SCRIPT_SCHEMES):
                found.append(f"<{tag} {name}={value}>")
    return found


def test_the_markup_check_finds_what_a_browser_would_run() -> None:
    assert active_markup('<p>x</p><a href="https://example.com">y</a>') == []
    assert active_markup("<p>&lt;script&gt;</p>") == []
    assert active_markup('<a href="java&#9;script:alert(1)">x</a>') == [
        "<a href=java\tscript:alert(1)>"
    ]
    assert active_markup('<img src="x" onerror="alert(1)">') == ["<img onerror>"]
    assert active_markup("<SCRIPT>alert(1)</SCRIPT>") == ["<script", "<script>"]


@dataclass
class World:
    database: Database
    client: GraphQLClient
    admin: Editor  # may write and read everything


@pytest.fixture(scope="module")
async def world(backend: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    database, cleanup = await create_database(backend, tmp_path_factory.mktemp(backend))
    try:
        async for client in serve(database):
            admin = await make_editor(client, database, EditorRole.ADMIN, "admin")
            yield World(database, client, admin)
    finally:
        await cleanup()


@dataclass
class Write:
    query: str
    variables: dict[str, Any]
    object_id: str | None  # the object being updated; a create's comes with its payload


async def _write(world: World, field: TextField, operation: str, value: str) -> Write:
    """The request that sends `value` in `field`; an update first creates a plain object."""
    kind = field.kind
    if operation == CREATE:
        assert kind.create is not None
        values = kind.base() | {field.name: field.sent(value)}
        return Write(kind.create, kind.arguments(values), None)
    assert kind.update is not None
    if kind.create is None:  # the site: there is one, at the version it is at
        version = (await world.admin.data("{ site { version } }"))["site"]["version"]
        variables = {"version": version, "input": {field.name: field.sent(value)}}
        return Write(kind.update, variables, kind.root)
    created = await world.admin.run(kind.create, kind.arguments(kind.base()))
    assert created["errors"] == [], created
    object_id: str = created[kind.root]["id"]
    variables = {"id": object_id, "version": 1, "input": {field.name: field.sent(value)}}
    return Write(kind.update, variables, object_id)


async def _written(world: World, field: TextField, operation: str, value: str) -> dict[str, Any]:
    """Send `value`, expect success, and return the object as the API reads it back."""
    write = await _write(world, field, operation, value)
    payload = await world.admin.run(write.query, write.variables)
    assert payload["errors"] == [], (field.id, operation, value, payload)
    return await _read(world, field.kind, write.object_id or payload[field.kind.root]["id"])


async def _read(world: World, kind: Kind, object_id: str) -> dict[str, Any]:
    """The object over the admin's token, from a JSON response no browser renders; a post's
    html is checked every time it is read."""
    variables = {"id": object_id} if "$id" in kind.read else {}
    response = await world.client.http.post(
        "/graphql", json={"query": kind.read, "variables": variables}, headers=world.admin.headers
    )
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    body = response.json()
    assert "errors" not in body, body
    data = body["data"]
    found: dict[str, Any] = (
        data["node"]
        if "node" in data
        else data[object_id]
        if object_id in data
        else next(item for item in next(iter(data.values())) if item["id"] == object_id)
    )
    if kind is POST:
        assert active_markup(found["html"]) == [], found["html"]
    return found


async def _refused(world: World, field: TextField, operation: str, value: str) -> dict[str, Any]:
    """Send `value` where it must be refused; the whole response body, after checking that no
    table changed."""
    write = await _write(world, field, operation, value)
    before = await snapshot(world.database)
    body = await world.admin.post(write.query, write.variables)
    assert await snapshot(world.database) == before, (field.id, operation, value)
    return body


def _cases(field: TextField, values: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    for value in values:
        for operation in field.operations:
            yield operation, value


@pytest.mark.parametrize("field", _fields(VERBATIM))
async def test_plain_text_comes_back_verbatim_as_json_data(world: World, field: TextField) -> None:
    for operation, payload in _cases(field, PAYLOADS):
        value = field.text(payload)
        found = await _written(world, field, operation, value)
        assert field.read(found) == field.sent(field.stored(value)), (operation, payload)


@pytest.mark.parametrize("body", BODIES)
async def test_the_rendered_html_never_carries_script_handlers_or_script_urls(
    world: World, body: str
) -> None:
    field = next(f for f in FIELDS if f.treatment == RENDERED)
    for operation in field.operations:
        found = await _written(world, field, operation, body)  # _read checks the html
        assert found["body"] == body


@pytest.mark.parametrize("field", _fields(URL))
async def test_url_fields_refuse_script_and_data_schemes(world: World, field: TextField) -> None:
    for operation, url in _cases(field, HOSTILE_URLS):
        payload = next(iter((await _refused(world, field, operation, url))["data"].values()))
        codes = [(error["field"], error["code"]) for error in payload["errors"]]
        assert codes == [(field.name, "INVALID")], (operation, url)


@pytest.mark.parametrize("field", _fields(URL))
async def test_web_urls_with_markup_come_back_verbatim_as_data(
    world: World, field: TextField
) -> None:
    for operation, url in _cases(field, MARKUP_URLS):
        assert field.read(await _written(world, field, operation, url)) == url, (operation, url)


@pytest.mark.parametrize("field", _fields(FORMAT))
async def test_slugs_and_language_codes_refuse_markup(world: World, field: TextField) -> None:
    for operation, payload in _cases(field, PAYLOADS):
        result = next(iter((await _refused(world, field, operation, payload))["data"].values()))
        codes = {(error["field"], error["code"]) for error in result["errors"]}
        assert codes == {(field.name, "INVALID")}, (operation, payload)  # format and length


@pytest.mark.parametrize("field", _fields(ID))
async def test_ids_refuse_markup_as_bad_input(world: World, field: TextField) -> None:
    for operation, payload in _cases(field, PAYLOADS):
        body = await _refused(world, field, operation, payload)
        assert [error["extensions"]["code"] for error in body["errors"]] == ["BAD_USER_INPUT"]
        assert body["errors"][0]["extensions"]["field"] == field.name, (operation, payload)


@pytest.mark.parametrize("field", _fields(SECRET))
async def test_a_password_is_stored_as_sent_and_never_returned(
    world: World, field: TextField
) -> None:
    for payload in PAYLOADS:
        password = field.text(payload)
        account = field.kind.base() | {"password": password}
        response = await world.client.http.post(
            "/graphql",
            json={"query": field.kind.create, "variables": {"input": account}},
            headers=world.admin.headers,
        )
        body = response.json()
        assert body["data"]["createEditor"]["errors"] == [], body
        assert not [text for text in _strings(body) if password in text]
        login = await world.client.data(LOGIN, {"email": account["email"], "password": password})
        assert login["login"]["errors"] == [] and login["login"]["token"], payload


def _strings(data: Any) -> Iterator[str]:
    """Every string in a JSON document, keys included."""
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield key
            yield from _strings(value)
    elif isinstance(data, list):
        for item in data:
            yield from _strings(item)


def _is_text(reference: dict[str, Any]) -> bool:
    while reference.get("ofType") is not None:
        reference = reference["ofType"]
    return reference["name"] in ("String", "ID")


async def test_every_text_field_of_every_input_is_covered(world: World) -> None:
    in_schema: set[tuple[str, str, str]] = set()
    for input_type in (await world.client.data(INPUTS))["__schema"]["types"]:
        match = re.fullmatch(r"(Create|Update)(\w+)Input", input_type["name"])
        if input_type["kind"] != "INPUT_OBJECT" or match is None:
            continue
        operation, kind = match.group(1).lower(), match.group(2)
        in_schema |= {
            (kind, item["name"], operation)
            for item in input_type["inputFields"]
            if _is_text(item["type"])
        }
    covered = {
        (field.kind.name, field.name, operation)
        for field in FIELDS
        if field.kind.input_object
        for operation in field.operations
    }
    assert in_schema == covered
