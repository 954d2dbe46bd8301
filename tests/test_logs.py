"""What `ventanilla serve` writes to its log: every line with time, level and request id, text or
JSON; one access line per request naming the operation and the principal, never a secret; one
line per request during an outage, no traceback; nothing alarming when a client hangs up.

The server runs as an operator runs it (a subprocess on a free port); its legacy source and, for
the store outage, its store sit behind the outage drills' TCP proxy (tests/proxy.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from io import StringIO
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.applications import Starlette
from ventanilla.demo.business import CUSTOMER_LOGIN, generate_demo
from ventanilla.demo.legacy.ispcube import write_ispcube_demo
from ventanilla.settings import Settings
from ventanilla.web import middleware
from ventanilla.web.app import create_app
from ventanilla.web.logs import OutageLines, TextFormatter

from .conftest import TEST_SECRET, fresh_database, fresh_legacy_database
from .proxy import Proxy, through

TODAY = date(2026, 6, 15)
TIMEOUT = 1.5
LOGIN, PASSWORD = CUSTOMER_LOGIN

SIGN_IN = """
mutation SignIn($login: String!, $password: String!) {
  signIn(input: {login: $login, password: $password, rememberMe: true}) { accessToken refreshToken errors { code } }
}
"""
# Tickets come from the legacy source, twice: an outage fails two fields of one request.
TICKETS = """
query Tickets {
  mine: viewer { customer { name tickets(first: 2) { nodes { number } } } }
  again: viewer { customer { tickets(first: 5) { nodes { number } } } }
}
"""
ONE_TICKET_LIST = "{ viewer { customer { tickets(first: 2) { nodes { number } } } } }"
INVOICE_LINK = "query InvoiceLink { viewer { customer { invoices(first: 1) { nodes { pdfUrl } } } } }"

# `2026-06-15T09:30:00.123-03:00 WARNING ventanilla [3f9c0a1b2c3d4e5f] source failed: ...`
TEXT_LINE = re.compile(
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d (DEBUG|INFO|WARNING|ERROR) +\S+ \[(\S+)\] \S"
)


@dataclass
class Served:
    """A `ventanilla serve` process and what it writes to stderr (its log)."""

    url: str
    log_file: Path

    def log(self) -> str:
        return self.log_file.read_text(encoding="utf-8")

    def lines(self) -> list[str]:
        return self.log().splitlines()

    async def wait_for(self, text: str, count: int = 1) -> list[str]:
        """The log's lines holding `text`, once there are `count` of them (a line is written
        just after its answer is sent)."""
        deadline = time.monotonic() + 10
        while True:
            found = [line for line in self.lines() if text in line]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            await asyncio.sleep(0.05)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@asynccontextmanager
async def serving(
    workdir: Path, store_url: str, config: str, *args: str, **env: str
) -> AsyncIterator[Served]:
    """`ventanilla serve --config <workdir>/ventanilla.toml` on a free port, until the block ends."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "ventanilla.toml").write_text(config, encoding="utf-8")
    port = _free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("VENTANILLA_")}
    environment |= {
        "VENTANILLA_SECRET_KEY": TEST_SECRET,
        "VENTANILLA_DATABASE_URL": store_url,
        "VENTANILLA_TIMEZONE": "UTC",
    }
    environment |= env
    log_file = workdir / "serve.log"
    with log_file.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "ventanilla", "serve", "--config", "ventanilla.toml", "--port", str(port), *args],
            stdout=subprocess.DEVNULL, stderr=stderr, env=environment, cwd=workdir,
        )  # fmt: skip
    served = Served(f"http://127.0.0.1:{port}", log_file)
    try:
        async with httpx.AsyncClient() as client:  # async: the proxies run on this event loop
            deadline = time.monotonic() + 60
            while True:
                try:
                    if (await client.get(f"{served.url}/health", timeout=1)).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline and process.poll() is None, served.log()[-3000:]
                await asyncio.sleep(0.2)
        yield served
    finally:
        process.terminate()
        process.wait(timeout=20)


