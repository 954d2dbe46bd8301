"""Count SQL statements on the wire: a PostgreSQL protocol proxy in front of the server.

Every contender is pointed at it once, for a few requests, so that the count is exact and
the same for all (asyncpg, SQLAlchemy and node-postgres alike) without touching the
shared server's configuration. A statement is a simple Query message or an Execute of
the extended protocol; transaction control (BEGIN, COMMIT, ROLLBACK) and connection
pings (";", "SELECT 1") are counted apart. The timed runs do not go through it.
"""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass

_SSL_REQUEST = 80877103
_GSS_REQUEST = 80877104
_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "START TRANSACTION", "END", "SAVEPOINT", "RELEASE")


@dataclass
class Counts:
    statements: int = 0
    transactions: int = 0  # BEGIN ... COMMIT/ROLLBACK messages
    pings: int = 0

    def reset(self) -> None:
        self.statements = self.transactions = self.pings = 0


def _kind(sql: str) -> str:
    text = sql.strip().rstrip(";").strip().upper()
    if not text or text == "SELECT 1":
        return "ping"
    if text.startswith(_CONTROL):
        return "control"
    return "statement"


class WireCounter:
    def __init__(self, upstream_port: int = 5432) -> None:
        self.upstream_port = upstream_port
        self.counts = Counts()
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()

    def _count(self, sql: str) -> None:
        kind = _kind(sql)
        if kind == "statement":
            self.counts.statements += 1
        elif kind == "control":
            self.counts.transactions += 1
        else:
            self.counts.pings += 1

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            # Untyped start-up messages: answer SSL/GSS requests "no" ourselves.
            while True:
                head = await reader.readexactly(8)
                length, code = struct.unpack("!ii", head)
                rest = await reader.readexactly(length - 8)
                if code in (_SSL_REQUEST, _GSS_REQUEST):
                    writer.write(b"N")
                    await writer.drain()
                    continue
                break
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
            up_writer.write(head + rest)
            pump = asyncio.ensure_future(self._pump(up_reader, writer))
            try:
                await self._requests(reader, up_writer)
            finally:
                pump.cancel()
                up_writer.close()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _requests(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        prepared: dict[bytes, str] = {}  # statement name -> SQL
        portals: dict[bytes, str] = {}  # portal name -> SQL
        while True:
            head = await reader.readexactly(5)
            kind = head[:1]
            (length,) = struct.unpack("!i", head[1:])
            body = await reader.readexactly(length - 4)
            if kind == b"Q":
                self._count(body[:-1].decode(errors="replace"))
            elif kind == b"P":
                name, _, rest = body.partition(b"\0")
                prepared[name] = rest.partition(b"\0")[0].decode(errors="replace")
            elif kind == b"B":
                portal, _, rest = body.partition(b"\0")
                portals[portal] = prepared.get(rest.partition(b"\0")[0], "?")
            elif kind == b"E":
                self._count(portals.get(body.partition(b"\0")[0], "?"))
            writer.write(head + body)
            if kind in (b"S", b"Q", b"H", b"X"):
                await writer.drain()
            if kind == b"X":
                return
