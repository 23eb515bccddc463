"""Persisted queries: Apollo's Automatic Persisted Queries protocol, or an allowlist.

`apq` (the default) follows Apollo's protocol. A client sends
`extensions: {"persistedQuery": {"version": 1, "sha256Hash": "<hex>"}}` and no query; a known hash
runs its document, an unknown one gets HTTP 200 with the error `PersistedQueryNotFound`, and the
client retries with the query too, which is checked against the hash, remembered and run. So a
frontend's requests become short GETs a CDN can cache. Documents are remembered in the process
(least recently used forgotten beyond a budget) and, with Redis, shared by every worker for a
week. Redis failing only costs a `PersistedQueryNotFound`, which makes the client resend.

`allowlist` runs only the documents of an Apollo persisted query manifest
(`QUIRE_PERSISTED_QUERIES_FILE`), by hash or as a full query whose SHA-256 is listed; anything
else is refused with `PERSISTED_QUERY_NOT_ALLOWED`, and nothing can be registered. `off` ignores
the extension when a query is sent and answers `PersistedQueryNotSupported` when none is.
"""

import hashlib
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from graphql import GraphQLError, OperationDefinitionNode, parse
from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.redis_client import Outage, connect
from app.settings import Settings
from resolvers.errors import QuireError
from resolvers.lru import LRU

logger = logging.getLogger("quire.persisted_queries")

MANIFEST_FORMAT = "apollo-persisted-query-manifest"
_HASH = re.compile(r"[0-9a-fA-F]{64}")
_LOCAL_BUDGET = 16_000_000  # characters of documents remembered per process
_REDIS_TTL_SECONDS = 7 * 24 * 3600


class PersistedQueryError(QuireError):
    """The request's persisted query cannot run; nothing was executed."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message, code=code)
        self.status = status


@dataclass(frozen=True)
class Document:
    text: str
    sha256: str


class Registry:
    """Documents registered through APQ, by SHA-256: in this process, and in Redis if given."""

    def __init__(self, redis: Redis | None = None, *, prefix: str = "quire:") -> None:
        self._redis = redis
        self._prefix = f"{prefix}apq:"
        # Documents by hash, the least recently used forgotten beyond a budget of characters.
        self._local: LRU[str, str] = LRU(_LOCAL_BUDGET, sizeof=len)
        self._outage = Outage(logger, "persisted queries; clients will resend documents")

    async def find(self, sha256: str) -> str | None:
        text = self._local.get(sha256)
        if text is not None:
            return text
        if self._redis is None or self._outage.ongoing:
            return None
        try:
            stored = await self._redis.get(self._prefix + sha256)
        except RedisError as error:
            self._outage.record(error)
            return None
        if stored is None:
            return None
        text = stored.decode() if isinstance(stored, bytes) else str(stored)
        self._remember(sha256, text)
        return text

    async def register(self, sha256: str, text: str) -> None:
        if sha256 in self._local:
            return
        self._remember(sha256, text)
        if self._redis is None or self._outage.ongoing:
            return
        try:
            await self._redis.set(self._prefix + sha256, text, ex=_REDIS_TTL_SECONDS)
        except RedisError as error:
            self._outage.record(error)

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()

    def _remember(self, sha256: str, text: str) -> None:
        self._local.put(sha256, text)  # one larger than the whole budget is not kept


class PersistedQueries:
    """Turns a request's `query` and `extensions` into the document to run."""

    def __init__(
        self,
        *,
        mode: str,
        registry: Registry | None = None,
        allowlist: Mapping[str, str] | None = None,
        max_document_bytes: int = 100_000,
    ) -> None:
        self.mode = mode
        self.registry = registry
        self.allowlist = allowlist or {}
        self.max_document_bytes = max_document_bytes

    async def resolve(self, query: str | None, extensions: Mapping[str, Any] | None) -> Document:
        """The document to run; `query` may be None only when a persisted query is named."""
        requested = _requested_hash(extensions)
        if query is not None:
            document = Document(query, _sha256(query))
            if requested is not None and self.mode != "off" and requested != document.sha256:
                raise PersistedQueryError(
                    400,
                    "PERSISTED_QUERY_HASH_MISMATCH",
                    "`extensions.persistedQuery.sha256Hash` is not the SHA-256 of the query.",
                )
            if self.mode == "allowlist":
                self._allowed(document.sha256)
            elif requested is not None and self.registry is not None:
                await self._register(document)
            return document
        assert requested is not None  # the endpoint refuses requests with neither
        if self.mode == "allowlist":
            return Document(self._allowed(requested), requested)
        text = await self.registry.find(requested) if self.registry is not None else None
        if text is None and self.mode == "off":
            raise PersistedQueryError(
                200, "PERSISTED_QUERY_NOT_SUPPORTED", "PersistedQueryNotSupported"
            )
        if text is None:
            raise PersistedQueryError(200, "PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")
        return Document(text, requested)

    async def close(self) -> None:
        if self.registry is not None:
            await self.registry.close()

    def _allowed(self, sha256: str) -> str:
        text = self.allowlist.get(sha256)
        if text is None:
            raise PersistedQueryError(
                400,
                "PERSISTED_QUERY_NOT_ALLOWED",
                "Only the documents of this server's persisted query list may run.",
            )
        return text

    async def _register(self, document: Document) -> None:
        if len(document.text.encode()) > self.max_document_bytes:
            raise PersistedQueryError(
                413,
                "BAD_REQUEST",
                f"A persisted document may be at most {self.max_document_bytes} bytes.",
            )
        assert self.registry is not None
        await self.registry.register(document.sha256, document.text)


