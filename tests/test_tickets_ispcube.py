"""Tickets written into an ISPCube-style system's own MariaDB tables (its mapping's [writes.*]),
routed by its catalogs' ids, and read back from there: with SQL, and through the API."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import text

from .tickets_portal import CLOSE, CREATE, LIST, NODE, REPLY, photo, portal


def raw(global_id: str) -> str:
    return base64.b64decode(global_id).decode().split(":", 1)[1]


@pytest.fixture(scope="module")
async def isp(tmp_path_factory):
    async with portal(tmp_path_factory.mktemp("tickets-ispcube"), "ispcube", files_store="database") as found:
        yield found


async def rows(isp, sql: str, **params) -> list:
    async with isp.legacy.connect() as conn:
        return list((await conn.execute(text(sql), params)).mappings().all())


async def test_a_ticket_goes_into_the_isp_systems_tables_with_its_routing_ids(isp) -> None:
    # when Ana creates a ticket with a photo
    body = await isp.upload(
        CREATE, {"input": {"subject": "Sin conexión", "description": "La ONU tiene la luz roja", "attachments": [None]}},
        {"input.attachments.0": ("onu.jpg", photo(5), "image/jpeg")}, "ana",
    )  # fmt: skip
    payload = body["data"]["createTicket"]
    assert payload["errors"] == [], payload
    ticket = payload["ticket"]
    ticket_id = raw(ticket["id"])
    # then MariaDB holds it, routed by the ids of its catalogs' names ([tickets.defaults])
    (row,) = await rows(isp, """SELECT t.customer_id, t.ticket_no, t.subject, a.name AS area, p.name AS priority,
                                  s.name AS status, t.ticket_category_id, t.assigned_user_id
                               FROM tickets t JOIN ticket_areas a ON a.id = t.ticket_area_id
                                  JOIN ticket_priorities p ON p.id = t.ticket_priority_id
                                  JOIN ticket_statuses s ON s.id = t.ticket_status_id WHERE t.id = :id""",
                        id=int(ticket_id))  # fmt: skip
    assert (row["customer_id"], row["subject"], row["area"], row["priority"], row["status"]) == (
        1, "Sin conexión", "Soporte Técnico", "Media", "Abierto"
    )
    assert row["ticket_category_id"] is None and row["assigned_user_id"] is None  # no default category, assignee
    assert ticket["number"] == f"TK-{row['ticket_no']:06d}"
    (item,) = await rows(isp, "SELECT id, user_id, contact_name, content FROM ticket_items WHERE ticket_id = :id",
                         id=int(ticket_id))  # fmt: skip
    assert (item["user_id"], item["contact_name"], item["content"]) == (None, "Ana Pérez", "La ONU tiene la luz roja")
    (file,) = await rows(isp, "SELECT filename, mime, path FROM ticket_item_files WHERE ticket_item_id = :id",
                         id=item["id"])  # fmt: skip
    assert (file["filename"], file["mime"]) == ("onu.jpg", "image/jpeg") and file["path"].startswith("ventanilla/")
    # and the API reads it back from there: the thread, the photo, the list and node
    (message,) = ticket["messages"]
    assert (message["author"], message["fromCustomer"]) == ("Ana Pérez", True)
    download = await isp.client.get(message["attachments"][0]["url"])
    assert download.status_code == 200 and download.content[:2] == b"\xff\xd8"
    listed = (await isp.gql(LIST, {"id": isp.account("ana"), "first": 1}, "ana"))["data"]["customer"]["tickets"]
    assert listed["nodes"][0]["id"] == ticket["id"]
    assert (await isp.gql(NODE, {"id": ticket["id"]}, "ana"))["data"]["node"]["subject"] == "Sin conexión"


async def test_replies_and_closing_are_written_in_the_isp_system(isp) -> None:
    created = (await isp.gql(CREATE, {"input": {"description": "Corte intermitente"}}, "ana"))["data"]["createTicket"]
    ticket_id = created["ticket"]["id"]
    # the agent (a user of the ISP system by name) answers, the customer closes
    answered = (await isp.gql(REPLY, {"input": {"ticketId": ticket_id, "body": "Cambiamos el conector"}}, "agent"))
    thread = answered["data"]["replyToTicket"]["ticket"]["messages"]
    assert [m["fromCustomer"] for m in thread] == [True, False]
    closed = (await isp.gql(CLOSE, {"input": {"ticketId": ticket_id}}, "ana"))["data"]["closeTicket"]
    assert closed["ticket"]["status"] == "CLOSED"
    (row,) = await rows(isp, """SELECT s.name AS status, t.closed_at FROM tickets t
                               JOIN ticket_statuses s ON s.id = t.ticket_status_id WHERE t.id = :id""",
                        id=int(raw(ticket_id)))  # fmt: skip
    assert row["status"] == "Cerrado" and row["closed_at"] is not None
    items = await rows(isp, "SELECT user_id FROM ticket_items WHERE ticket_id = :id ORDER BY id", id=int(raw(ticket_id)))
    assert items[0]["user_id"] is None and items[1]["user_id"] is not None
    # the customer writes again: reopened there
    again = (await isp.gql(REPLY, {"input": {"ticketId": ticket_id, "body": "Volvió a cortarse"}}, "ana"))
    assert again["data"]["replyToTicket"]["ticket"]["status"] == "OPEN"
    (row,) = await rows(isp, """SELECT s.name AS status, t.closed_at FROM tickets t
                               JOIN ticket_statuses s ON s.id = t.ticket_status_id WHERE t.id = :id""",
                        id=int(raw(ticket_id)))  # fmt: skip
    assert row["status"] == "Abierto" and row["closed_at"] is None


async def test_a_refused_ticket_writes_nothing_in_the_isp_system(isp) -> None:
    (before,) = await rows(isp, "SELECT COUNT(*) AS n FROM tickets")
    theirs = await isp.gql(CREATE, {"input": {"customerId": isp.account("beto"), "description": "x"}}, "ana")
    bad = await isp.upload(
        CREATE, {"input": {"description": "Adjunto", "attachments": [None]}},
        {"input.attachments.0": ("a.jpg", b"not a photo", "image/jpeg")}, "ana",
    )  # fmt: skip
    assert [e["code"] for e in theirs["data"]["createTicket"]["errors"]] == ["NOT_FOUND"]
    assert [e["code"] for e in bad["data"]["createTicket"]["errors"]] == ["INVALID_FILE"]
    (after,) = await rows(isp, "SELECT COUNT(*) AS n FROM tickets")
    assert after["n"] == before["n"]


async def test_a_repeated_key_writes_one_ticket_in_the_isp_system(isp) -> None:
    (before,) = await rows(isp, "SELECT COUNT(*) AS n FROM tickets")
    request = {"input": {"description": "Una sola vez", "idempotencyKey": "isp-1"}}
    first = (await isp.gql(CREATE, request, "ana"))["data"]["createTicket"]
    again = (await isp.gql(CREATE, request, "ana"))["data"]["createTicket"]
    assert again["ticket"]["id"] == first["ticket"]["id"]
    (after,) = await rows(isp, "SELECT COUNT(*) AS n FROM tickets")
    assert after["n"] == before["n"] + 1
