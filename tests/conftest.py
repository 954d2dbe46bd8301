"""Shared fixtures: fresh databases on the real servers this machine runs."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

# The PostgreSQL server the tests create their throw-away databases on.
PG_SERVER = os.environ.get("VENTANILLA_TEST_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432")
BACKENDS = ["sqlite", "postgresql"]


@asynccontextmanager
async def fresh_database(backend: str, tmp_dir: Path, icu_locale: str | None = None) -> AsyncIterator[str]:
    """Yield the URL of a new, empty database on `backend`; drop it afterwards. `icu_locale`: a
    PostgreSQL database that collates text by that ICU locale ("es-AR"), as a customer's may."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_dir / f'{uuid.uuid4().hex}.db'}"
        return
    name = f"vt_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(f"{PG_SERVER}/test", isolation_level="AUTOCOMMIT")
    locale = f" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '{icu_locale}'" if icu_locale else ""
    try:
        async with admin.connect() as conn:
            await conn.exec_driver_sql(f'CREATE DATABASE "{name}"{locale}')
        yield f"{PG_SERVER}/{name}"
    finally:
        async with admin.connect() as conn:
            await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.dispose()


@pytest.fixture(params=BACKENDS)
async def empty_engine(request, tmp_path) -> AsyncIterator[AsyncEngine]:
    """An async engine on a new empty database, once on SQLite and once on PostgreSQL."""
    async with fresh_database(request.param, tmp_path) as url:
        engine = create_async_engine(url)
        try:
            yield engine
        finally:
            await engine.dispose()


DEMO_TODAY = __import__("datetime").date.today()
DEMO_CUSTOMERS = 30
TEST_SECRET = "test-secret-key-of-at-least-32-bytes!"


@dataclass
class DemoApi:
    """A demo database behind the real app, and an HTTP client for it."""

    backend: str
    url: str
    engine: AsyncEngine
    client: httpx.AsyncClient
    settings: object

    async def post(self, query: str, variables: dict | None = None, token: str | None = None, **headers):
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return await self.client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)

    async def gql(self, query: str, variables: dict | None = None, token: str | None = None, **headers) -> dict:
        response = await self.post(query, variables, token, **headers)
        assert response.status_code == 200, response.text
        return response.json()

    async def sign_in(self, login: str, password: str) -> str:
        body = await self.gql(SIGN_IN, {"login": login, "password": password})
        payload = body["data"]["signIn"]
        assert payload["errors"] == [], payload
        return payload["accessToken"]


SIGN_IN = """
mutation($login: String!, $password: String!) {
  signIn(input: {login: $login, password: $password}) { accessToken expiresIn errors { code message field } }
}
"""


@pytest.fixture(scope="session", params=BACKENDS)
async def demo_api(request, tmp_path_factory) -> AsyncIterator[DemoApi]:
    """The demo business (30 customers, fixed date) served by the app, on SQLite and PostgreSQL; its
    attachments in a blob store directory of its own."""
    from ventanilla.demo.business import generate_demo
    from ventanilla.settings import Settings
    from ventanilla.store.blobs import DirectoryBlobs
    from ventanilla.web.app import create_app

    files = tmp_path_factory.mktemp("files")
    async with fresh_database(request.param, tmp_path_factory.mktemp("demo")) as url:
        engine = create_async_engine(url)
        await generate_demo(engine, customers=DEMO_CUSTOMERS, seed=7, today=DEMO_TODAY, blobs=DirectoryBlobs(files))
        settings = Settings(database_url=url, secret_key=TEST_SECRET, timezone="UTC", files_directory=str(files))
        app = create_app(settings)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield DemoApi(request.param, url, engine, client, settings)
        await app.state.close()
        await engine.dispose()


async def _generate_demo_into(url: str, files: Path | None, *, customers: int, seed: int, today) -> None:
    """The demo business of these arguments written into the database at `url` (its tickets'
    files into `files`, if given)."""
    from ventanilla.demo.business import generate_demo
    from ventanilla.store.blobs import DirectoryBlobs

    engine = create_async_engine(url)
    try:
        blobs = DirectoryBlobs(files) if files is not None else None
        await generate_demo(engine, customers=customers, seed=seed, today=today, blobs=blobs)
    finally:
        await engine.dispose()


