"""Payment commitments (FEATURES.md B11) through HTTP: on the native demo store (SQLite, PostgreSQL),
over the `sap` source, whose customers the store does not hold (the commitment is kept in the
store's table and merged into reads), and over the `ispcube` source (MariaDB), which takes the
commitment in its own table (read back with SQL and through the API); the rules of
rules/commitments.py on their own."""

from __future__ import annotations

import asyncio
import io
import json
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import openpyxl
import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from ventanilla.auth.partners import register_client
from ventanilla.connectors.native.tables import payment_commitments
from ventanilla.connectors.records import PaymentCommitment, PaymentCommitmentStatus
from ventanilla.demo.business import ANALYST_LOGIN, generate_demo
from ventanilla.demo.legacy import WRITERS
from ventanilla.errors import ApiError, ErrorCode
from ventanilla.rules.commitments import (
    CommitmentRules,
    CoolDown,
    active_on,
    committed,
    covered_amount,
    overdue_uncommitted,
    promised_date,
)
from ventanilla.schema.relay import to_global_id
from ventanilla.settings import Feature, Settings
from ventanilla.store.tables import audit_log, events, kept_payment_commitments
from ventanilla.store.users import create_user
from ventanilla.web.app import create_app

from .conftest import SIGN_IN, TEST_SECRET, fresh_legacy_database
from .graphql_client import AnswersGraphQL

CUSTOMERS, SEED = 24, 5
MAX_DAYS, COOL_DOWN_DAYS = 10, 30
ROUTES = {
    "sap": ["customers", "invoices", "tickets", "contracts", "plans", "quotes", "orders", "delivery_notes"],
    "ispcube": ["customers", "invoices", "tickets", "contracts", "plans", "payment_commitments"],
}
LEGACY_BACKENDS = {"sap": "postgresql", "ispcube": "mariadb"}

REQUEST = """
mutation($input: RequestPaymentCommitmentInput!) { requestPaymentCommitment(input: $input) {
  commitment { id days promisedDate requestedAt status amount { amount currency } }
  coolDownUntil errors { code message field } } }
"""
MINE = """
{ viewer { customer { id
  account { unpaidTotal { amount } overdue { amount } committed { amount currency } committedUntil
            overdueUncommitted { amount } }
  paymentCommitments { id days promisedDate status amount { amount } }
  statement { overdue { amount } total { amount } openItems { documentNumber dueDate daysOverdue openAmount { amount } }
              commitments { id promisedDate amount { amount } } pdfUrl xlsxUrl } } } }
"""
EVERYONE = """
{ customers(first: 100) { nodes { id code account { unpaidTotal { amount } overdue { amount } }
  paymentCommitments { status promisedDate } } } }
"""


def today() -> date:
    return datetime.now(UTC).date()  # the apps count days in UTC here


