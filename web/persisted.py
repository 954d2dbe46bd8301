"""Persisted queries ([api] persisted_queries; docs/operations.md).

`auto` (the default): Apollo's automatic persisted queries. A request may send, instead of its
query, `extensions.persistedQuery = {"version": 1, "sha256Hash": "<hex SHA-256 of the query>"}`;
an unknown hash is answered PERSISTED_QUERY_NOT_FOUND, and the client sends the query again
with the hash, which registers it. By GET (`?extensions=...&variables=...`) too, so that a CDN
may cache what it may: only queries run by GET, and only persisted ones (other queries go by POST).
The documents live in Redis when `[access] redis_url` is set — every instance and worker knows
what one of them registered — else in the process, at most `[api] persisted_queries_cache_size`.

`only`: the allow-list for production. `[api] persisted_queries_manifest` is a JSON file
`{"<sha256>": "<query>", ...}` (each hash checked at start-up); a request runs only a document of
it, named by its hash or sent as its exact text, and anything else is refused with
PERSISTED_QUERY_NOT_ALLOWED. Nothing registers: the list changes by deploying a new manifest.

`off`: queries are sent whole, by POST; a persistedQuery extension is PERSISTED_QUERY_NOT_SUPPORTED.

Per partner client, allow-list mode (`ventanilla partners queries add|list|remove|off`): a
partner client with `queries_only` runs only the documents registered for it in the store (every
instance reads them there), named by their hash or sent as their exact text, whatever the mode
above; anything else is PERSISTED_QUERY_NOT_ALLOWED. Other callers are unaffected.

A hash that is not the SHA-256 of the query sent with it is PERSISTED_QUERY_HASH_MISMATCH in
every mode: a client cannot register a document under another one's hash.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from cross_web import HTTPException
from strawberry.http import GraphQLRequestData

from ..settings import PersistedQueries, Settings
from .logs import log_outage

log = logging.getLogger("ventanilla")

_HASH = re.compile(r"[0-9a-f]{64}")
REDIS_PREFIX = "ventanilla:apq:"
REDIS_DAYS = 30  # a registered document is forgotten after this long unused (then registered again)

# code -> (Spanish, English): what each refusal says (Accept-Language picks one, as errors.py MESSAGES)
MESSAGES = {
    "PERSISTED_QUERY_NOT_FOUND": (
        "No conocemos esa consulta persistida: enviala de nuevo con su texto.",
        "PersistedQueryNotFound: send the query again with its text.",
    ),
    "PERSISTED_QUERY_NOT_SUPPORTED": (
        "Este servidor no acepta consultas persistidas (versión 1 de Apollo): enviá el texto de la consulta.",
        "PersistedQueryNotSupported: this server takes no persisted queries (Apollo version 1 only); send the query text.",
    ),
    "PERSISTED_QUERY_HASH_MISMATCH": (
        "El hash sha256Hash no es el SHA-256 del texto de la consulta.",
        "The sha256Hash is not the SHA-256 of the query text sent with it.",
    ),
    "PERSISTED_QUERY_NOT_ALLOWED": (
        "Este servidor solo ejecuta las consultas registradas de su lista; esta no está.",
        "This server runs only the registered documents of its list, and this one is not among them.",
    ),
    "GET_NEEDS_PERSISTED_QUERY": (
        "Por GET solo se ejecutan consultas persistidas: enviá las demás por POST.",
        "GET runs only persisted queries (extensions.persistedQuery): send other queries by POST.",
    ),
}


class PersistedQueryRefused(Exception):
    """A request the persisted-query rules refuse: answered as a GraphQL error with this code."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code

    def message(self, language: str) -> str:
        spanish, english = MESSAGES[self.code]
        return spanish if language == "es" else english


def sha256(query: str) -> str:
    return hashlib.sha256(query.encode("utf-8")).hexdigest()