async def _sign_in(client: httpx.AsyncClient) -> dict[str, str]:
    answer = (
        await client.post(
            "/graphql", json={"query": SIGN_IN, "variables": {"login": LOGIN, "password": PASSWORD}}
        )
    ).json()
    assert answer["data"]["signIn"]["errors"] == [], answer
    return {"Authorization": f"Bearer {answer['data']['signIn']['accessToken']}"}


async def _write(url: str, business: Callable[..., Awaitable[object]]) -> None:
    """A small demo business (the native one, or its reshaping into a legacy ERP) into `url`."""
    engine = create_async_engine(url)
    try:
        await business(engine, customers=4, seed=3, today=TODAY)
    finally:
        await engine.dispose()


async def _proxy_to(url: str) -> Proxy:
    """A started proxy in front of `url`'s server (reach it with `through(url, proxy)`)."""
    target = make_url(url)
    proxy = Proxy(target.host or "127.0.0.1", target.port or 0)
    await proxy.start()
    return proxy


@pytest.fixture(scope="module")
async def business(tmp_path_factory) -> AsyncIterator[tuple[str, str, Proxy]]:
    """The demo business in a SQLite store, with its tickets in an ISPCube database on MariaDB
    reached through a proxy: (store URL, ventanilla.toml routing tickets there, the proxy)."""
    workdir = tmp_path_factory.mktemp("logs")
    async with fresh_legacy_database("mariadb", workdir) as legacy:
        await _write(legacy, write_ispcube_demo)
        store_url = f"sqlite+aiosqlite:///{workdir / 'store.db'}"
        await _write(store_url, generate_demo)
        proxy = await _proxy_to(legacy)
        config = (
            f'[sources.isp]\nconnector = "ispcube"\nurl = "{through(legacy, proxy)}"\ntimeout_seconds = {TIMEOUT}\n\n'
            '[routes]\ntickets = "isp"\n'
        )
        yield store_url, config, proxy
        await proxy.stop()


@pytest.fixture(scope="module")
async def text_server(business, tmp_path_factory) -> AsyncIterator[Served]:
    store_url, config, _ = business
    async with serving(tmp_path_factory.mktemp("text"), store_url, config) as served:
        yield served


@pytest.fixture(scope="module")
async def json_server(business, tmp_path_factory) -> AsyncIterator[Served]:
    store_url, config, _ = business
    config += '\n[logging]\nformat = "json"\n'  # and the level from the environment, which wins
    async with serving(
        tmp_path_factory.mktemp("json"), store_url, config, VENTANILLA_LOG_LEVEL="info"
    ) as served:
        yield served


async def test_every_line_has_its_time_level_and_request_id(text_server) -> None:
    # given a served API
    async with httpx.AsyncClient(base_url=text_server.url) as client:
        # when a customer signs in and asks for its tickets, once naming its own request id
        headers = await _sign_in(client)
        answer = await client.post("/graphql", json={"query": TICKETS}, headers=headers)
        named = await client.post(
            "/graphql", json={"query": TICKETS}, headers=headers | {"X-Request-Id": "edge-7f3a.91"}
        )
        odd = await client.post(
            "/graphql", json={"query": TICKETS}, headers=headers | {"X-Request-Id": "two words\tand more"}
        )
    # then every answer names its request id, the caller's when it is a sane token
    request_id = answer.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{16}", request_id)
    assert named.headers["x-request-id"] == "edge-7f3a.91"
    assert re.fullmatch(r"[0-9a-f]{16}", odd.headers["x-request-id"])
    # and every line of the log, uvicorn's included, has a time, a level, its logger and a request id
    (line,) = await text_server.wait_for(f"[{request_id}]")
    assert all(TEXT_LINE.match(each) for each in text_server.lines()), text_server.log()
    assert any(" uvicorn.error [-] " in each for each in text_server.lines())
    # and the request's one access line says what ran, for whom, how it went
    assert " INFO    ventanilla.access " in line
    assert "POST /graphql 200 in " in line and "operation=Tickets principal=CUSTOMER:" in line
    assert re.search(r" statements=[1-9]\d*$", line), line
    assert await text_server.wait_for("[edge-7f3a.91] POST /graphql 200")
    # and uvicorn's own access line is gone: one line per request
    assert not [each for each in text_server.lines() if '"POST /graphql HTTP/1.1"' in each]