@dataclass
class Served(AnswersGraphQL):
    """An app over a demo business, its HTTP client, its store, and the customers left to test with."""

    name: str
    app: Any
    client: httpx.AsyncClient
    store: AsyncEngine
    legacy: AsyncEngine | None = None  # the ISPCube database, which keeps its own commitments
    debtors: list[str] = field(default_factory=list)  # raw ids of accounts that owe, with no active commitment
    paid_up: list[str] = field(default_factory=list)  # raw ids of accounts that owe nothing
    baseline: dict[str, int] = field(default_factory=dict)  # the demo's own commitments per account

    async def sign_in(self, login: str, password: str) -> str:
        body = await self.gql(SIGN_IN, {"login": login, "password": password})
        assert body["data"]["signIn"]["errors"] == [], body
        return body["data"]["signIn"]["accessToken"]

    async def customer_of(self, *raw_ids: str) -> str:
        """A token of a new customer user of `raw_ids` (the first its default account)."""
        login, password = f"c{uuid.uuid4().hex[:10]}@example.com", "clave.de.prueba"
        async with self.store.begin() as conn:
            await create_user(conn, login=login, name="Cliente", password=password, kind="CUSTOMER",
                              customer_ids=list(raw_ids))  # fmt: skip
        return await self.sign_in(login, password)

    def debtor(self) -> str:
        return self.debtors.pop()

    async def request(self, token: str, days: int, **more: Any) -> dict:
        body = await self.gql(REQUEST, {"input": {"days": days, **more}}, token)
        assert "errors" not in body, body
        return body["data"]["requestPaymentCommitment"]

    async def stored(self, raw_id: str) -> int:
        """Commitments written for `raw_id` in either of the store's tables, besides the demo's."""
        return await self.counted(raw_id) - self.baseline.get(raw_id, 0)

    async def counted(self, raw_id: str) -> int:
        if self.name == "ispcube":
            assert self.legacy is not None
            async with self.legacy.connect() as conn:
                found = await conn.execute(text("SELECT COUNT(*) FROM payment_commitments WHERE customer_id = :c"),
                                           {"c": int(raw_id)})  # fmt: skip
                return int(found.scalar_one())
        async with self.store.connect() as conn:
            native = 0
            if self.name == "sqlite" or self.name == "postgresql":
                native = (await conn.execute(select(func.count()).where(
                    payment_commitments.c.customer_id == int(raw_id)))).scalar_one()  # fmt: skip
            kept = (await conn.execute(select(func.count()).where(
                kept_payment_commitments.c.customer_id == raw_id))).scalar_one()  # fmt: skip
        return native + kept


def _app(store_url: str, config: str | None = None, **settings: Any) -> tuple[Any, httpx.AsyncClient]:
    if config:
        os.environ["VENTANILLA_CONFIG"] = config
    try:
        app = create_app(Settings(database_url=store_url, secret_key=TEST_SECRET, timezone="UTC",
                                  commitments_max_days=MAX_DAYS, commitments_cool_down_days=COOL_DOWN_DAYS,
                                  **({"source_timeout_seconds": 60.0} | settings)))  # fmt: skip
        # (not an outage test: a busy machine may take longer than the production bound of 10 s)
    finally:
        os.environ.pop("VENTANILLA_CONFIG", None)
    return app, httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.fixture(scope="module", params=["sqlite", "postgresql", "sap", "ispcube"])
async def served(request, tmp_path_factory) -> AsyncIterator[Served]:
    """The native demo on SQLite and on PostgreSQL; the sap source (PostgreSQL) and the ispcube one
    (MariaDB), each with its store (SQLite) holding the sign-ins."""
    tmp = tmp_path_factory.mktemp("commitments")
    name = request.param
    backend = "sqlite" if name in ROUTES else name
    async with fresh_legacy_database(backend, tmp) as store_url:
        store = create_async_engine(store_url)
        await generate_demo(store, customers=CUSTOMERS, seed=SEED, today=today())
        config, legacy, legacy_cm = None, None, None
        if name in ROUTES:
            legacy_cm = fresh_legacy_database(LEGACY_BACKENDS[name], tmp)
            legacy_url = await legacy_cm.__aenter__()
            legacy = create_async_engine(legacy_url)
            await WRITERS[name](legacy, customers=CUSTOMERS, seed=SEED, today=today())
            path = tmp / f"{name}.toml"
            routes = "\n".join(f'{domain} = "erp"' for domain in ROUTES[name])
            path.write_text(f'[sources.erp]\nconnector = "{name}"\nurl = "{legacy_url}"\n\n[routes]\n{routes}\n')
            config = str(path)
        app, client = _app(store_url, config)
        served = Served(name, app, client, store, legacy)
        await _sort_customers(served)
        yield served
        await client.aclose()
        await app.state.close()
        await store.dispose()
        if legacy is not None and legacy_cm is not None:
            await legacy.dispose()
            await legacy_cm.__aexit__(None, None, None)


