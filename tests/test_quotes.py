"""acceptQuote / rejectQuote (FEATURES.md D5) through HTTP: on the native store and on a SAP ERP
whose quotes the store's decisions overlay."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text, update
from ventanilla.connectors.native.tables import quotes
from ventanilla.schema.relay import to_global_id
from ventanilla.settings import Feature
from ventanilla.store.tables import audit_log, events, portal_quote_decisions

from .tickets_portal import portal

ACCEPT = """mutation($input: AcceptQuoteInput!) { acceptQuote(input: $input) {
  quote { id status } errors { code message field } } }"""
REJECT = """mutation($input: RejectQuoteInput!) { rejectQuote(input: $input) {
  quote { id status } errors { code message field } } }"""
NODE = """query($id: ID!) { node(id: $id) { ... on Quote { id status } } }"""
LIST = """query($id: ID!) { customer(id: $id) { quotes(first: 50) { nodes { id status validUntil } } } }"""
SCOPES = ("commerce:read", "commerce:write")
TODAY = date.today()


async def native_quote(store, customer: int, valid_until: date | None = TODAY + timedelta(days=10)) -> str:
    """One of the customer's quotes in the store, made PENDING and valid until `valid_until`."""
    async with store.begin() as conn:
        quote_id = (await conn.execute(select(func.min(quotes.c.id)).where(quotes.c.customer_id == customer))).scalar()
        await conn.execute(update(quotes).where(quotes.c.id == quote_id).values(status="PENDING", valid_until=valid_until))
    return to_global_id("Quote", str(quote_id))


async def sap_quote(legacy, kunnr: str = "0000000001", valid_until: date = TODAY + timedelta(days=10)) -> str:
    """One of the SAP customer's quotes (VBAK, VBTYP B), made PENDING and valid until `valid_until`."""
    async with legacy.begin() as conn:
        vbeln = (await conn.execute(text("SELECT MIN(\"VBELN\") FROM \"VBAK\" WHERE \"VBTYP\" = 'B' AND \"KUNNR\" = :k"),
                                    {"k": kunnr})).scalar()  # fmt: skip
        await conn.execute(text("UPDATE \"VBAK\" SET \"AUGRU\" = '', \"GBSTK\" = 'A', \"BNDDT\" = :d WHERE \"VBELN\" = :v"),
                           {"d": valid_until.strftime("%Y%m%d"), "v": vbeln})  # fmt: skip
    return to_global_id("Quote", vbeln.lstrip("0"))  # the mapping's canonical id: ALPHA zeros off


def codes(body: dict, field: str) -> list[str]:
    return [e["code"] for e in body["data"][field]["errors"]]


@pytest.fixture(scope="module")
async def native(tmp_path_factory):
    async with portal(tmp_path_factory.mktemp("quotes"), partner_scopes=SCOPES) as found:
        yield found


async def test_a_customer_accepts_a_pending_quote_once_and_every_read_shows_it(native) -> None:
    quote = await native_quote(native.store, 1)
    body = await native.gql(ACCEPT, {"input": {"quoteId": quote}}, "ana")
    assert body["data"]["acceptQuote"] == {"quote": {"id": quote, "status": "ACCEPTED"}, "errors": []}
    assert (await native.gql(NODE, {"id": quote}, "ana"))["data"]["node"]["status"] == "ACCEPTED"
    listed = (await native.gql(LIST, {"id": native.account("ana")}, "ana"))["data"]["customer"]["quotes"]["nodes"]
    assert {"id": quote, "status": "ACCEPTED"} in [{"id": q["id"], "status": q["status"]} for q in listed]
    async with native.store.connect() as conn:
        kinds = (await conn.execute(select(events.c.type).where(events.c.type == "QuoteAccepted"))).scalars().all()
    assert kinds == ["QuoteAccepted"]
    # deciding again is refused, in the caller's language
    again = await native.gql(REJECT, {"input": {"quoteId": quote, "reason": "Caro"}}, "ana")
    assert codes(again, "rejectQuote") == ["ALREADY_DECIDED"]
    assert "aceptado" in again["data"]["rejectQuote"]["errors"][0]["message"]


async def test_a_rejection_keeps_its_reason_and_a_partner_with_commerce_write_may_reject(native) -> None:
    quote = await native_quote(native.store, 1)
    body = await native.gql(REJECT, {"input": {"quoteId": quote, "reason": "Muy caro"}}, "partner")
    assert body["data"]["rejectQuote"] == {"quote": {"id": quote, "status": "REJECTED"}, "errors": []}
    async with native.store.connect() as conn:
        payload = (await conn.execute(select(events.c.payload).where(events.c.type == "QuoteRejected"))).scalars().all()
    assert any("Muy caro" in str(p) for p in payload)


async def test_another_customers_quote_is_not_found_and_stays_pending(native) -> None:
    quote = await native_quote(native.store, 1)
    body = await native.gql(ACCEPT, {"input": {"quoteId": quote}}, "beto")
    assert codes(body, "acceptQuote") == ["NOT_FOUND"]
    assert (await native.gql(NODE, {"id": quote}, "ana"))["data"]["node"]["status"] == "PENDING"