async def test_json_lines_carry_the_fields(json_server) -> None:
    # given the API logging JSON ([logging] format = "json")
    async with httpx.AsyncClient(base_url=json_server.url) as client:
        # when a customer signs in and asks for its tickets
        headers = await _sign_in(client)
        answer = await client.post(
            "/graphql", json={"query": TICKETS, "operationName": "Tickets"}, headers=headers
        )
    request_id = answer.headers["x-request-id"]
    await json_server.wait_for(request_id)
    # then every line is one JSON object with time, level, logger, request id and message
    entries = [json.loads(line) for line in json_server.lines()]
    assert all({"time", "level", "logger", "request_id", "message"} <= entry.keys() for entry in entries)
    # and the request's access line has the operation, the principal, the status, the duration, the statements
    (access,) = [e for e in entries if e["request_id"] == request_id and e["logger"] == "ventanilla.access"]
    assert access["level"] == "INFO"
    assert access["operation"] == "Tickets"
    assert access["principal"] == "CUSTOMER" and access["principal_id"].isdigit()
    assert access["status"] == 200 and access["method"] == "POST" and access["path"] == "/graphql"
    assert isinstance(access["duration_ms"], float) and access["statements"] >= 1
    sign_in = [e for e in entries if e.get("operation") == "SignIn"]
    assert sign_in and sign_in[0]["principal"] == "ANONYMOUS" and sign_in[0]["principal_id"] is None


async def test_a_source_outage_writes_one_line_per_request_and_no_traceback(business, text_server) -> None:
    # given a signed-in customer whose tickets come from the legacy source
    _, _, proxy = business
    async with httpx.AsyncClient(base_url=text_server.url, timeout=10) as client:
        headers = await _sign_in(client)
        try:
            # when the source is down (refused), then stalled (accepted, never answered)
            await proxy.stop()
            down = [await client.post("/graphql", json={"query": TICKETS}, headers=headers) for _ in range(4)]
            await proxy.blackhole()
            stalled = [
                await client.post("/graphql", json={"query": TICKETS}, headers=headers) for _ in range(2)
            ]
        finally:
            await proxy.restore()
    # then each request that failed wrote one warning, naming the source and why, under its id
    for answer, why in [
        *((a, "cannot be read") for a in down),
        *((a, f"did not answer within {TIMEOUT:g} s") for a in stalled),
    ]:
        assert [e["extensions"]["code"] for e in answer.json()["errors"]] == ["SOURCE_UNAVAILABLE"] * 2
        request_id = answer.headers["x-request-id"]
        await text_server.wait_for(f"[{request_id}] POST /graphql")
        warnings = [line for line in text_server.lines() if f"[{request_id}]" in line and " WARNING " in line]
        assert len(warnings) == 1, warnings
        assert "source failed: the isp database" in warnings[0] and why in warnings[0]
    # and nothing wrote a traceback or an error
    log = text_server.log()
    assert "Traceback" not in log
    assert not [line for line in text_server.lines() if " ERROR " in line]


async def test_a_client_that_hangs_up_mid_request_writes_no_error(text_server) -> None:
    # given a client that announces a body and hangs up half way through it
    host, port = urlsplit(text_server.url).hostname, urlsplit(text_server.url).port
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(
        b"POST /graphql HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\nX-Request-Id: hangs-up-1\r\n"
        b'Content-Length: 200\r\n\r\n{"query": "{ portal {'
    )
    await writer.drain()
    await asyncio.sleep(0.3)
    writer.close()
    # then the request's one line says so, at INFO, and nothing wrote an error or a traceback
    (line,) = await text_server.wait_for("[hangs-up-1]")
    assert " INFO " in line and "the client hung up" in line
    assert "Traceback" not in text_server.log()
    assert not [line for line in text_server.lines() if " ERROR " in line]


