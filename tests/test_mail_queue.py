"""Access mail survives SMTP outages: queued in the store, sent by the app's worker, retried until
the server is back, failed (audited, listed for admins) when it never is; and the request answers
at once, the same for every login, whatever SMTP does.

A real SMTP server (aiosmtpd) of each test sits behind tests/proxy.Proxy, switched down (refused)
or into a blackhole (accepted, never answered); the machine's shared servers are never touched.
"""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import create_async_engine
from ventanilla.settings import Settings
from ventanilla.store.schema import migrate
from ventanilla.store.users import create_user
from ventanilla.web.app import create_app

from .conftest import TEST_SECRET, SmtpInbox, fresh_database, mail_settled
from .proxy import Proxy

CUSTOMER = "ana@example.com"
UNKNOWN = "nadie@example.com"
ADMIN = ("jefa@example.com", "clave.de.la.jefa")
PASSWORD = "vieja.clave.larga"
PROMPTLY = 3.0  # seconds: far below the SMTP timeout a request used to wait for

REQUEST_RESET = (
    """mutation($login: String!) { requestPasswordReset(input: {login: $login}) { ok errors { code } } }"""
)
REQUEST_CODE = """mutation($email: String!) { requestSignInCode(input: {email: $email}) { ok expiresIn errors { code } } }"""
RESET = """mutation($token: String!) { resetPassword(input: {token: $token, newPassword: "nueva.clave.larga"}) {
  accessToken errors { code } } }"""
SIGN_IN = """mutation($login: String!, $password: String!) { signIn(input: {login: $login, password: $password}) {
  accessToken } }"""
OUTGOING = """query($status: EmailStatus) { outgoingEmails(first: 20, status: $status) {
  recipient kind status attempts queuedAt nextAttemptAt sentAt failedAt lastError } }"""
AUDIT = """query($event: String) { auditLog(first: 20, event: $event) { event outcome login detail } }"""


@asynccontextmanager
async def smtp_server() -> AsyncIterator[tuple[SmtpInbox, Proxy]]:
    """A real SMTP server of this test's own, and the proxy the app reaches it through."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = SmtpInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    proxy = Proxy("127.0.0.1", port)
    await proxy.start()
    inbox.url = f"smtp://127.0.0.1:{proxy.port}"
    try:
        yield inbox, proxy
    finally:
        await proxy.stop()
        controller.stop()


@asynccontextmanager
async def store(backend: str, tmp_path, customers: int = 1) -> AsyncIterator[str]:
    """A store with `customers` customer users (ana@, ana1@ ...) and an admin."""
    async with fresh_database(backend, tmp_path) as url:
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await migrate(conn)
            for n in range(customers):
                await create_user(conn, login=login_of(n), name=f"Ana {n}", password=PASSWORD, kind="CUSTOMER",
                                  customer_ids=["1"])  # fmt: skip
            await create_user(
                conn, login=ADMIN[0], name="Jefa", password=ADMIN[1], kind="STAFF", role="admin"
            )
        await engine.dispose()
        yield url


def login_of(n: int) -> str:
    return CUSTOMER if n == 0 else f"ana{n}@example.com"


def settings_for(url: str, smtp_url: str | None, **overrides) -> Settings:
    quick = {"mail_retry_seconds": 0.1, "mail_poll_seconds": 0.05, "mail_timeout_seconds": 1.0}
    # The store alone, no billing tables: signing in does not ask the billing source about the account.
    return Settings(database_url=url, secret_key=TEST_SECRET, timezone="UTC", smtp_url=smtp_url,
                    portal_url="https://portal.example.com", former_customers_keep_access=True,
                    **(quick | overrides))  # fmt: skip


@asynccontextmanager
async def serving(settings: Settings, worker: bool = True) -> AsyncIterator[httpx.AsyncClient]:
    """The app over HTTP; with `worker`, its lifespan runs (and with it the mail worker)."""
    app = create_app(settings)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    client.app = app
    try:
        if worker:
            async with app.router.lifespan_context(app), client:
                yield client
        else:
            async with client:
                yield client
    finally:
        await app.state.close()


async def gql(client: httpx.AsyncClient, query: str, bearer: str | None = None, **variables) -> dict:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    response = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def promptly(answer) -> dict:  # noqa: ANN001 - an awaitable answer
    """The answer, which must come well before any SMTP timeout (an outage bound, not a speed test)."""
    return await asyncio.wait_for(answer, PROMPTLY)


async def arrived(inbox: SmtpInbox, address: str, seconds: float = 10.0):
    """The first email to `address`, waiting for the worker to send it."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not inbox.to(address):
        assert asyncio.get_running_loop().time() < deadline, f"no email to {address} after {seconds} s"
        await asyncio.sleep(0.02)
    return inbox.to(address)[0]