class MemoryDocuments:
    """Registered documents in this process, the least recently used forgotten past `size`."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self.documents: OrderedDict[str, str] = OrderedDict()

    async def get(self, digest: str) -> str | None:
        query = self.documents.get(digest)
        if query is not None:
            self.documents.move_to_end(digest)
        return query

    async def put(self, digest: str, query: str) -> None:
        self.documents[digest] = query
        self.documents.move_to_end(digest)
        while len(self.documents) > self.size:
            self.documents.popitem(last=False)

    async def close(self) -> None:
        pass


class RedisDocuments:
    """Registered documents in Redis, shared by every instance. Redis not answering within the
    timeout is a miss (the client sends the text, which runs), never a failed request."""

    def __init__(self, url: str, timeout: float) -> None:
        from redis.asyncio import Redis

        self.redis = Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)

    async def get(self, digest: str) -> str | None:
        try:
            value = await self.redis.getex(REDIS_PREFIX + digest, ex=REDIS_DAYS * 86_400)
        except Exception as failure:
            log_outage(log, "persisted queries: Redis unavailable", failure)
            return None
        if value is None:
            return None
        return value.decode("utf-8") if isinstance(value, bytes) else str(value)

    async def put(self, digest: str, query: str) -> None:
        try:
            await self.redis.set(REDIS_PREFIX + digest, query.encode("utf-8"), ex=REDIS_DAYS * 86_400)
        except Exception as failure:
            log_outage(log, "persisted queries: Redis unavailable", failure)

    async def close(self) -> None:
        await self.redis.aclose()


def read_manifest(path: str | None) -> dict[str, str]:
    """`{sha256: query}` from a JSON file, every hash checked against its query."""
    if not path:
        raise SystemExit(
            '[api] persisted_queries = "only" necesita / needs [api] persisted_queries_manifest (JSON: hash -> query)'
        )
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as failure:
        raise SystemExit(f"[api] persisted_queries_manifest {path}: {failure}") from None
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise SystemExit(f"[api] persisted_queries_manifest {path}: a JSON object of hash -> query text")
    wrong = [digest for digest, query in data.items() if digest.lower() != sha256(query)]
    if wrong:
        raise SystemExit(
            f"[api] persisted_queries_manifest {path}: not the SHA-256 of its query: {', '.join(wrong[:5])}"
        )
    return {digest.lower(): query for digest, query in data.items()}


class Persisted:
    """Turns a request's persistedQuery extension into its query, by the configured mode."""

    def __init__(self, settings: Settings) -> None:
        self.mode = settings.persisted_queries
        self.manifest = (
            read_manifest(settings.persisted_queries_manifest) if self.mode is PersistedQueries.ONLY else {}
        )
        self.documents: MemoryDocuments | RedisDocuments
        if self.mode is PersistedQueries.AUTO and settings.redis_url:
            self.documents = RedisDocuments(settings.redis_url, settings.store_timeout_seconds)
        else:
            self.documents = MemoryDocuments(settings.persisted_queries_cache_size)

    @property
    def allows_get(self) -> bool:
        return self.mode is not PersistedQueries.OFF

    async def resolve(
        self,
        data: GraphQLRequestData,
        method: str,
        listed: Callable[[str], Awaitable[str | None]] | None = None,
    ) -> GraphQLRequestData:
        """`listed`: for a partner client in allow-list mode, its registered document of a hash
        (None: not registered); then only those run, as with `only` and its manifest."""
        extension = (data.extensions or {}).get("persistedQuery")
        if listed is not None:
            return await self._listed(data, method, extension, listed)
        if extension is None:
            if method == "GET" and self.allows_get:
                raise PersistedQueryRefused("GET_NEEDS_PERSISTED_QUERY")
            if (
                self.mode is PersistedQueries.ONLY
                and data.query is not None
                and sha256(data.query) not in self.manifest
            ):
                raise PersistedQueryRefused("PERSISTED_QUERY_NOT_ALLOWED")
            return data
        if self.mode is PersistedQueries.OFF:
            raise PersistedQueryRefused("PERSISTED_QUERY_NOT_SUPPORTED")
        digest = _digest(extension)
        if data.query is not None and sha256(data.query) != digest:
            raise PersistedQueryRefused("PERSISTED_QUERY_HASH_MISMATCH")
        if self.mode is PersistedQueries.ONLY:
            query = self.manifest.get(digest)
            if query is None:
                raise PersistedQueryRefused("PERSISTED_QUERY_NOT_ALLOWED")
            return replace(data, query=query)
        if data.query is not None:
            await self.documents.put(
                digest, data.query
            )  # registered: the next request may send the hash alone
            return data
        query = await self.documents.get(digest)
        if query is None:
            raise PersistedQueryRefused("PERSISTED_QUERY_NOT_FOUND")
        return replace(data, query=query)

    async def _listed(
        self,
        data: GraphQLRequestData,
        method: str,
        extension: Any,
        listed: Callable[[str], Awaitable[str | None]],
    ) -> GraphQLRequestData:
        if extension is None:
            if method == "GET" and self.allows_get:
                raise PersistedQueryRefused("GET_NEEDS_PERSISTED_QUERY")
            if data.query is None or await listed(sha256(data.query)) is None:
                raise PersistedQueryRefused("PERSISTED_QUERY_NOT_ALLOWED")
            return data
        digest = _digest(extension)
        if data.query is not None and sha256(data.query) != digest:
            raise PersistedQueryRefused("PERSISTED_QUERY_HASH_MISMATCH")
        query = await listed(digest)
        if query is None:
            raise PersistedQueryRefused("PERSISTED_QUERY_NOT_ALLOWED")
        return replace(data, query=query)

    async def close(self) -> None:
        await self.documents.close()


def _digest(extension: Any) -> str:
    """The extension's hash, lowercase hex; an extension of another shape or version is a 400."""
    if not isinstance(extension, dict) or extension.get("version") != 1:
        raise PersistedQueryRefused("PERSISTED_QUERY_NOT_SUPPORTED")
    digest = extension.get("sha256Hash")
    if not isinstance(digest, str) or not _HASH.fullmatch(digest.lower()):
        raise HTTPException(400, "extensions.persistedQuery.sha256Hash must be 64 hexadecimal digits")
    return digest.lower()