async def test_no_token_password_or_link_signature_reaches_the_log(json_server) -> None:
    # given a session: a sign-in by variables and one with the password inline, its tokens used, a download
    inline = SIGN_IN.replace("($login: String!, $password: String!)", "")
    inline = inline.replace("$login", json.dumps(LOGIN)).replace("$password", json.dumps(PASSWORD))
    async with httpx.AsyncClient(base_url=json_server.url) as client:
        signed = (
            await client.post(
                "/graphql", json={"query": SIGN_IN, "variables": {"login": LOGIN, "password": PASSWORD}}
            )
        ).json()
        again = (await client.post("/graphql", json={"query": inline})).json()
        tokens = [signed["data"]["signIn"][k] for k in ("accessToken", "refreshToken")]
        tokens += [again["data"]["signIn"][k] for k in ("accessToken", "refreshToken")]
        headers = {"Authorization": f"Bearer {tokens[0]}"}
        link = (await client.post("/graphql", json={"query": INVOICE_LINK}, headers=headers)).json()
        pdf_url = link["data"]["viewer"]["customer"]["invoices"]["nodes"][0]["pdfUrl"]
        download = await client.get(pdf_url)
        assert download.status_code == 200
    (access,) = [json.loads(line) for line in await json_server.wait_for(download.headers["x-request-id"])]
    assert access["method"] == "GET" and access["path"] == urlsplit(pdf_url).path and access["status"] == 200
    # then the log holds none of the secrets: password, tokens, the link's signature
    log = json_server.log()
    signature = dict(parse_qsl(urlsplit(pdf_url).query))["sig"]
    for secret in [PASSWORD, *tokens, signature]:
        assert secret not in log
    assert LOGIN not in log  # nor who typed what: the principal is an id


async def test_a_store_outage_is_one_line_per_request(tmp_path) -> None:
    # given the API on a PostgreSQL store reached through a proxy, and a signed-in customer
    async with fresh_database("postgresql", tmp_path) as url:
        await _write(url, generate_demo)
        proxy = await _proxy_to(url)
        try:
            async with serving(tmp_path / "serve", through(url, proxy), "") as served:
                async with httpx.AsyncClient(base_url=served.url, timeout=10) as client:
                    headers = await _sign_in(client)
                    # when the store goes down
                    await proxy.stop()
                    answers = [
                        await client.post("/graphql", json={"query": TICKETS}, headers=headers)
                        for _ in range(3)
                    ]
                    await proxy.start()
                # then each request wrote one warning under its id and no traceback
                for answer in answers:
                    request_id = answer.headers["x-request-id"]
                    await served.wait_for(f"[{request_id}] POST /graphql")
                    warnings = [
                        line for line in served.lines() if f"[{request_id}]" in line and " WARNING " in line
                    ]
                    assert len(warnings) == 1, served.log()[-3000:]
                    assert "Connect" in warnings[0] or "connection" in warnings[0].lower(), warnings
                assert "Traceback" not in served.log()
        finally:
            await proxy.stop()


# --- in process: what the access line counts, and the unexpected ----------------------------------