async def test_a_quote_past_its_last_valid_day_cannot_be_accepted(native) -> None:
    quote = await native_quote(native.store, 1, valid_until=TODAY - timedelta(days=1))
    body = await native.gql(ACCEPT, {"input": {"quoteId": quote}}, "ana")
    assert codes(body, "acceptQuote") == ["QUOTE_EXPIRED"]
    assert (await native.gql(NODE, {"id": quote}, "ana"))["data"]["node"]["status"] == "PENDING"
    async with native.store.connect() as conn:
        outcomes = (await conn.execute(select(audit_log.c.outcome).where(audit_log.c.event == "ACCEPT_QUOTE"))).scalars().all()
    assert "QUOTE_EXPIRED" in outcomes


async def test_the_last_valid_day_itself_still_accepts(native) -> None:
    quote = await native_quote(native.store, 1, valid_until=TODAY)
    body = await native.gql(ACCEPT, {"input": {"quoteId": quote}}, "ana")
    assert body["data"]["acceptQuote"]["errors"] == []


@pytest.mark.parametrize("caller", ["analyst", "agent", "reader"])
async def test_staff_and_partners_without_commerce_write_are_forbidden(native, caller) -> None:
    quote = await native_quote(native.store, 1)
    body = await native.gql(ACCEPT, {"input": {"quoteId": quote}}, caller)
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body


async def test_with_quotes_switched_off_nothing_is_decided(tmp_path) -> None:
    async with portal(tmp_path, features=[f for f in Feature if f is not Feature.QUOTES]) as off:
        quote = await native_quote(off.store, 1)
        body = await off.gql(ACCEPT, {"input": {"quoteId": quote}}, "ana")
        assert codes(body, "acceptQuote") == ["FEATURE_DISABLED"]
        async with off.store.connect() as conn:
            status = (await conn.execute(select(quotes.c.status).where(quotes.c.customer_id == 1)
                                         .order_by(quotes.c.id).limit(1))).scalar()  # fmt: skip
        assert status == "PENDING"


async def test_two_racing_decisions_on_postgresql_one_wins(tmp_path) -> None:
    async with portal(tmp_path, store_backend="postgresql") as pg:
        quote = await native_quote(pg.store, 1)
        answers = await asyncio.gather(
            pg.gql(ACCEPT, {"input": {"quoteId": quote}}, "ana"),
            pg.gql(REJECT, {"input": {"quoteId": quote}}, "ana"),
            pg.gql(ACCEPT, {"input": {"quoteId": quote}}, "ana"),
        )
        outcomes = sorted(
            (codes(a, "acceptQuote") if "acceptQuote" in a["data"] else codes(a, "rejectQuote")) for a in answers
        )
        assert outcomes == [[], ["ALREADY_DECIDED"], ["ALREADY_DECIDED"]]
        async with pg.store.connect() as conn:
            decided = (await conn.execute(select(func.count()).select_from(events)
                                          .where(events.c.type.in_(["QuoteAccepted", "QuoteRejected"])))).scalar()  # fmt: skip
        assert decided == 1


async def test_on_sap_the_decision_is_kept_in_the_store_and_overlays_the_erp(tmp_path) -> None:
    routed = ("customers", "invoices", "tickets", "quotes")
    async with portal(tmp_path, connector="sap", routed=routed) as sap:
        quote = await sap_quote(sap.legacy)
        assert (await sap.gql(NODE, {"id": quote}, "ana"))["data"]["node"]["status"] == "PENDING"
        assert codes(await sap.gql(ACCEPT, {"input": {"quoteId": quote}}, "beto"), "acceptQuote") == ["NOT_FOUND"]
        answers = await asyncio.gather(*[sap.gql(ACCEPT, {"input": {"quoteId": quote}}, "ana") for _ in range(3)])
        assert sorted(codes(a, "acceptQuote") for a in answers) == [[], ["ALREADY_DECIDED"], ["ALREADY_DECIDED"]]
        assert (await sap.gql(NODE, {"id": quote}, "ana"))["data"]["node"]["status"] == "ACCEPTED"
        listed = (await sap.gql(LIST, {"id": sap.account("ana")}, "ana"))["data"]["customer"]["quotes"]["nodes"]
        assert [q["status"] for q in listed if q["id"] == quote] == ["ACCEPTED"]
        async with sap.store.connect() as conn:
            rows = (await conn.execute(select(portal_quote_decisions))).all()
        assert [(r.status, r.customer_id) for r in rows] == [("ACCEPTED", sap.customer_ids["ana"])]
        # an expired ERP quote is refused
        late = await sap_quote(sap.legacy, "0000000002", valid_until=TODAY - timedelta(days=3))
        assert codes(await sap.gql(REJECT, {"input": {"quoteId": late}}, "beto"), "rejectQuote") == ["QUOTE_EXPIRED"]


async def test_a_repeated_idempotency_key_answers_the_first_answer_and_decides_nothing_more(native) -> None:
    quote = await native_quote(native.store, 1)
    variables = {"input": {"quoteId": quote, "idempotencyKey": "acepto-1"}}
    async with native.store.connect() as conn:
        before = (await conn.execute(select(func.count()).select_from(events))).scalar()
    first = await native.gql(ACCEPT, variables, "ana")
    again = await native.gql(ACCEPT, variables, "ana")
    assert first["data"] == again["data"] and first["data"]["acceptQuote"]["errors"] == []
    async with native.store.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(events))).scalar() == before + 1