async def outgoing_rows(url: str) -> list[dict]:
    from ventanilla.store.tables import outgoing_mail

    engine = create_async_engine(url)
    async with engine.connect() as conn:
        rows = [
            dict(r._mapping) for r in await conn.execute(select(outgoing_mail).order_by(outgoing_mail.c.id))
        ]
    await engine.dispose()
    return rows


async def until(check, seconds: float = 10.0):  # noqa: ANN001 - an async predicate
    deadline = asyncio.get_running_loop().time() + seconds
    while not (found := await check()):
        assert asyncio.get_running_loop().time() < deadline, "the condition never held"
        await asyncio.sleep(0.05)
    return found


def token_in(mail) -> str:
    link = re.search(r"https://\S+", mail.get_content()).group(0)
    return parse_qs(urlsplit(link).query)["token"][0]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_smtp_down_the_request_answers_ok_at_once_and_the_link_goes_out_once_it_is_back(
    backend, tmp_path
):
    async with store(backend, tmp_path) as url, smtp_server() as (inbox, smtp), \
            serving(settings_for(url, inbox.url)) as client:  # fmt: skip
        # given SMTP refusing connections
        await smtp.stop()
        # when a customer asks for a reset link
        answer = await promptly(gql(client, REQUEST_RESET, login=CUSTOMER))
        # then the answer is the usual one, and the mail waits, tried and failed, in the queue
        assert answer == {"requestPasswordReset": {"ok": True, "errors": []}}
        row = (await until(lambda: _tried(url)))[0]
        assert row["sent_at"] is None and "Connect" in row["last_error"] and not inbox.messages
        # and when the server is back, the link arrives, once, and works
        await smtp.start()
        mail = await arrived(inbox, CUSTOMER)
        reset = await gql(client, RESET, token=token_in(mail))
        assert reset["resetPassword"]["errors"] == [] and reset["resetPassword"]["accessToken"]
        await mail_settled(client.app.state.engine)
        assert len(inbox.to(CUSTOMER)) == 1
        admin = (await gql(client, SIGN_IN, login=ADMIN[0], password=ADMIN[1]))["signIn"]["accessToken"]
        audit = (await gql(client, AUDIT, admin, event="RESET_REQUESTED"))["auditLog"]
        # the request's audit says the mail was queued, not that it went out
        assert [(e["outcome"], e["login"]) for e in audit] == [("QUEUED", CUSTOMER)]


async def _tried(url: str) -> list[dict]:
    return [row for row in await outgoing_rows(url) if row["attempts"] >= 1 and row["last_error"]]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_smtp_hanging_every_login_answers_at_once_and_alike(backend, tmp_path):
    async with store(backend, tmp_path) as url, smtp_server() as (inbox, smtp):
        settings = settings_for(url, inbox.url, mail_timeout_seconds=1.0)
        async with serving(settings) as client:
            # given SMTP accepting connections and never answering
            await smtp.blackhole()
            # when a known and an unknown login ask for a link and a code
            answers = {
                (login, query): await promptly(gql(client, query, **{variable: login}))
                for login in (CUSTOMER, UNKNOWN)
                for query, variable in ((REQUEST_RESET, "login"), (REQUEST_CODE, "email"))
            }
            # then each answered at once, the unknown exactly like the known
            for query in (REQUEST_RESET, REQUEST_CODE):
                assert answers[(CUSTOMER, query)] == answers[(UNKNOWN, query)]
            # and once SMTP answers again the known login gets both mails, the unknown nothing
            await smtp.restore()
            await mail_settled(client.app.state.engine, seconds=15)
    subjects = sorted(m["Subject"] for m in inbox.to(CUSTOMER))
    assert len(subjects) == 2 and any("código" in s for s in subjects) and not inbox.to(UNKNOWN)