def create_persisted_queries(settings: Settings) -> PersistedQueries:
    """Persisted queries as the settings ask; reads and checks the allowlist's manifest."""
    if settings.persisted_queries == "allowlist":
        assert settings.persisted_queries_file is not None  # enforced by Settings
        return PersistedQueries(
            mode="allowlist", allowlist=load_manifest(settings.persisted_queries_file)
        )
    registry = None
    if settings.persisted_queries == "apq":
        redis = connect(settings.redis_url) if settings.redis_url else None
        registry = Registry(redis, prefix=settings.redis_prefix)
    return PersistedQueries(
        mode=settings.persisted_queries,
        registry=registry,
        max_document_bytes=settings.max_body_bytes,
    )


def load_manifest(path: Path) -> dict[str, str]:
    """Document texts by SHA-256 from an Apollo persisted query manifest, every id checked."""
    try:
        manifest = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as error:
        raise ValueError(f"cannot read the persisted query manifest {path}: {error}") from None
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != MANIFEST_FORMAT
        or manifest.get("version") != 1
        or not isinstance(manifest.get("operations"), list)
    ):
        raise ValueError(f"{path} is not an {MANIFEST_FORMAT} of version 1 with `operations`")
    documents = {}
    for operation in manifest["operations"]:
        body = operation.get("body") if isinstance(operation, dict) else None
        if not isinstance(body, str) or operation.get("id") != _sha256(body):
            raise ValueError(f"{path}: every operation needs a `body` and its SHA-256 as `id`")
        documents[operation["id"]] = body
    return documents


def build_manifest(documents: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """An Apollo persisted query manifest of (source, text) documents that hold one named
    operation each (fragments allowed). A body is the text as given: clients send it as is."""
    operations = []
    for source, text in documents:
        try:
            definitions = parse(text, no_location=True).definitions
        except GraphQLError as error:
            raise ValueError(f"{source} is not a GraphQL document: {error.message}") from None
        found = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
        if len(found) != 1 or found[0].name is None:
            raise ValueError(f"{source} must hold exactly one named operation")
        operations.append(
            {
                "id": _sha256(text),
                "name": found[0].name.value,
                "type": found[0].operation.value,
                "body": text,
            }
        )
    return {"format": MANIFEST_FORMAT, "version": 1, "operations": operations}


def _requested_hash(extensions: Mapping[str, Any] | None) -> str | None:
    """The SHA-256 named by `extensions.persistedQuery`, lowercase, or None without one."""
    if not extensions or "persistedQuery" not in extensions:
        return None
    persisted = extensions["persistedQuery"]
    if not isinstance(persisted, dict):
        raise PersistedQueryError(400, "BAD_REQUEST", "`persistedQuery` must be a JSON object.")
    version = persisted.get("version")
    if isinstance(version, bool) or version != 1:
        raise PersistedQueryError(
            400,
            "PERSISTED_QUERY_VERSION_NOT_SUPPORTED",
            "Only version 1 of the persisted query protocol is supported.",
        )
    sha256 = persisted.get("sha256Hash")
    if not isinstance(sha256, str) or not _HASH.fullmatch(sha256):
        raise PersistedQueryError(
            400, "BAD_REQUEST", "`sha256Hash` must be a SHA-256 in 64 hexadecimal digits."
        )
    return sha256.lower()


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
