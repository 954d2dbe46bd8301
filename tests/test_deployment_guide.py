"""docs/deployment.md's commands are the ones this test runs: it reads every line of the guide's
`sh` blocks and runs each, in order, in a shell, with the guide's ventanilla.toml, against the
real PostgreSQL, Redis and an SMTP server of its own; after each it checks what the guide says
the command does. A command added to the guide without a check here fails the test."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine
from ventanilla.store.schema import current, head
from ventanilla.store.tables import audit_log

from .conftest import TEST_SECRET, fresh_database

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "deployment.md"
# The client's address, as the proxy in front says it: one per run (the limits live in the shared Redis).
FORWARDED = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"
RUN = uuid.uuid4().hex[:8]  # the logins tried: new ones per run (their limits live in the shared Redis)
LOAD = 24  # requests in flight at once while the connections are counted
SIGN_IN = (
    """mutation($l: String!, $p: String!) { signIn(input: {login: $l, password: $p}) { errors { code } } }"""
)


def _blocks(language: str) -> list[str]:
    text = GUIDE.read_text(encoding="utf-8")
    return [m.group(1) for m in re.finditer(rf"^\s*```{language}\n(.*?)^\s*```", text, re.M | re.S)]


def guide_commands() -> list[str]:
    """Every command of the guide's sh blocks, in order (a trailing backslash continues a line)."""
    commands = []
    for block in _blocks("sh"):
        for line in re.sub(r"\\\n\s*", " ", block).splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _libpq(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


class Shell:
    """Runs the guide's lines as an operator's shell would, in the directory of ventanilla.toml."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir, self.env, self.ran = workdir, env, []

    async def run(self, command: str) -> tuple[int, str]:
        self.ran.append(command)
        process = await asyncio.create_subprocess_exec(
            "bash", "-c", command, cwd=self.workdir, env=self.env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        out, _ = await asyncio.wait_for(process.communicate(), 120)
        return process.returncode, out.decode()

    def start(self, command: str) -> subprocess.Popen:
        self.ran.append(command)
        log = (self.workdir / "serve.log").open("w")
        return subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=self.workdir, env=self.env,
                                stdout=log, stderr=subprocess.STDOUT)  # fmt: skip


async def _ready(base: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient(base_url=base) as client:
        while True:
            try:
                if (await client.get("/readyz", timeout=2)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and process.poll() is None, log.read_text()[-3000:]
            await asyncio.sleep(0.2)


async def _sign_ins(base: str, n: int) -> None:
    """`n` failed sign-ins at once, each on a connection of its own, through "the proxy"."""

    async def one(k: int) -> None:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            answer = await client.post("/graphql", json={"query": SIGN_IN, "variables": {
                "l": f"nadie-{RUN}-{k}@example.com", "p": "no-es-la-clave"}},
                headers={"X-Forwarded-For": FORWARDED, "X-Forwarded-Proto": "https"})  # fmt: skip
            assert answer.status_code == 200, answer.text
            assert (answer.json()["data"] or {}).get("signIn", {}).get("errors", [{}])[0].get("code") == (
                "INVALID_CREDENTIALS"
            ), answer.text

    await asyncio.gather(*(one(k) for k in range(n)))


async def _audit_rows(url: str) -> int:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(select(func.count()).select_from(audit_log))).scalar_one()
    finally:
        await engine.dispose()


async def _revision(url: str) -> str | None:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await current(conn)
    finally:
        await engine.dispose()


async def test_the_deployment_guide_runs_as_written(tmp_path, smtp_inbox) -> None:
    commands = guide_commands()
    (toml,) = _blocks("toml")
    pool_size = int(re.search(r"^pool_size = (\d+)", toml, re.M).group(1))
    workers = int(re.search(r"--workers (\d+)", " ".join(commands)).group(1))
    async with (
        fresh_database("postgresql", tmp_path) as url,
        fresh_database("postgresql", tmp_path) as restore,
    ):
        store = f"{url}?prepared_statement_cache_size=0&statement_cache_size=0"  # as the guide's [store] url
        (tmp_path / "ventanilla.toml").write_text(toml, encoding="utf-8")
        port = _free_port()
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("VENTANILLA_", "OTEL_", "PROMETHEUS_"))
        }
        env |= {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            "VENTANILLA_SECRET_KEY": TEST_SECRET, "VENTANILLA_DATABASE_URL": store,  # the servers of this test
            "VENTANILLA_SMTP_URL": smtp_inbox.url, "VENTANILLA_TIMEZONE": "UTC",
            "VENTANILLA_IP_ATTEMPTS": "100000/15 minutes",  # the load comes from one address
            "VENTANILLA_STORE_TIMEOUT_SECONDS": "30",  # a pool's wait on a machine busy with other tests
            "PG_URL": _libpq(url), "RESTORE_URL": _libpq(restore), "PORT": str(port),
        }  # fmt: skip
        shell = Shell(tmp_path, env)
        base = f"http://127.0.0.1:{port}"
        served: subprocess.Popen | None = None
        migrations = 0
        try:
            for command in commands:
                words = command.split()
                if words[:2] == ["ventanilla", "check-config"]:
                    code, out = await shell.run(command)
                    # the guide's file is good; before the first migrate the store is a warning
                    assert code == 0, out
                    assert (
                        "error" not in [line.split()[0] for line in out.splitlines() if line.strip()][:-1]
                    ), out
                    assert "reachable" in out and "[access] smtp_url" in out and "[access] redis_url" in out
                elif words[:2] == ["ventanilla", "migrate"]:
                    code, out = await shell.run(command)
                    assert code == 0, out
                    assert await _revision(url) == head()
                    assert ("migrated" if migrations == 0 else "up to date") in out, out
                    migrations += 1
                elif words[:2] == ["ventanilla", "serve"]:
                    served = shell.start(command)
                    await _ready(base, served, tmp_path / "serve.log")
                    await _sign_ins(base, 10)
                elif words[0] == "psql" and "max_connections" in command:
                    code, out = await shell.run(command)
                    assert code == 0, out
                    # the guide's pools fit this server: pool_size x 2 pools x workers, one instance
                    assert pool_size * 2 * workers <= int(out.strip())
                elif words[0] == "psql" and "pg_stat_activity" in command:
                    # counted while LOAD requests are in flight on both workers
                    load = asyncio.create_task(_sign_ins(base, LOAD))
                    await asyncio.sleep(0.3)
                    counts = []
                    while not load.done():
                        code, out = await shell.run(command)
                        assert code == 0, out
                        counts.append(int(out.strip()) - 1)  # psql's own connection left out
                    await load
                    assert 1 <= max(counts) <= pool_size * 2 * workers, counts
                elif words[0] == "pg_dump":
                    code, out = await shell.run(command)
                    assert code == 0, out
                    assert (tmp_path / "ventanilla-store.dump").stat().st_size > 0
                elif words[0] == "pg_restore":
                    code, out = await shell.run(command)
                    assert code == 0, out
                    # the restored store has the rows and the revision of the one dumped
                    restored = restore.replace("postgresql://", "postgresql+asyncpg://")
                    assert await _audit_rows(restored) == await _audit_rows(url) > 0
                    assert await _revision(restored) == head()
                elif words[:3] == ["ventanilla", "access", "audit"]:
                    code, out = await shell.run(command)
                    assert code == 0, out
                    # the proxy's X-Forwarded-For was trusted from 127.0.0.1: the client's address is audited
                    rows = [line for line in out.splitlines() if "SIGN_IN" in line]
                    assert rows and all(f"ip={FORWARDED}" in line for line in rows), out
                else:
                    raise AssertionError(
                        f"docs/deployment.md runs {command!r}, which this test does not check"
                    )
        finally:
            if served is not None:
                served.send_signal(signal.SIGTERM)
                exited = served.wait(timeout=40)
        assert served is not None and exited == 0, (tmp_path / "serve.log").read_text()[-2000:]
    # every command of the guide was run, and nothing else
    assert sorted(set(shell.ran)) == sorted(set(commands))


def test_the_guide_has_the_commands_an_operator_needs() -> None:
    commands = " ; ".join(guide_commands())
    for needed in ("ventanilla check-config", "ventanilla migrate", "ventanilla serve", "--proxy-headers",
                   "--forwarded-allow-ips", "--workers", "pg_dump", "pg_restore", "max_connections"):  # fmt: skip
        assert needed in commands, needed


async def test_the_guides_store_url_turns_both_statement_caches_off(tmp_path) -> None:
    from ventanilla.store.engine import store_engine

    (toml,) = _blocks("toml")
    query = re.search(r'^url = "[^"?]*\?([^"]*)"', toml, re.M).group(1)
    async with fresh_database("postgresql", tmp_path) as url:
        engine = store_engine(f"{url}?{query}", 2, 3.0)
        try:
            async with engine.connect() as conn:
                raw = await conn.get_raw_connection()
                assert raw.driver_connection._stmt_cache.get_max_size() == 0  # asyncpg's
                assert raw.dbapi_connection._prepared_statement_cache is None  # SQLAlchemy's
        finally:
            await engine.dispose()
