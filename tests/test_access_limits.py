"""Limits on sign-ins and access emails under attack: in parallel, by respelling the login, by flooding a mailbox; hashing off the loop."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import argon2
import pytest
from sqlalchemy import select
from ventanilla.settings import LoginField
from ventanilla.store.tables import audit_log
from ventanilla.store.users import create_user

CUSTOMER = ("cliente@example.com", "perro.calamar")
REDIS = "redis://127.0.0.1:6379/0"
STORAGES = [pytest.param(None, id="memory"), pytest.param(REDIS, id="redis")]

SIGN_IN = """mutation($login: String!, $password: String!) {
  signIn(input: {login: $login, password: $password}) { accessToken errors { code } } }"""
REQUEST_RESET = """mutation($login: String!) { requestPasswordReset(input: {login: $login}) { ok errors { code } } }"""
REQUEST_CODE = """mutation($email: String!) { requestSignInCode(input: {email: $email}) { ok expiresIn errors { code } } }"""
PORTAL = "{ portal { name } }"


@asynccontextmanager
async def worker(api, **overrides) -> AsyncIterator:
    """A worker of its own (its own in-process counters), its pools closed after the test: these
    tests open many, and PostgreSQL's connections are shared with every other suite on the server."""
    async with api.client_for(**overrides) as client:
        app = api.apps[-1]
        try:
            yield client
        finally:
            await app.state.close()


def unique_ip() -> str:
    n = uuid.uuid4().int
    return f"10.{50 + n % 150}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"


async def call(client, query: str, **variables) -> dict:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def sign_in(client, login: str, password: str) -> dict:
    return (await call(client, SIGN_IN, login=login, password=password))["signIn"]


async def outcomes(api, event: str, *, login: str | None = None, ip: str | None = None) -> Counter:
    """How the audit log says the attempts ended (INVALID_CREDENTIALS reached the password check)."""
    query = select(audit_log.c.outcome).where(audit_log.c.event == event)
    if login is not None:
        query = query.where(audit_log.c.login == login)
    if ip is not None:
        query = query.where(audit_log.c.ip == ip)
    async with api.engine.connect() as conn:
        return Counter(r.outcome for r in await conn.execute(query))


async def new_user(api, login: str, password: str = "vieja.clave1") -> None:
    async with api.engine.begin() as conn:
        await create_user(conn, login=login, name="Prueba", password=password, kind="CUSTOMER", customer_ids=["5"])


@pytest.mark.parametrize("redis_url", STORAGES)
async def test_parallel_wrong_passwords_for_one_login_reach_the_password_check_only_up_to_the_limit(
    access_api, redis_url
):
    # given a user and an attacker firing 20 guesses at once (the limit is 5 per login)
    login = f"paralelo-{uuid.uuid4().hex[:8]}@example.com"
    await new_user(access_api, login)
    async with worker(access_api, ip=unique_ip(), redis_url=redis_url) as client:
        # when
        answers = await asyncio.gather(*(sign_in(client, login, f"adivino.{n}") for n in range(20)))
    # then only 5 were checked; the other 15 were refused before the password check
    codes = Counter(a["errors"][0]["code"] for a in answers)
    assert codes == {"INVALID_CREDENTIALS": 5, "TOO_MANY_ATTEMPTS": 15}
    assert await outcomes(access_api, "SIGN_IN", login=login) == codes


@pytest.mark.parametrize("redis_url", STORAGES)
async def test_parallel_wrong_sign_ins_from_one_address_reach_the_password_check_only_up_to_its_limit(
    access_api, redis_url
):
    # given one address trying 20 different logins at once, 5 allowed per address
    ip = unique_ip()
    logins = [f"barrido-{uuid.uuid4().hex[:8]}@example.com" for _ in range(20)]
    async with worker(access_api, ip=ip, redis_url=redis_url, ip_attempts="5/15 minutes") as client:
        # when
        answers = await asyncio.gather(*(sign_in(client, login, "adivino.algo") for login in logins))
    # then
    codes = Counter(a["errors"][0]["code"] for a in answers)
    assert codes == {"INVALID_CREDENTIALS": 5, "TOO_MANY_ATTEMPTS": 15}
    assert await outcomes(access_api, "SIGN_IN", ip=ip) == codes