async def statements_of(client: httpx.AsyncClient, query: str, **variables) -> list[str]:
    """The SQL the store ran for one request (the mail worker is not running)."""
    executed: list[str] = []
    listener = lambda *args: executed.append(args[2])  # noqa: E731 (conn, cursor, statement, ...)
    store_engine = client.app.state.engine.sync_engine
    event.listen(store_engine, "before_cursor_execute", listener)
    try:
        await gql(client, query, **variables)
    finally:
        event.remove(store_engine, "before_cursor_execute", listener)
    return executed


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
@pytest.mark.parametrize(("query", "variable"), [(REQUEST_RESET, "login"), (REQUEST_CODE, "email")])
async def test_a_known_and_an_unknown_login_cost_the_store_the_same_statements(
    backend, query, variable, tmp_path
):
    async with store(backend, tmp_path) as url, smtp_server() as (inbox, _):
        async with serving(settings_for(url, inbox.url), worker=False) as client:
            statements = {
                login: await statements_of(client, query, **{variable: login})
                for login in (CUSTOMER, UNKNOWN)
            }
    # the very same statements, in the same order: what the store does reveals no login
    assert len(statements[CUSTOMER]) >= 4 and statements[CUSTOMER] == statements[UNKNOWN]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_a_mail_that_keeps_failing_ends_failed_audited_and_listed_for_admins(backend, tmp_path):
    async with store(backend, tmp_path) as url, smtp_server() as (inbox, smtp):
        await smtp.stop()  # given SMTP down for good
        async with serving(settings_for(url, inbox.url, mail_max_attempts=3)) as client:
            # when a code is asked for
            await gql(client, REQUEST_CODE, email=CUSTOMER)
            admin = (await gql(client, SIGN_IN, login=ADMIN[0], password=ADMIN[1]))["signIn"]["accessToken"]
            # then after three attempts it is failed, for admins to see
            failed = await until(lambda: _listed(client, admin, "FAILED"))
            audit = (await gql(client, AUDIT, admin, event="EMAIL_FAILED"))["auditLog"]
            queued = (await gql(client, OUTGOING, admin, status="QUEUED"))["outgoingEmails"]
            customer = (await gql(client, SIGN_IN, login=CUSTOMER, password=PASSWORD))["signIn"][
                "accessToken"
            ]
            refused = await client.post(
                "/graphql", json={"query": OUTGOING}, headers={"Authorization": f"Bearer {customer}"}
            )
        rows = await outgoing_rows(url)
    (entry,) = failed
    assert entry["recipient"] == CUSTOMER and entry["kind"] == "SIGN_IN_CODE" and entry["status"] == "FAILED"
    assert (
        entry["attempts"] == 3
        and entry["failedAt"]
        and entry["sentAt"] is None
        and entry["nextAttemptAt"] is None
    )
    assert "Connect" in entry["lastError"] and queued == []
    assert [e["extensions"]["code"] for e in refused.json()["errors"]] == ["FORBIDDEN"]  # admins only
    (audited,) = audit
    assert audited["outcome"] == "GAVE_UP" and audited["login"] == CUSTOMER and "code" in audited["detail"]
    # and nothing of the mail (its code is in the subject) is kept once given up
    (row,) = rows
    assert row["sealed"] is None and not inbox.messages


async def _listed(client: httpx.AsyncClient, admin: str, status: str) -> list[dict]:
    return (await gql(client, OUTGOING, admin, status=status))["outgoingEmails"]


async def test_two_apps_on_one_postgresql_store_deliver_each_queued_mail_exactly_once(tmp_path):
    mails = 12
    async with store("postgresql", tmp_path, customers=mails) as url, smtp_server() as (inbox, smtp):
        settings = settings_for(url, inbox.url, mail_retry_seconds=0.3, mail_max_attempts=20)
        # given two workers on one store, and SMTP down while the requests come, half to each
        await smtp.stop()
        async with serving(settings) as first, serving(settings) as second:
            for n in range(mails):
                await gql((first, second)[n % 2], REQUEST_RESET, login=login_of(n))
            await until(lambda: _all_tried(url, mails))
            # when SMTP is back, both workers competing for the queue
            await smtp.start()
            await mail_settled(first.app.state.engine, seconds=20)
        rows = await outgoing_rows(url)
    # then every mail arrived exactly once
    received = sorted(m["To"] for m in inbox.messages)
    assert received == sorted(login_of(n) for n in range(mails))
    assert {m["Message-ID"] for m in inbox.messages} == {r["message_id"] for r in rows}
    assert all(r["sent_at"] is not None and r["sealed"] is None for r in rows)