class DemoTemplates:
    """Demo businesses generated once per session, each then copied for every fixture that wants a
    database of its own holding it: a SQLite file copied, a PostgreSQL database made from it as a
    template, and the files its tickets attach copied into the caller's directory. `generate_demo`
    gives the same rows for the same arguments, so a copy holds what a generation would (only the
    salts of its password hashes are the template's)."""

    BACKENDS = ("sqlite", "postgresql")

    def __init__(self) -> None:
        self.tmp_dir: Path | None = None  # set by the session's fixture (demo_templates)
        # (backend, customers, seed, today, with files) -> (SQLite file or database name, files directory)
        self.made: dict[tuple, tuple[str, Path | None]] = {}

    async def _generate(self, backend: str, customers: int, seed: int, today, with_files: bool) -> tuple:
        import tempfile


        if self.tmp_dir is None:
            self.tmp_dir = Path(tempfile.mkdtemp(prefix="vt-templates-"))
        mark = uuid.uuid4().hex[:12]
        files = self.tmp_dir / f"files-{mark}" if with_files else None
        if backend == "sqlite":
            path = self.tmp_dir / f"template-{mark}.db"
            url, made = f"sqlite+aiosqlite:///{path}", str(path)
        else:
            made = f"vt_tmpl_{mark}"
            admin = create_async_engine(f"{PG_SERVER}/test", isolation_level="AUTOCOMMIT")
            try:
                async with admin.connect() as conn:
                    await conn.exec_driver_sql(f'CREATE DATABASE "{made}"')
            finally:
                await admin.dispose()
            url = f"{PG_SERVER}/{made}"
        await _generate_demo_into(url, files, customers=customers, seed=seed, today=today)
        return made, files

    @asynccontextmanager
    async def copy(
        self, backend: str, tmp_dir: Path, *, customers: int, seed: int, today, files: Path | None = None
    ) -> AsyncIterator[str]:
        """The URL of a new database holding the demo business of these arguments (dropped
        afterwards); with `files`, the files its tickets attach are copied into that directory."""
        import asyncio
        import shutil

        if backend not in self.BACKENDS:  # generated as before
            async with fresh_legacy_database(backend, tmp_dir) as url:
                await _generate_demo_into(url, files, customers=customers, seed=seed, today=today)
                yield url
            return
        key = (backend, customers, seed, today, files is not None)
        if key not in self.made:
            self.made[key] = await self._generate(backend, customers, seed, today, files is not None)
        template, template_files = self.made[key]
        if files is not None:
            shutil.copytree(template_files, files, dirs_exist_ok=True)
        if backend == "sqlite":
            path = tmp_dir / f"{uuid.uuid4().hex}.db"
            shutil.copyfile(template, path)
            yield f"sqlite+aiosqlite:///{path}"
            return
        name = f"vt_{uuid.uuid4().hex[:12]}"
        admin = create_async_engine(f"{PG_SERVER}/test", isolation_level="AUTOCOMMIT")
        try:
            for attempt in range(50):  # the template's last connection may still be ending
                try:
                    async with admin.connect() as conn:
                        await conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
                    break
                except Exception as error:
                    if "is being accessed by other users" not in str(error) or attempt == 49:
                        raise
                    await asyncio.sleep(0.1)
            yield f"{PG_SERVER}/{name}"
        finally:
            async with admin.connect() as conn:
                await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.dispose()

    async def drop(self) -> None:
        """Drop the PostgreSQL templates (the SQLite ones are files of the session's tmp_path)."""
        admin = create_async_engine(f"{PG_SERVER}/test", isolation_level="AUTOCOMMIT")
        try:
            async with admin.connect() as conn:
                for (backend, *_), (made, _) in self.made.items():
                    if backend == "postgresql":
                        await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{made}" WITH (FORCE)')
        finally:
            await admin.dispose()
        self.made.clear()


# The session's templates: used by access_api and by the portals of tests/portal_actions.py and
# tests/tickets_portal.py (plain context managers, no fixtures).
DEMO_TEMPLATES = DemoTemplates()


@pytest.fixture(scope="session", autouse=True)
async def demo_templates(tmp_path_factory) -> AsyncIterator[DemoTemplates]:
    """DEMO_TEMPLATES for the session: its files under the session's tmp_path, its PostgreSQL
    templates dropped at the end."""
    DEMO_TEMPLATES.tmp_dir = tmp_path_factory.mktemp("templates")
    try:
        yield DEMO_TEMPLATES
    finally:
        await DEMO_TEMPLATES.drop()


@pytest.fixture
def fresh_database_factory():
    """`fresh_database` for tests that need several databases in one test."""
    return fresh_database


# --- legacy connectors (tests/test_contract_*.py, tests/test_connector_*.py) -------------------

# The MariaDB server the ISPCube-style connector is tested on.
MARIADB_SERVER = os.environ.get("VENTANILLA_TEST_MARIADB", "mysql+asyncmy://root@127.0.0.1:3306")


@asynccontextmanager
async def fresh_legacy_database(backend: str, tmp_dir: Path, collation: str | None = None) -> AsyncIterator[str]:
    """`fresh_database`, plus MariaDB (`mariadb`): a new empty database's URL, dropped afterwards.
    `collation`: MariaDB's default for the database (utf8mb4_bin unless given, e.g. the server's
    usual utf8mb4_general_ci), or PostgreSQL's ICU locale (`fresh_database`)."""
    if backend != "mariadb":
        async with fresh_database(backend, tmp_dir, collation) as url:
            yield url
        return
    name = f"vt_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(f"{MARIADB_SERVER}/test", isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.exec_driver_sql(
                f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE {collation or 'utf8mb4_bin'}"
            )
        yield f"{MARIADB_SERVER}/{name}?charset=utf8mb4"
    finally:
        async with admin.connect() as conn:
            await conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
        await admin.dispose()