async def _sort_customers(served: Served) -> None:
    analyst = await served.sign_in(*ANALYST_LOGIN)
    body = await served.gql(EVERYONE, token=analyst)
    assert "errors" not in body, body
    for node in body["data"]["customers"]["nodes"]:
        raw = _raw(node["id"])
        active = [c for c in node["paymentCommitments"] if c["status"] == "ACTIVE"
                  and date.fromisoformat(c["promisedDate"]) >= today()]  # fmt: skip
        owed = Decimal(node["account"]["unpaidTotal"]["amount"])
        served.baseline[raw] = await served.counted(raw)
        if owed > 0 and not active:
            served.debtors.append(raw)
        elif owed <= 0:
            served.paid_up.append(raw)
    assert len(served.debtors) >= 12 and served.paid_up, (len(served.debtors), len(served.paid_up))


def _raw(global_id: str) -> str:
    import base64

    return base64.b64decode(global_id).decode().partition(":")[2]


def _codes(payload: dict) -> list[str]:
    return [e["code"] for e in payload["errors"]]


# --- the happy path ------------------------------------------------------------------------------


async def test_a_commitment_is_listed_shown_committed_on_the_dashboard_and_on_the_statement(served: Served) -> None:
    # given a customer who owes money and has no commitment in force
    raw = served.debtor()
    token = await served.customer_of(raw)
    before = (await served.gql(MINE, token=token))["data"]["viewer"]["customer"]
    owed = Decimal(before["account"]["unpaidTotal"]["amount"])
    assert before["account"]["committed"]["amount"] == "0.00" and before["account"]["committedUntil"] is None
    # when they promise to pay within 7 days
    done = await served.request(token, 7)
    # then the commitment covers what is owed, to be paid by today + 7
    assert done["errors"] == [] and done["coolDownUntil"] is None
    commitment = done["commitment"]
    promised = (today() + timedelta(days=7)).isoformat()
    assert (commitment["days"], commitment["promisedDate"], commitment["status"]) == (7, promised, "ACTIVE")
    assert Decimal(commitment["amount"]["amount"]) == owed
    # and it is listed, first
    after = (await served.gql(MINE, token=token))["data"]["viewer"]["customer"]
    assert after["paymentCommitments"][0] == {
        "id": commitment["id"], "days": 7, "promisedDate": promised, "status": "ACTIVE",
        "amount": {"amount": commitment["amount"]["amount"]},
    }  # fmt: skip
    # and the dashboard shows it committed with its date; the legal overdue figure stays
    account = after["account"]
    assert Decimal(account["committed"]["amount"]) == owed and account["committedUntil"] == promised
    assert account["overdue"] == before["account"]["overdue"]
    expected = max(Decimal(0), Decimal(account["overdue"]["amount"]) - owed)
    assert Decimal(account["overdueUncommitted"]["amount"]) == expected
    # and the statement lists it, keeping every legal due date and the overdue figure
    statement = after["statement"]
    assert [c["id"] for c in statement["commitments"]] == [commitment["id"]]
    assert statement["openItems"] == before["statement"]["openItems"]
    assert statement["overdue"] == before["statement"]["overdue"]
    # and so do its downloads
    sheet = openpyxl.load_workbook(io.BytesIO((await served.client.get(statement["xlsxUrl"])).content))
    rows = list(sheet["Compromisos de pago"].iter_rows(min_row=2, max_row=2, values_only=True))
    assert rows[0][1:4] == (7, datetime.fromisoformat(promised), Decimal(commitment["amount"]["amount"]))
    pdf = await served.client.get(statement["pdfUrl"])
    printed = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    section = printed.upper().split("COMPROMISOS DE PAGO VIGENTES")  # section titles print in capitals
    assert len(section) == 2 and date.fromisoformat(promised).strftime("%d/%m/%Y") in section[1]
    # and it was written where this deployment keeps it: the native table, or the store's own for SAP
    async with served.store.connect() as conn:
        kept = (await conn.execute(select(kept_payment_commitments.c.customer_id))).scalars().all()
    assert (raw in kept) == (served.name == "sap")
    assert await served.stored(raw) == 1
    if served.legacy is not None and served.name == "ispcube":  # in the ISP's own table, as it keeps them
        async with served.legacy.connect() as conn:
            row = (await conn.execute(text("SELECT customer_id, days, promised_date, amount, status, created_at "
                                           "FROM payment_commitments WHERE id = :id"),
                                      {"id": int(_raw(commitment["id"]))})).one()  # fmt: skip
        assert row[:5] == (int(raw), 7, date.fromisoformat(promised), owed, "active")
        assert abs(row.created_at.replace(tzinfo=UTC) - datetime.now(UTC)) < timedelta(minutes=5)