def _as_served(stream: StringIO) -> logging.Handler:
    """A handler writing to `stream` what `ventanilla serve`'s writes (web/logs.py logging_config)."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(TextFormatter())
    handler.addFilter(OutageLines())
    return handler


@asynccontextmanager
async def logged(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, StringIO, Starlette]]:
    """The app in process on a demo store, its log lines formatted as `serve` writes them."""
    async with fresh_database("sqlite", tmp_path) as url:
        await _write(url, generate_demo)
        app = create_app(Settings(database_url=url, secret_key=TEST_SECRET, timezone="UTC"))
        written = StringIO()
        handler = _as_served(written)
        root = logging.getLogger()
        root.addHandler(handler)
        level = root.level
        root.setLevel(logging.INFO)  # setLevel, not the attribute: loggers cache what they write
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://t"
            ) as client:
                yield client, written, app
        finally:
            root.removeHandler(handler)
            root.setLevel(level)
            await app.state.close()


async def test_the_access_line_counts_every_statement_of_its_request(tmp_path) -> None:
    counted: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        counted.append(statement)

    async with logged(tmp_path) as (client, written, _):
        headers = await _sign_in(client)
        # when a customer asks for its tickets, with a listener of our own counting the statements
        event.listen(Engine, "before_cursor_execute", count)
        try:
            answer = await client.post("/graphql", json={"query": TICKETS}, headers=headers)
        finally:
            event.remove(Engine, "before_cursor_execute", count)
    # then its access line counts as many
    request_id = answer.headers["x-request-id"]
    lines = written.getvalue().splitlines()
    (line,) = [line for line in lines if f"[{request_id}]" in line and " statements=" in line]
    assert counted and line.endswith(f" statements={len(counted)}"), (line, len(counted))


async def test_an_unexpected_failure_is_masked_under_the_request_id_with_one_traceback(
    tmp_path, monkeypatch
) -> None:
    async with logged(tmp_path) as (client, written, app):
        headers = await _sign_in(client)

        # given a failure nobody expects, in a source read and in the middleware
        async def broken(*args, **kwargs):
            raise RuntimeError("a bug")

        monkeypatch.setattr(type(app.state.source), "tickets_of", broken)
        in_field = await client.post("/graphql", json={"query": ONE_TICKET_LIST}, headers=headers)
        monkeypatch.setattr(middleware, "principal_from_header", broken)
        escaped = await client.post("/graphql", json={"query": ONE_TICKET_LIST}, headers=headers)
    # then the caller gets INTERNAL_ERROR naming the request id of the X-Request-Id header
    for answer in (in_field, escaped):
        request_id = answer.headers["x-request-id"]
        errors = answer.json()["errors"]
        assert {e["extensions"]["code"] for e in errors} == {"INTERNAL_ERROR"}
        assert all(request_id in e["message"] for e in errors), errors
        # and the log has its error line under that id, with one traceback
        block = written.getvalue().split(f"ERROR   ventanilla [{request_id}] request {request_id} failed\n")
        assert len(block) == 2 and block[1].startswith("Traceback"), written.getvalue()[-3000:]
        assert "RuntimeError: a bug" in block[1]
    assert escaped.status_code == 500 and escaped.headers["content-type"] == "application/json"


async def _smtp_refused(port: int) -> None:
    import aiosmtplib

    await aiosmtplib.send(
        "Subject: x\n\nx", sender="a@example.com", recipients=["b@example.com"], port=port, timeout=5
    )


async def _redis_refused(port: int) -> None:
    import redis.asyncio

    client = redis.asyncio.Redis(port=port, socket_connect_timeout=5)
    try:
        await client.incr("ventanilla:attempts")
    finally:
        await client.aclose()


@pytest.mark.parametrize("fail", [_smtp_refused, _redis_refused], ids=["smtp", "redis"])
async def test_whoever_logs_an_outage_with_its_traceback_writes_one_line(fail) -> None:
    # given a mail server or Redis that refuses connections, and a logger that logs the failure
    # with its traceback (as the mailer does)
    written = StringIO()
    handler = _as_served(written)
    logger = logging.getLogger("ventanilla.test_logs")
    logger.addHandler(handler)
    try:
        # when it fails
        try:
            await fail(_free_port())
        except Exception:
            logger.exception("could not reach it")
    finally:
        logger.removeHandler(handler)
    # then that is one warning line saying why, without a traceback
    (line,) = written.getvalue().splitlines()
    assert " WARNING ventanilla.test_logs [-] could not reach it: " in line
    assert "Connect" in line or "connect" in line, line