# --- access (FEATURES.md A): a demo business of its own, a real SMTP server ---------------------

ACCESS_ADMIN = ("admin.test@example.com", "clave.admin.larga")


class SmtpInbox:
    """Messages a real local SMTP server (aiosmtpd) received, as parsed emails."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        import email
        from email import policy

        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]

    def last_to(self, address: str):
        found = self.to(address)
        assert found, f"no email to {address}; got {[m['To'] for m in self.messages]}"
        return found[-1]


@pytest.fixture(scope="session")
def smtp_inbox():
    """A real SMTP server on a free local port for the whole session."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = SmtpInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.url = f"smtp://127.0.0.1:{port}"
    yield inbox
    controller.stop()


async def mail_settled(engine: AsyncEngine, seconds: float = 10.0) -> None:
    """Wait until no email is left queued in the store of `engine` (sent or given up)."""
    import asyncio

    from sqlalchemy import func, select
    from ventanilla.store.tables import outgoing_mail

    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        async with engine.connect() as conn:
            queued = (await conn.execute(select(func.count()).where(outgoing_mail.c.next_attempt_at.is_not(None)))).scalar_one()
        if not queued:
            return
        assert asyncio.get_running_loop().time() < deadline, f"{queued} email(s) still queued after {seconds} s"
        await asyncio.sleep(0.02)


@dataclass
class AccessApi(DemoApi):
    """DemoApi plus the inbox, the admin's login and a way to serve the same store with other settings."""

    inbox: SmtpInbox = None
    apps: list = None

    async def settled(self, seconds: float = 10.0) -> None:
        """Wait until the app's mail worker has sent (or given up) every queued email."""
        await mail_settled(self.engine, seconds)

    async def mail_to(self, address: str):
        """The last email `address` received, once every queued one went out."""
        await self.settled()
        return self.inbox.last_to(address)

    def client_for(self, ip: str = "10.0.0.1", **overrides) -> httpx.AsyncClient:
        """Another app (another worker) on the same store, with `overrides` settings, calling from `ip`."""
        from ventanilla.web.app import create_app

        app = create_app(self.settings.model_copy(update=overrides))
        self.apps.append(app)
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(ip, 4321)), base_url="http://testserver")


@pytest.fixture(scope="module", params=BACKENDS)
async def access_api(request, tmp_path_factory, smtp_inbox, demo_templates) -> AsyncIterator[AccessApi]:
    """A fresh demo business per test module (these tests change users), mail to `smtp_inbox`:
    a copy of the one generated for the session."""
    from ventanilla.settings import Settings
    from ventanilla.store.users import create_user
    from ventanilla.web.app import create_app

    copy = demo_templates.copy(
        request.param, tmp_path_factory.mktemp("access"), customers=DEMO_CUSTOMERS, seed=7, today=DEMO_TODAY
    )
    async with copy as url:
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await create_user(conn, login=ACCESS_ADMIN[0], name="Admin Test", password=ACCESS_ADMIN[1],
                              kind="STAFF", role="admin")
        # The app runs its lifespan, so its mail worker delivers what any app of the module queues
        # (those of client_for() included, which it finds by polling).
        settings = Settings(database_url=url, secret_key=TEST_SECRET, timezone="UTC", smtp_url=smtp_inbox.url,
                            ip_attempts="1000/15 minutes", portal_url="https://portal.example.com",
                            mail_poll_seconds=0.05)
        app = create_app(settings)
        transport = httpx.ASGITransport(app=app, client=(f"10.9.{uuid.uuid4().int % 250}.1", 1234))
        api = None
        async with app.router.lifespan_context(app), \
                httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            api = AccessApi(request.param, url, engine, client, settings, inbox=smtp_inbox, apps=[app])
            yield api
        for served in api.apps:
            await served.state.close()
        await engine.dispose()


# The contract suite's random business (tests/test_contract_connectors.py), beside its fixed seeds:
# drawn per run and printed in the header, or forced to replay a failure.
CONTRACT_SEED_VARIABLE = "VENTANILLA_CONTRACT_SEED"
CONTRACT_RANDOM_SEED = int(os.environ.get(CONTRACT_SEED_VARIABLE) or __import__("random").SystemRandom().randrange(1, 100_000))


def pytest_report_header(config) -> str:
    return (
        f"contract suite: random seed {CONTRACT_RANDOM_SEED} "
        f"(replay with {CONTRACT_SEED_VARIABLE}={CONTRACT_RANDOM_SEED})"
    )


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Say loudly, last, which tests did not run because a program is missing (Chromium ...)."""
    lacking = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if isinstance(report.longrepr, tuple) and "needs a program this machine lacks" in report.longrepr[2]
    ]
    if lacking:
        terminalreporter.section("NOT RUN: programs missing on this machine", sep="!", red=True, bold=True)
        for report in lacking:
            terminalreporter.write_line(f"{report.nodeid}: {report.longrepr[2]}", red=True, bold=True)
        terminalreporter.write_line("`.ci/run` installs them; see README, Tests.", bold=True)