async def test_the_event_is_in_the_outbox(served: Served) -> None:
    raw = served.debtor()
    done = await served.request(await served.customer_of(raw), 3)
    async with served.store.connect() as conn:
        rows = (await conn.execute(select(events).where(events.c.type == "PaymentCommitmentRequested",
                                                        events.c.customer_id == raw))).all()  # fmt: skip
    assert len(rows) == 1
    payload = json.loads(rows[0].payload)
    commitment = done["commitment"]
    assert payload == {
        "commitmentId": _raw(commitment["id"]), "days": 3, "promisedDate": commitment["promisedDate"],
        "amount": commitment["amount"]["amount"], "currency": commitment["amount"]["currency"],
    }  # fmt: skip
    assert rows[0].actor.startswith("customer:")


# --- refusals ------------------------------------------------------------------------------------


async def test_days_out_of_range_are_bad_input_and_change_nothing(served: Served) -> None:
    raw = served.debtor()
    token = await served.customer_of(raw)
    stored = await served.stored(raw)
    for days in (0, -1, MAX_DAYS + 1):
        refused = await served.request(token, days)
        assert _codes(refused) == ["BAD_INPUT"] and refused["commitment"] is None
        assert refused["errors"][0]["field"] == ["input", "days"] and f"1..{MAX_DAYS}" in refused["errors"][0]["message"]
    assert await served.stored(raw) == stored
    # and the cool-down was not spent: the maximum itself is accepted
    assert (await served.request(token, MAX_DAYS))["errors"] == []


async def test_nothing_owed_is_refused(served: Served) -> None:
    raw = served.paid_up[0]
    stored = await served.stored(raw)
    english = await served.gql(REQUEST, {"input": {"days": 5}}, await served.customer_of(raw), **{"Accept-Language": "en"})
    refused = english["data"]["requestPaymentCommitment"]
    assert _codes(refused) == ["NOTHING_OWED"] and "owes nothing" in refused["errors"][0]["message"]
    assert await served.stored(raw) == stored


async def test_within_the_cool_down_answers_the_day_it_is_available_again(served: Served) -> None:
    raw = served.debtor()
    token = await served.customer_of(raw)
    assert (await served.request(token, 2))["errors"] == []
    again = today() + timedelta(days=COOL_DOWN_DAYS)
    # when asked again, in Spanish and in English
    spanish = await served.request(token, 4)
    english = (await served.gql(REQUEST, {"input": {"days": 4}}, token, **{"Accept-Language": "en"}))
    english = english["data"]["requestPaymentCommitment"]
    # then COOL_DOWN, with the day in the payload and in the message
    for refused in (spanish, english):
        assert _codes(refused) == ["COOL_DOWN"] and refused["coolDownUntil"] == again.isoformat()
        assert refused["commitment"] is None
    assert again.strftime("%d/%m/%Y") in spanish["errors"][0]["message"]
    assert again.isoformat() in english["errors"][0]["message"]
    assert await served.stored(raw) == 1


@pytest.mark.parametrize("at_once", [2, 10])
async def test_simultaneous_requests_create_one_commitment(served: Served, at_once: int) -> None:
    raw = served.debtor()
    token = await served.customer_of(raw)
    answers = await asyncio.gather(*(served.request(token, 1 + n % MAX_DAYS) for n in range(at_once)))
    made = [a for a in answers if a["errors"] == []]
    assert len(made) == 1
    assert sorted(_codes(a)[0] for a in answers if a["errors"]) == ["COOL_DOWN"] * (at_once - 1)
    assert await served.stored(raw) == 1


