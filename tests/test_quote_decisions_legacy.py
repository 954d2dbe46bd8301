"""acceptQuote / rejectQuote written into the ERP's own quotation (FEATURES.md D5): a SAP source
that takes `quote_decisions` (`[sources.erp] writes`, the mapping's `[writes.quote_decision]` on
VBAK) gets the decision in its own transaction, and every read shows it from there; racing
decisions change the row once. Without that write the store's overlay stays (tests/test_quotes.py)."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta
from itertools import count

import pytest
from sqlalchemy import func, select, text
from ventanilla.connectors.routing import source_from
from ventanilla.schema.relay import to_global_id
from ventanilla.store.features import set_switch
from ventanilla.store.tables import events, portal_quote_decisions

from .test_quotes import ACCEPT, NODE, REJECT
from .tickets_portal import portal

LIST = """query($id: ID!) { customer(id: $id) { quotes(first: 50) { nodes { id status } } } }"""
TODAY = date.today()
NEW_QUOTES = count(48_000_001)  # VBELNs above the demo's


@pytest.fixture(scope="module")
async def sap(tmp_path_factory):
    """Customers, invoices and quotes on SAP (PostgreSQL) taking quote decisions; the store on
    PostgreSQL too, so racing requests race in both databases."""
    async with portal(tmp_path_factory.mktemp("quote-decisions"), "sap", store_backend="postgresql",
                      routed=("customers", "invoices", "quotes"), erp_options='writes = ["quote_decisions"]') as p:  # fmt: skip
        yield p


async def new_quote(
    p, kunnr: str = "0000000001", valid_until: date = TODAY + timedelta(days=10)
) -> tuple[str, str]:
    """A new open quotation of the SAP customer in VBAK (a copy of one of the demo's): its global id
    and VBELN."""
    vbeln = str(next(NEW_QUOTES)).zfill(10)
    async with p.legacy.begin() as conn:
        model = (
            (
                await conn.execute(
                    text("""SELECT * FROM "VBAK" WHERE "VBTYP" = 'B' ORDER BY "VBELN" LIMIT 1""")
                )
            )
            .mappings()
            .one()
        )
        row = {
            **model,
            "VBELN": vbeln,
            "KUNNR": kunnr,
            "AUGRU": "",
            "GBSTK": "A",
            "BNDDT": valid_until.strftime("%Y%m%d"),
        }
        columns = ", ".join(f'"{c}"' for c in row)
        await conn.execute(
            text(f'INSERT INTO "VBAK" ({columns}) VALUES ({", ".join(f":{c}" for c in row)})'), row
        )
    return to_global_id("Quote", vbeln.lstrip("0")), vbeln


async def erp_row(p, vbeln: str) -> tuple[str, str]:
    async with p.legacy.connect() as conn:
        found = (
            await conn.execute(text('SELECT "GBSTK", "AUGRU" FROM "VBAK" WHERE "VBELN" = :v'), {"v": vbeln})
        ).one()
    return found.GBSTK.strip(), found.AUGRU.strip()


async def kept_decisions(p) -> int:
    async with p.store.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(portal_quote_decisions))).scalar_one()


def codes(body: dict, field: str) -> list[str]:
    return [e["code"] for e in body["data"][field]["errors"]]


async def test_an_acceptance_is_written_into_the_erps_quotation_and_read_from_there(sap) -> None:
    quote, vbeln = await new_quote(sap)
    assert (await sap.gql(NODE, {"id": quote}, "ana"))["data"]["node"]["status"] == "PENDING"
    body = await sap.gql(ACCEPT, {"input": {"quoteId": quote}}, "ana")
    assert body["data"]["acceptQuote"] == {"quote": {"id": quote, "status": "ACCEPTED"}, "errors": []}
    # the ERP's own row holds it; the store keeps no overlay row
    assert await erp_row(sap, vbeln) == ("C", "")
    assert await kept_decisions(sap) == 0
    # every read shows it: by node, in the customer's list
    assert (await sap.gql(NODE, {"id": quote}, "ana"))["data"]["node"]["status"] == "ACCEPTED"
    listed = (await sap.gql(LIST, {"id": sap.account("ana")}, "ana"))["data"]["customer"]["quotes"]["nodes"]
    assert {n["id"]: n["status"] for n in listed}[quote] == "ACCEPTED"
    # and the event still tells the business
    async with sap.store.connect() as conn:
        told = [json.loads(e) for e in (await conn.execute(select(events.c.payload).where(
            events.c.type == "QuoteAccepted"))).scalars()]  # fmt: skip
    assert [t["quoteId"] for t in told].count(vbeln.lstrip("0")) == 1


async def test_a_rejection_is_written_with_sap_s_rejection_reason_and_the_text_goes_in_the_event(sap) -> None:
    quote, vbeln = await new_quote(sap)
    body = await sap.gql(REJECT, {"input": {"quoteId": quote, "reason": "Muy caro"}}, "ana")
    assert body["data"]["rejectQuote"]["quote"]["status"] == "REJECTED"
    assert await erp_row(sap, vbeln) == ("C", "Z1")
    again = await sap.gql(ACCEPT, {"input": {"quoteId": quote}}, "ana")
    assert codes(again, "acceptQuote") == ["ALREADY_DECIDED"]
    assert await erp_row(sap, vbeln) == ("C", "Z1")
    async with sap.store.connect() as conn:
        told = [json.loads(e) for e in (await conn.execute(select(events.c.payload).where(
            events.c.type == "QuoteRejected"))).scalars()]  # fmt: skip
    assert {"quoteId": vbeln.lstrip("0"), "reason": "Muy caro"}.items() <= told[-1].items()


async def test_of_racing_decisions_one_changes_the_erps_row_and_the_others_are_already_decided(sap) -> None:
    quote, vbeln = await new_quote(sap)
    calls = [sap.gql(ACCEPT, {"input": {"quoteId": quote}}, "ana") for _ in range(3)]
    calls += [sap.gql(REJECT, {"input": {"quoteId": quote, "reason": "No"}}, "ana") for _ in range(2)]
    answers = await asyncio.gather(*calls)
    fields = ["acceptQuote"] * 3 + ["rejectQuote"] * 2
    outcomes = [
        (a["data"][f]["quote"] or {}).get("status") or a["data"][f]["errors"][0]["code"]
        for a, f in zip(answers, fields)
    ]
    winners = [o for o in outcomes if o in ("ACCEPTED", "REJECTED")]
    assert len(winners) == 1 and outcomes.count("ALREADY_DECIDED") == 4, outcomes
    assert await erp_row(sap, vbeln) == (("C", "") if winners == ["ACCEPTED"] else ("C", "Z1"))
    async with sap.store.connect() as conn:
        decided = (await conn.execute(select(func.count()).select_from(events).where(
            events.c.type.in_(["QuoteAccepted", "QuoteRejected"]), events.c.payload.contains(f'"{vbeln.lstrip("0")}"')))).scalar_one()  # fmt: skip
    assert decided == 1  # one event, for the one decision the ERP took


async def test_refusals_leave_the_erps_quotation_as_it_was(sap) -> None:
    # another customer's quote
    theirs, their_vbeln = await new_quote(sap, kunnr="0000000002")
    assert codes(await sap.gql(ACCEPT, {"input": {"quoteId": theirs}}, "ana"), "acceptQuote") == ["NOT_FOUND"]
    assert await erp_row(sap, their_vbeln) == ("A", "")
    # past its last valid day
    late, late_vbeln = await new_quote(sap, valid_until=TODAY - timedelta(days=2))
    assert codes(await sap.gql(ACCEPT, {"input": {"quoteId": late}}, "ana"), "acceptQuote") == [
        "QUOTE_EXPIRED"
    ]
    assert await erp_row(sap, late_vbeln) == ("A", "")
    # decided in the ERP itself meanwhile
    done, done_vbeln = await new_quote(sap)
    async with sap.legacy.begin() as conn:
        await conn.execute(text("""UPDATE "VBAK" SET "GBSTK" = 'C' WHERE "VBELN" = :v"""), {"v": done_vbeln})
    assert codes(await sap.gql(REJECT, {"input": {"quoteId": done}}, "ana"), "rejectQuote") == [
        "ALREADY_DECIDED"
    ]
    assert await erp_row(sap, done_vbeln) == ("C", "")
    # quotes switched off
    off, off_vbeln = await new_quote(sap)
    async with sap.store.begin() as conn:
        await set_switch(conn, "QUOTES", False, "test")
    try:
        refused = await sap.gql(ACCEPT, {"input": {"quoteId": off}}, "ana")
    finally:
        async with sap.store.begin() as conn:
            await set_switch(conn, "QUOTES", True, "test")
    assert codes(refused, "acceptQuote") == ["FEATURE_DISABLED"]
    assert await erp_row(sap, off_vbeln) == ("A", "")
    assert await kept_decisions(sap) == 0


async def test_a_source_may_take_only_writes_its_mapping_declares() -> None:
    url = "postgresql+asyncpg://nobody@127.0.0.1:5432/test"
    with pytest.raises(ValueError, match=r"\[writes.quote_decision\]"):
        source_from("isp", {"connector": "ispcube", "url": url, "writes": ["quote_decisions"]}, 5.0)
    taking = source_from("erp", {"connector": "sap", "url": url, "writes": ["quote_decisions"]}, 5.0)
    replica = source_from("erp", {"connector": "sap", "url": url}, 5.0)
    try:
        assert taking.capabilities == {"quote_decisions"} and replica.capabilities == frozenset()
    finally:
        await taking.engine.dispose()
        await replica.engine.dispose()
