"""A tiny TCP proxy for outage drills: tests put it between the gateway and a server it uses
(a database, Redis, SMTP) and switch it down or into a blackhole; the shared servers of the
machine are never touched.

- up: bytes flow both ways;
- down (`stop()`): the port refuses connections and every open one is cut;
- blackhole (`stalled = True`, then `start()`; or `blackhole()`): connections are accepted and
  never answered, the way a dead host behind a firewall looks.
"""

from __future__ import annotations

import asyncio

from sqlalchemy.engine import make_url


class Proxy:
    """Forwards 127.0.0.1:<port> to a server; can stall (accept, never answer) or stop."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.stalled = False
        self._server: asyncio.AbstractServer | None = None
        self._writers: list[asyncio.StreamWriter] = []

    @classmethod
    async def started_for(cls, url: str, default_port: int) -> Proxy:
        """A running proxy to the server of a database `url` (reach it with `through`)."""
        target = make_url(url)
        proxy = cls(target.host or "127.0.0.1", target.port or default_port)
        await proxy.start()
        return proxy

    async def start(self) -> None:
        """Listen (again, on the same port once it has one)."""
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Down: close the listener and cut every connection through it."""
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        self._writers.clear()
        await self._server.wait_closed()

    async def blackhole(self) -> None:
        """Cut every connection, then accept new ones and never answer them."""
        await self.stop()
        self.stalled = True
        await self.start()

    async def restore(self) -> None:
        """Back up: cut what is stalled and forward again."""
        await self.stop()
        self.stalled = False
        await self.start()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        if self.stalled:
            return  # the connection stays open and silent
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers.append(upstream_writer)
        await asyncio.gather(self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer))

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()


def through(url: str, proxy: Proxy) -> str:
    """A database URL that reaches its server through `proxy`."""
    return make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
