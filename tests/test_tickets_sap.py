"""Tickets over a read-only SAP replica (writes = []): kept in the store, merged into the reads of
the tickets domain at once: the list (order, filters, pages, totalCount), node, the thread."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from ventanilla.connectors.native.tables import portal_ticket_messages, portal_tickets

from .tickets_portal import CLOSE, CREATE, LIST, NODE, REPLY, photo, portal

WALK = """query($id: ID!, $after: String, $filter: TicketFilter) { customer(id: $id) {
  tickets(first: 2, after: $after, filter: $filter) { totalCount nodes { id createdAt subject status }
    pageInfo { hasNextPage endCursor } } } }"""


@pytest.fixture(scope="module")
async def sap(tmp_path_factory):
    async with portal(tmp_path_factory.mktemp("tickets-sap"), "sap", files_store="database") as found:
        yield found


async def walk(sap, caller: str, filter: dict | None = None) -> tuple[list[dict], int]:
    nodes, after, total = [], None, None
    while True:
        page = (await sap.gql(WALK, {"id": sap.account(caller), "after": after, "filter": filter or {}}, caller))
        tickets = page["data"]["customer"]["tickets"]
        nodes += tickets["nodes"]
        total = tickets["totalCount"]
        if not tickets["pageInfo"]["hasNextPage"]:
            return nodes, total
        after = tickets["pageInfo"]["endCursor"]


async def test_a_ticket_over_sap_is_kept_in_the_store_and_heads_the_list_at_once(sap) -> None:
    before, count_before = await walk(sap, "ana")
    assert count_before == len(before) and before  # the ERP's own tickets
    async with sap.legacy.connect() as conn:
        erp_before = (await conn.execute(text('SELECT COUNT(*) FROM "QMEL"'))).scalar_one()
    body = await sap.upload(
        CREATE, {"input": {"subject": "Sin servicio", "description": "No hay señal", "attachments": [None]}},
        {"input.attachments.0": ("antena.jpg", photo(7), "image/jpeg")}, "ana",
    )  # fmt: skip
    payload = body["data"]["createTicket"]
    assert payload["errors"] == [], payload
    ticket = payload["ticket"]
    assert ticket["number"].startswith("WEB-") and ticket["area"] == "Soporte Técnico"
    # the store holds it (by the canonical customer id), the ERP replica is untouched
    async with sap.store.connect() as conn:
        row = (await conn.execute(select(portal_tickets.c.customer_id, portal_tickets.c.subject)
                                  .where(portal_tickets.c.number == ticket["number"]))).one()  # fmt: skip
    assert (row.customer_id, row.subject) == ("1", "Sin servicio")
    async with sap.legacy.connect() as conn:
        assert (await conn.execute(text('SELECT COUNT(*) FROM "QMEL"'))).scalar_one() == erp_before
    # merged: first in the list, one more in totalCount, every page walked newest first
    after, count_after = await walk(sap, "ana")
    assert after[0]["id"] == ticket["id"] and count_after == count_before + 1 == len(after)
    assert [n["id"] for n in after[1:]] == [n["id"] for n in before]
    times = [n["createdAt"] for n in after]
    assert times == sorted(times, reverse=True)
    # by node, with its thread and photo
    node = (await sap.gql(NODE, {"id": ticket["id"]}, "ana"))["data"]["node"]
    (message,) = node["messages"]
    assert message["body"] == "No hay señal" and message["attachments"][0]["filename"] == "antena.jpg"
    assert (await sap.client.get(message["attachments"][0]["url"])).status_code == 200
    # another customer does not see it
    theirs = await sap.gql(NODE, {"id": ticket["id"]}, "beto")
    assert theirs["data"]["node"] is None and theirs["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_filters_apply_to_both_lists(sap) -> None:
    made = (await sap.gql(CREATE, {"input": {"subject": "Consulta facturación", "description": "x"}}, "ana"))
    ticket_id = made["data"]["createTicket"]["ticket"]["id"]
    found, total = await walk(sap, "ana", {"search": "facturacion"})
    assert ticket_id in [n["id"] for n in found] and total == len(found)
    assert all("factur" in n["subject"].lower() for n in found)
    await sap.gql(CLOSE, {"input": {"ticketId": ticket_id}}, "ana")
    open_only, open_total = await walk(sap, "ana", {"openOnly": True})
    assert ticket_id not in [n["id"] for n in open_only] and open_total == len(open_only)
    assert all(n["status"] != "CLOSED" for n in open_only)
    closed, _ = await walk(sap, "ana", {"status": "CLOSED"})
    assert ticket_id in [n["id"] for n in closed]


async def test_a_reply_to_an_erp_ticket_is_kept_in_the_store_and_shown_in_its_thread(sap) -> None:
    erp_tickets, _ = await walk(sap, "ana")
    erp_ticket = next(n for n in erp_tickets if not n["subject"].startswith(("Sin servicio", "Consulta")))
    answered = (await sap.gql(REPLY, {"input": {"ticketId": erp_ticket["id"], "body": "¿Novedades?"}}, "ana"))
    thread = answered["data"]["replyToTicket"]["ticket"]["messages"]
    assert thread[-1]["body"] == "¿Novedades?" and thread[-1]["fromCustomer"] is True
    async with sap.store.connect() as conn:
        kept = (await conn.execute(select(func.count()).select_from(portal_ticket_messages)
                                   .where(portal_ticket_messages.c.body == "¿Novedades?"))).scalar_one()  # fmt: skip
    assert kept == 1
    # its status is the ERP's: closing it from the portal is refused, clearly
    refused = (await sap.gql(CLOSE, {"input": {"ticketId": erp_ticket["id"]}}, "ana"))["data"]["closeTicket"]
    assert [e["code"] for e in refused["errors"]] == ["BAD_INPUT"]
    assert "ERP" in refused["errors"][0]["message"]


async def test_the_agent_answers_and_closes_a_portal_ticket_over_sap(sap) -> None:
    made = (await sap.gql(CREATE, {"input": {"description": "Router sin luces"}}, "ana"))["data"]["createTicket"]
    ticket_id = made["ticket"]["id"]
    answered = (await sap.gql(REPLY, {"input": {"ticketId": ticket_id, "body": "Va un técnico"}}, "agent"))
    assert [m["fromCustomer"] for m in answered["data"]["replyToTicket"]["ticket"]["messages"]] == [True, False]
    closed = (await sap.gql(CLOSE, {"input": {"ticketId": ticket_id}}, "agent"))["data"]["closeTicket"]
    assert closed["ticket"]["status"] == "CLOSED"
    listed = (await sap.gql(LIST, {"id": sap.account("ana"), "first": 50}, "ana"))["data"]["customer"]["tickets"]
    assert {n["id"]: n["status"] for n in listed["nodes"]}[ticket_id] == "CLOSED"


async def test_a_list_that_asks_for_no_dates_is_still_merged_newest_first(sap) -> None:
    # the ERP's reads select only what a query asks for; the merge still needs when each was opened
    ids = """query($id: ID!) { customer(id: $id) { tickets(first: 50) { nodes { id } } } }"""
    narrow = (await sap.gql(ids, {"id": sap.account("ana")}, "ana"))
    assert "errors" not in narrow, narrow
    full, _ = await walk(sap, "ana")
    assert [n["id"] for n in narrow["data"]["customer"]["tickets"]["nodes"]] == [n["id"] for n in full]
