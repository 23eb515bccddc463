"""Editor accounts over HTTP: login, bearer tokens, viewer, logout, expiry, deactivation,
integration tokens and login throttling."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models import ApiToken, EditorRole, TokenKind
from resolvers import accounts
from tests.api.conftest import GraphQLClient, serve
from tests.conftest import Database

PASSWORD = "correct horse battery"
LOGIN = """
mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    token expiresAt viewer { name email role kind } errors { field code message }
  }
}
"""
VIEWER = "{ viewer { name email role kind } }"


async def _editor(database: Database, email: str = "ada@example.com", **kwargs: Any) -> None:
    from app.database import create_session_factory

    async with create_session_factory(database.engine)() as session, session.begin():
        await accounts.create_editor(
            session,
            email=email,
            display_name=kwargs.get("name", "Ada"),
            password=PASSWORD,
            role=kwargs.get("role", EditorRole.EDITOR),
        )


async def _login(client: GraphQLClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    data = await client.data(LOGIN, {"email": email, "password": password})
    result: dict[str, Any] = data["login"]
    return result


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def test_login_returns_a_token_that_makes_the_viewer_known(
    scratch_client: GraphQLClient, scratch_db: Database
) -> None:
    await _editor(scratch_db, "Ada@Example.com")
    result = await _login(scratch_client, "ada@example.COM")
    assert result["errors"] == []
    assert result["viewer"] == {
        "name": "Ada",
        "email": "ada@example.com",
        "role": "EDITOR",
        "kind": "SESSION",
    }
    expires = datetime.fromisoformat(result["expiresAt"])
    assert timedelta(days=6) < expires - datetime.now(UTC) <= timedelta(days=7)

    anonymous = await scratch_client.data(VIEWER)
    assert anonymous == {"viewer": None}
    response = await scratch_client.http.post(
        "/graphql", json={"query": VIEWER}, headers=_bearer(result["token"])
    )
    assert response.json()["data"]["viewer"]["email"] == "ada@example.com"


async def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(
    scratch_client: GraphQLClient, scratch_db: Database
) -> None:
    await _editor(scratch_db)
    wrong = await _login(scratch_client, "ada@example.com", "not the password")
    unknown = await _login(scratch_client, "nobody@example.com")
    assert wrong == unknown
    assert wrong["token"] is None
    assert wrong["errors"] == [
        {"field": None, "code": "INVALID_CREDENTIALS", "message": "The email or password is wrong."}
    ]


async def test_logging_in_as_nobody_still_verifies_a_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = []
    real_verify = accounts._hasher.verify

    def counting(password: str, hashed: str) -> bool:
        calls.append(hashed)
        return real_verify(password, hashed)

    monkeypatch.setattr(accounts._hasher, "verify", counting)
    assert await accounts.verify_password("guess", None) is False
    assert calls == [accounts._DUMMY_HASH]


async def test_logout_revokes_the_token(
    scratch_client: GraphQLClient, scratch_db: Database
) -> None:
    await _editor(scratch_db)
    token = (await _login(scratch_client, "ada@example.com"))["token"]
    logout = "mutation { logout { ok errors { code } } }"
    response = await scratch_client.http.post(
        "/graphql", json={"query": logout}, headers=_bearer(token)
    )
    assert response.json()["data"]["logout"] == {"ok": True, "errors": []}
    again = await scratch_client.http.post(
        "/graphql", json={"query": VIEWER}, headers=_bearer(token)
    )
    assert again.status_code == 401
    assert again.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    "header",
    ["Bearer qt_not-a-real-token", "Basic YWRhOnB3", "Bearer", "Bearer " + "x" * 500, "qt_abc"],
)
async def test_a_bad_authorization_header_is_401_not_anonymous(
    client: GraphQLClient, header: str
) -> None:
    response = await client.http.post(
        "/graphql",
        json={"query": "{ posts(first: 1) { totalCount } }"},
        headers={"authorization": header},
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_expired_tokens_and_deactivated_editors_are_refused(
    scratch_client: GraphQLClient, scratch_db: Database
) -> None:
    from app.database import create_session_factory

    await _editor(scratch_db)
    token = (await _login(scratch_client, "ada@example.com"))["token"]
    factory = create_session_factory(scratch_db.engine)
    async with factory() as session, session.begin():
        row = await session.get(ApiToken, 1)
        assert row is not None and row.kind is TokenKind.SESSION
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    expired = await scratch_client.http.post(
        "/graphql", json={"query": VIEWER}, headers=_bearer(token)
    )
    assert expired.status_code == 401

    fresh = (await _login(scratch_client, "ada@example.com"))["token"]
    async with factory() as session, session.begin():
        editor = await accounts.find_editor(session, "ada@example.com")
        await accounts.deactivate(session, editor=editor, now=datetime.now(UTC))
    refused = await scratch_client.http.post(
        "/graphql", json={"query": VIEWER}, headers=_bearer(fresh)
    )
    assert refused.status_code == 401
    assert (await _login(scratch_client, "ada@example.com"))["errors"][0][
        "code"
    ] == "INVALID_CREDENTIALS"


async def test_integration_tokens_carry_their_own_role_until_revoked(
    scratch_client: GraphQLClient, scratch_db: Database
) -> None:
    from app.database import create_session_factory

    factory = create_session_factory(scratch_db.engine)
    async with factory() as session, session.begin():
        issued = await accounts.create_integration_token(
            session, name="build-bot", role=EditorRole.EDITOR
        )
    response = await scratch_client.http.post(
        "/graphql", json={"query": VIEWER}, headers=_bearer(issued.secret)
    )
    assert response.json()["data"]["viewer"] == {
        "name": "build-bot",
        "email": None,
        "role": "EDITOR",
        "kind": "INTEGRATION",
    }
    async with factory() as session, session.begin():
        assert await accounts.revoke(session, token_id=issued.token.id, now=datetime.now(UTC))
    revoked = await scratch_client.http.post(
        "/graphql", json={"query": VIEWER}, headers=_bearer(issued.secret)
    )
    assert revoked.status_code == 401


async def test_tokens_are_stored_only_as_hashes(
    scratch_client: GraphQLClient, scratch_db: Database
) -> None:
    await _editor(scratch_db)
    token = (await _login(scratch_client, "ada@example.com"))["token"]
    async with scratch_db.engine.connect() as connection:
        stored = (
            (await connection.exec_driver_sql("SELECT token_hash FROM api_tokens")).scalars().all()
        )
    assert stored == [accounts.hash_token(token)]
    assert token not in stored


async def test_repeated_logins_for_one_account_are_throttled(scratch_db: Database) -> None:
    await _editor(scratch_db)
    async for client in serve(scratch_db, login_attempts_per_account=3):
        codes = [
            (await _login(client, "ada@example.com", "wrong password"))["errors"][0]["code"]
            for _ in range(3)
        ]
        assert codes == ["INVALID_CREDENTIALS"] * 3
        throttled = await _login(client, "ada@example.com")  # even the right password waits
        assert throttled["token"] is None
        assert throttled["errors"][0]["code"] == "THROTTLED"
        other = await _login(client, "other@example.com", "whatever password")
        assert other["errors"][0]["code"] == "INVALID_CREDENTIALS"


async def test_logins_from_one_client_are_throttled_across_accounts(scratch_db: Database) -> None:
    async for client in serve(scratch_db, login_attempts_per_client=2):
        first = [await _login(client, f"user{n}@example.com") for n in range(2)]
        assert all(r["errors"][0]["code"] == "INVALID_CREDENTIALS" for r in first)
        third = await _login(client, "user3@example.com")
        assert third["errors"][0]["code"] == "THROTTLED"