async def test_another_customers_account_is_not_found(served: Served) -> None:
    mine, theirs = served.debtor(), served.debtor()
    token = await served.customer_of(mine)
    refused = await served.request(token, 3, customerId=to_global_id("Customer", theirs))
    assert _codes(refused) == ["NOT_FOUND"]
    missing = await served.request(token, 3, customerId=to_global_id("Customer", "999999"))
    assert missing["errors"] == refused["errors"]
    assert await served.stored(theirs) == 0
    # and the attempt is in the audit log, like every refusal
    async with served.store.connect() as conn:
        outcomes = (await conn.execute(select(audit_log.c.outcome).where(
            audit_log.c.event == "REQUEST_PAYMENT_COMMITMENT", audit_log.c.customer_id == theirs))).scalars().all()  # fmt: skip
    assert outcomes == ["NOT_FOUND"]


async def test_a_second_account_of_the_user_is_named_by_its_id(served: Served) -> None:
    first, second = served.debtor(), served.debtor()
    token = await served.customer_of(first, second)
    done = await served.request(token, 3, customerId=to_global_id("Customer", second))
    assert done["errors"] == []
    assert (await served.stored(second), await served.stored(first)) == (1, 0)


async def test_a_repeated_idempotency_key_answers_the_same_and_a_reused_one_is_refused(served: Served) -> None:
    raw = served.debtor()
    token = await served.customer_of(raw)
    key = str(uuid.uuid4())
    first = await served.request(token, 6, idempotencyKey=key)
    repeated = await asyncio.gather(*(served.request(token, 6, idempotencyKey=key) for _ in range(3)))
    assert first["errors"] == [] and all(r == first for r in repeated)
    reused = await served.request(token, 5, idempotencyKey=key)
    assert _codes(reused) == ["IDEMPOTENCY_KEY_REUSED"]
    assert await served.stored(raw) == 1