async def test_a_successful_sign_in_gives_the_address_its_attempt_back(access_api):
    # given an address allowed 3 failures, where people sign in rightly over and over (one office)
    async with worker(access_api, ip=unique_ip(), ip_attempts="3/15 minutes") as client:
        for _ in range(4):
            assert (await sign_in(client, *CUSTOMER))["errors"] == []
        # then its failures still have their own allowance
        for _ in range(3):
            assert (await sign_in(client, "nadie@example.com", "x"))["errors"][0]["code"] == "INVALID_CREDENTIALS"
        assert (await sign_in(client, *CUSTOMER))["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"


async def demo_tax_id(api) -> str:
    token = await api.sign_in(*CUSTOMER)
    accounts = (await api.gql("{ viewer { accounts { taxId { number } } } }", token=token))["data"]["viewer"]["accounts"]
    return next(a["taxId"]["number"] for a in accounts if a["taxId"])


async def test_every_spelling_of_a_tax_id_shares_one_counter(access_api):
    # given a deployment whose customers sign in with their tax id, locked under one spelling
    digits = "".join(c for c in await demo_tax_id(access_api) if c.isdigit())
    dashed = f"{digits[:2]}-{digits[2:-1]}-{digits[-1]}"
    dotted, spaced = dashed.replace("-", "."), dashed.replace("-", " ")
    async with worker(access_api, ip=unique_ip(), login_field=LoginField.TAX_ID) as client:
        for spelling in (dashed, dotted, spaced, digits, dashed):
            assert (await sign_in(client, spelling, "adivino.algo"))["errors"][0]["code"] == "INVALID_CREDENTIALS"
        # when the right password comes under yet another spelling
        answer = await sign_in(client, f" {dotted} ", CUSTOMER[1])
    # then it is refused like the others
    assert answer["accessToken"] is None and answer["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"


@pytest.fixture
def held_verifications(monkeypatch):
    """Argon2 verifications held until the test releases them (5 s at most), and the threads they ran on."""
    threads: list[int] = []
    started, release = threading.Event(), threading.Event()
    real = argon2.PasswordHasher.verify

    def verify(self, hash, password):  # noqa: A002 - argon2's own parameter name
        threads.append(threading.get_ident())
        started.set()
        release.wait(5)  # a slow hash, as on a busy production CPU
        return real(self, hash, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", verify)
    yield threads, started, release
    release.set()


async def test_password_checks_run_off_the_event_loop_and_other_customers_are_served_meanwhile(
    access_api, held_verifications
):
    threads, started, release = held_verifications
    async with worker(access_api, ip=unique_ip()) as client:
        # given six sign-ins whose password checks are under way
        sign_ins = [asyncio.create_task(sign_in(client, f"lento{n}@example.com", "x")) for n in range(6)]
        while not started.is_set():
            await asyncio.sleep(0.005)
        # when someone else asks for the portal's name
        portal = await call(client, PORTAL)
        still_running = sum(not task.done() for task in sign_ins)
        release.set()
        answers = await asyncio.gather(*sign_ins)
    # then the answer came while the sign-ins waited for their checks, none of which ran on the loop's thread
    assert portal["portal"]["name"] and still_running == 6
    assert all(a["errors"][0]["code"] == "INVALID_CREDENTIALS" for a in answers)
    assert len(threads) == 6 and threading.get_ident() not in threads


@pytest.mark.parametrize(("mutation", "variable"), [(REQUEST_RESET, "login"), (REQUEST_CODE, "email")])
async def test_the_fourth_email_for_one_login_within_the_hour_is_not_sent_and_answers_the_same(
    access_api, mutation, variable
):
    # given a user whose mailbox someone floods, from one address then from another (two workers, one Redis)
    login = f"buzon-{uuid.uuid4().hex[:8]}@example.com"
    await new_user(access_api, login)
    async with worker(access_api, ip=unique_ip(), redis_url=REDIS) as client, \
            worker(access_api, ip=unique_ip(), redis_url=REDIS) as other:
        # when four requests come, spelled differently, the last from another address
        answers = [await call(client, mutation, **{variable: spelling}) for spelling in (login, login.upper(), f" {login} ")]
        await access_api.settled()
        sent = len(access_api.inbox.to(login))
        fourth = await call(other, mutation, **{variable: login})
        await access_api.settled()
    # then three emails went out, the fourth request sent nothing and looked exactly like the first
    assert sent == 3 and len(access_api.inbox.to(login)) == 3
    assert fourth == answers[0] and fourth[next(iter(fourth))]["ok"] is True
    event = "RESET_REQUESTED" if mutation is REQUEST_RESET else "CODE_REQUESTED"
    assert (await outcomes(access_api, event, login=login)) == {"QUEUED": 3, "TOO_MANY_ATTEMPTS": 1}


async def test_one_address_asking_emails_for_many_logins_is_limited(access_api):
    logins = [f"vecino-{uuid.uuid4().hex[:8]}@example.com" for _ in range(3)]
    for login in logins:
        await new_user(access_api, login)
    async with worker(access_api, ip=unique_ip(), ip_emails="2/hour") as client:
        answers = [await call(client, REQUEST_RESET, login=login) for login in logins]
    await access_api.settled()
    sent = [len(access_api.inbox.to(login)) for login in logins]
    assert answers[0] == answers[1] == answers[2]
    assert sent == [1, 1, 0], (sent, [await outcomes(access_api, "RESET_REQUESTED", login=login) for login in logins])