async def _all_tried(url: str, count: int) -> bool:
    return len(await _tried(url)) == count


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_a_worker_that_died_mid_send_leaves_the_mail_to_be_sent_after_its_lease(backend, tmp_path):
    from datetime import UTC, datetime, timedelta

    from ventanilla.store.mail import claim

    async with store(backend, tmp_path) as url, smtp_server() as (inbox, _):
        settings = settings_for(url, inbox.url)
        async with serving(settings, worker=False) as client:  # given a mail queued
            await gql(client, REQUEST_RESET, login=CUSTOMER)
            # and claimed by a worker that then died, its lease running for another second
            (row,) = await outgoing_rows(url)
            async with client.app.state.engine.begin() as conn:
                now = datetime.now(UTC)
                assert await claim(conn, row["id"], now, now + timedelta(seconds=1))
        async with serving(settings) as client:  # when another worker comes
            mail = await arrived(inbox, CUSTOMER)
            await mail_settled(client.app.state.engine)
        (sent,) = await outgoing_rows(url)
    # then it sends the mail once the lease is over, once, with the Message-ID it had from the start
    assert len(inbox.messages) == 1 and mail["Message-ID"] == row["message_id"] and sent["attempts"] == 2


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_the_link_and_the_code_cannot_be_read_in_the_store(backend, tmp_path):
    async with store(backend, tmp_path) as url, smtp_server() as (inbox, smtp):
        async with serving(settings_for(url, inbox.url)) as client:
            # given mail queued while SMTP is down
            await smtp.stop()
            await gql(client, REQUEST_RESET, login=CUSTOMER)
            await gql(client, REQUEST_CODE, email=CUSTOMER)
            await until(lambda: _all_tried(url, 2))
            queued = await outgoing_rows(url)
            # when it goes out
            await smtp.start()
            await mail_settled(client.app.state.engine)
        settled = await outgoing_rows(url)
    link_mail, code_mail = sorted(inbox.to(CUSTOMER), key=lambda m: "código" in m["Subject"])
    secrets = [token_in(link_mail), re.search(r"\b(\d{6})\b", code_mail["Subject"]).group(1),
               link_mail["Subject"], code_mail["Subject"], "reset-password", "Ana 0"]  # fmt: skip
    # then no cell of the queue ever held the link, the code, the subjects or the text
    cells = [str(value) for row in queued for value in row.values()]
    assert not [s for s in secrets if any(s in cell for cell in cells)]
    assert all(row["sealed"] for row in queued)  # it was there, sealed
    assert all(row["sealed"] is None for row in settled)  # and is erased once sent


async def test_the_demo_prints_the_mail_at_once_through_the_same_queue(tmp_path, capsys):
    async with store("sqlite", tmp_path) as url, serving(settings_for(url, None, demo=True)) as client:
        await gql(client, REQUEST_RESET, login=CUSTOMER)
        await mail_settled(client.app.state.engine)
        printed = capsys.readouterr().out
    assert f"email to {CUSTOMER}" in printed and "https://portal.example.com/reset-password?token=" in printed


async def test_shutdown_stops_the_worker_within_its_grace_even_mid_send(tmp_path):
    async with store("sqlite", tmp_path) as url, smtp_server() as (inbox, smtp):
        settings = settings_for(url, inbox.url, mail_timeout_seconds=60.0)
        app = create_app(settings)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        await smtp.blackhole()  # given a delivery that hangs
        async with client:
            lifespan = app.router.lifespan_context(app)
            await lifespan.__aenter__()
            await gql(client, REQUEST_RESET, login=CUSTOMER)
            await until(lambda: _claimed(url))
            # when the app shuts down
            started = asyncio.get_running_loop().time()
            await lifespan.__aexit__(None, None, None)
            took = asyncio.get_running_loop().time() - started
        (row,) = await outgoing_rows(url)
    # then it did not wait for the hanging server, and the mail stays queued for the next worker
    assert took < 5 + 1 and row["sent_at"] is None and row["failed_at"] is None and row["sealed"]


async def _claimed(url: str) -> bool:
    return any(row["claimed_until"] is not None for row in await outgoing_rows(url))


async def test_without_smtp_a_deployment_prints_no_reset_link_and_keeps_the_mail_queued(tmp_path, capsys):
    async with store("sqlite", tmp_path) as url, serving(settings_for(url, None)) as client:
        # given a deployment (not the demo) with no SMTP server configured
        # when a customer asks for a reset link
        answer = await promptly(gql(client, REQUEST_RESET, login=CUSTOMER))
        assert answer == {"requestPasswordReset": {"ok": True, "errors": []}}

        # then the mail waits in the queue with the reason, and no link was printed anywhere
        async def tried() -> list[dict]:
            return [row for row in await outgoing_rows(url) if row["attempts"] >= 1]

        (row,) = await until(tried)
        assert row["sent_at"] is None and "no SMTP server is configured" in row["last_error"]
        printed = capsys.readouterr()
        assert "token=" not in printed.out + printed.err