async def test_with_the_feature_off_it_is_refused_and_changes_nothing(served: Served) -> None:
    raw = served.debtor()
    token = await served.customer_of(raw)
    features = [f for f in Feature if f is not Feature.PAYMENT_COMMITMENTS]
    app = create_app(served.app.state.services.settings.model_copy(update={"features": features}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        body = await served.gql(REQUEST, {"input": {"days": 3}}, token, client=client)
        account = await served.gql("{ viewer { customer { account { committed { amount } committedUntil } } } }",
                                   token=token, client=client)  # fmt: skip
    await app.state.close()
    assert _codes(body["data"]["requestPaymentCommitment"]) == ["FEATURE_DISABLED"]
    assert account["data"]["viewer"]["customer"]["account"] == {"committed": {"amount": "0.00"}, "committedUntil": None}
    assert await served.stored(raw) == 0


async def test_an_analyst_may_not_and_a_partner_needs_billing_write(served: Served) -> None:
    raw = served.debtor()
    analyst = await served.sign_in(*ANALYST_LOGIN)
    body = await served.gql(REQUEST, {"input": {"days": 3, "customerId": to_global_id("Customer", raw)}}, analyst)
    assert body.get("data") is None and [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    services = served.app.state.services.access
    reader = await register_client(services, "Socio Lector", ["customers:read", "billing:read"], [], "test")
    writer = await register_client(services, "Socio Cobrador", ["customers:read", "billing:read", "billing:write"], [],
                                   "test")  # billing:read: the payload is a PaymentCommitment
    tokens = []
    for partner in (reader, writer):
        response = await served.client.post("/oauth/token", data={"grant_type": "client_credentials"},
                                            auth=(partner.client_id, partner.client_secret))  # fmt: skip
        tokens.append(response.json()["access_token"])
    variables = {"input": {"days": 3, "customerId": to_global_id("Customer", raw)}}
    denied = await served.gql(REQUEST, variables, tokens[0])
    assert [e["extensions"]["code"] for e in denied["errors"]] == ["FORBIDDEN"]
    assert await served.stored(raw) == 0
    # a partner with billing:write names the account (no default one)
    unnamed = await served.gql(REQUEST, {"input": {"days": 3}}, tokens[1])
    assert unnamed.get("data"), unnamed
    assert _codes(unnamed["data"]["requestPaymentCommitment"]) == ["BAD_INPUT"]
    done = await served.gql(REQUEST, variables, tokens[1])
    assert done["data"]["requestPaymentCommitment"]["errors"] == []
    assert await served.stored(raw) == 1


# --- the rules -----------------------------------------------------------------------------------

DAY = date(2026, 3, 10)


def _commitment(status: str = "ACTIVE", promised: date = DAY, amount: str = "100.00",
                requested: date = DAY - timedelta(days=3)) -> PaymentCommitment:  # fmt: skip
    return PaymentCommitment(
        id="1", customer_id="7", requested_at=datetime(requested.year, requested.month, requested.day, 15, tzinfo=UTC),
        days=3, promised_date=promised, amount=Decimal(amount), currency="ARS", status=PaymentCommitmentStatus(status),
    )  # fmt: skip


def test_days_must_be_one_to_the_maximum() -> None:
    rules = CommitmentRules(max_days=4, cool_down_days=180)
    assert [rules.check_days(d) for d in (1, 4)] == [1, 4]
    for days in (0, 5):
        with pytest.raises(ApiError) as refused:
            rules.check_days(days)
        assert refused.value.code is ErrorCode.BAD_INPUT and "1..4" in refused.value.message("en")


def test_the_cool_down_ends_at_the_start_of_a_business_day() -> None:
    rules = CommitmentRules(max_days=10, cool_down_days=180)
    assert rules.available_again(DAY) == DAY + timedelta(days=180)
    ends = rules.cool_down_ends(DAY, "America/Argentina/Buenos_Aires")
    assert ends.astimezone(UTC) == datetime(2026, 9, 6, 3, tzinfo=UTC)  # midnight in Buenos Aires (UTC-3)
    refused = CoolDown(date(2026, 9, 6))
    assert "06/09/2026" in refused.message("es") and "2026-09-06" in refused.message("en")


def test_what_is_covered_is_what_is_owed_and_the_promised_date_counts_from_today() -> None:
    assert covered_amount(Decimal("1500.50")) == Decimal("1500.50")
    for nothing in (Decimal(0), Decimal("-20.00")):
        with pytest.raises(ApiError) as refused:
            covered_amount(nothing)
        assert refused.value.code is ErrorCode.NOTHING_OWED
    assert promised_date(DAY, 10) == date(2026, 3, 20)


def test_committed_is_what_active_commitments_cover_of_what_is_still_owed() -> None:
    active = _commitment(promised=DAY + timedelta(days=2), amount="300.00")
    # active: the amount, at most what is owed now (a partial payment shrinks it)
    assert committed([active], Decimal("500.00"), DAY) == (covered := committed([active], Decimal("500.00"), DAY))
    assert (covered.amount, covered.until) == (Decimal("300.00"), DAY + timedelta(days=2))
    assert committed([active], Decimal("120.00"), DAY).amount == Decimal("120.00")
    # the promised day itself still counts; the day after, or another status, does not
    assert committed([active], Decimal("500.00"), DAY + timedelta(days=2)).amount == Decimal("300.00")
    assert committed([active], Decimal("500.00"), DAY + timedelta(days=3)).until is None
    for status in ("FULFILLED", "BROKEN"):
        assert committed([_commitment(status, promised=DAY + timedelta(days=2))], Decimal("500"), DAY).amount == 0
    # nothing owed: nothing committed
    assert committed([active], Decimal("0.00"), DAY).until is None
    # overdue beyond what is covered, never below zero
    assert overdue_uncommitted(Decimal("450.00"), covered) == Decimal("150.00")
    assert overdue_uncommitted(Decimal("200.00"), covered) == Decimal("0.00")


def test_a_statement_lists_the_commitments_active_at_its_cut_off() -> None:
    commitment = _commitment(promised=DAY + timedelta(days=5), requested=DAY)
    assert active_on(commitment, DAY, "UTC") and active_on(commitment, DAY + timedelta(days=5), "UTC")
    assert not active_on(commitment, DAY - timedelta(days=1), "UTC")  # asked after the cut-off
    assert not active_on(commitment, DAY + timedelta(days=6), "UTC")  # promised date passed
