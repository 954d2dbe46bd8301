"""addComment (FEATURES.md D9) through HTTP: on the native store and on SAP documents, whose
comments the store keeps beside the ERP and merges into reads."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from ventanilla.connectors.native.tables import comments
from ventanilla.settings import Feature
from ventanilla.store.tables import events, portal_comments

from .tickets_portal import portal

ADD = """mutation($input: AddCommentInput!) { addComment(input: $input) {
  comment { id author fromCustomer body createdAt } errors { code message field } } }"""
INVOICES = """query($id: ID!) { customer(id: $id) { invoices(first: 1) { nodes { id } } } }"""
QUOTES = """query($id: ID!) { customer(id: $id) { quotes(first: 1) { nodes { id } } } }"""
THREAD = """query($id: ID!) { node(id: $id) { ... on Invoice { comments { author fromCustomer body } }
  ... on Quote { comments { author fromCustomer body } } } }"""


def codes(body: dict) -> list[str]:
    return [e["code"] for e in body["data"]["addComment"]["errors"]]


async def first_of(found, query: str, field: str, caller: str = "ana") -> str:
    body = await found.gql(query, {"id": found.account(caller)}, caller)
    return body["data"]["customer"][field]["nodes"][0]["id"]


async def count(engine, table) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(table))).scalar()


@pytest.fixture(scope="module")
async def native(tmp_path_factory):
    async with portal(tmp_path_factory.mktemp("comments"), partner_scopes=("billing:read", "commerce:write")) as found:
        yield found


async def test_a_customer_comments_and_the_helpdesk_answers_oldest_first(native) -> None:
    invoice = await first_of(native, INVOICES, "invoices")
    asked = (await native.gql(ADD, {"input": {"subjectId": invoice, "body": "  ¿Por qué subió?  "}}, "ana"))["data"]
    assert asked["addComment"]["errors"] == []
    assert asked["addComment"]["comment"]["body"] == "¿Por qué subió?"
    assert asked["addComment"]["comment"]["fromCustomer"] is True
    answered = (await native.gql(ADD, {"input": {"subjectId": invoice, "body": "Por el nuevo plan."}}, "agent"))["data"]
    assert answered["addComment"]["comment"]["fromCustomer"] is False
    thread = (await native.gql(THREAD, {"id": invoice}, "ana"))["data"]["node"]["comments"]
    assert [(c["body"], c["fromCustomer"]) for c in thread[-2:]] == [("¿Por qué subió?", True), ("Por el nuevo plan.", False)]
    assert thread[-2]["author"] == "Ana Pérez"
    async with native.store.connect() as conn:
        added = (await conn.execute(select(func.count()).select_from(events).where(events.c.type == "CommentAdded"))).scalar()
    assert added >= 2


async def test_another_customers_document_is_not_found_and_nothing_is_kept(native) -> None:
    invoice = await first_of(native, INVOICES, "invoices")
    before = await count(native.store, comments)
    assert codes(await native.gql(ADD, {"input": {"subjectId": invoice, "body": "Hola"}}, "beto")) == ["NOT_FOUND"]
    assert codes(await native.gql(ADD, {"input": {"subjectId": invoice, "body": "   "}}, "ana")) == ["BAD_INPUT"]
    assert await count(native.store, comments) == before


@pytest.mark.parametrize("caller", ["analyst", "reader"])
async def test_analysts_and_partners_without_commerce_write_are_forbidden(native, caller) -> None:
    invoice = await first_of(native, INVOICES, "invoices")
    body = await native.gql(ADD, {"input": {"subjectId": invoice, "body": "Hola"}}, caller)
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body


async def test_a_partner_with_commerce_write_comments_as_the_customer(native) -> None:
    invoice = await first_of(native, INVOICES, "invoices")
    body = await native.gql(ADD, {"input": {"subjectId": invoice, "body": "Desde la app"}}, "partner")
    assert body["data"]["addComment"]["errors"] == []
    assert body["data"]["addComment"]["comment"]["fromCustomer"] is True


async def test_with_comments_switched_off_nothing_is_kept(tmp_path) -> None:
    async with portal(tmp_path, features=[f for f in Feature if f is not Feature.COMMENTS]) as off:
        invoice = await first_of(off, INVOICES, "invoices")
        before = await count(off.store, comments)
        assert codes(await off.gql(ADD, {"input": {"subjectId": invoice, "body": "Hola"}}, "ana")) == ["FEATURE_DISABLED"]
        assert await count(off.store, comments) == before


async def test_on_sap_comments_on_erp_quotes_are_kept_in_the_store_and_read_with_them(tmp_path) -> None:
    routed = ("customers", "invoices", "tickets", "quotes")
    async with portal(tmp_path, connector="sap", routed=routed) as sap:
        quote = await first_of(sap, QUOTES, "quotes")
        assert codes(await sap.gql(ADD, {"input": {"subjectId": quote, "body": "Hola"}}, "beto")) == ["NOT_FOUND"]
        body = await sap.gql(ADD, {"input": {"subjectId": quote, "body": "¿Incluye instalación?"}}, "ana")
        assert body["data"]["addComment"]["errors"] == []
        await sap.gql(ADD, {"input": {"subjectId": quote, "body": "Sí, incluida."}}, "agent")
        thread = (await sap.gql(THREAD, {"id": quote}, "ana"))["data"]["node"]["comments"]
        assert [(c["body"], c["fromCustomer"]) for c in thread] == [("¿Incluye instalación?", True), ("Sí, incluida.", False)]
        assert await count(sap.store, portal_comments) == 2
        # an ERP invoice too
        invoice = await first_of(sap, INVOICES, "invoices")
        assert (await sap.gql(ADD, {"input": {"subjectId": invoice, "body": "Gracias"}}, "ana"))["data"]["addComment"]["errors"] == []
        assert [c["body"] for c in (await sap.gql(THREAD, {"id": invoice}, "ana"))["data"]["node"]["comments"]][-1] == "Gracias"


async def test_contracts_take_comments_too(native) -> None:
    query = """query($id: ID!) { customer(id: $id) { contracts(first: 1) { nodes { id } } } }"""
    contract = await first_of(native, query, "contracts")
    body = await native.gql(ADD, {"input": {"subjectId": contract, "body": "¿Cuándo lo firmo?"}}, "ana")
    assert body["data"]["addComment"]["errors"] == []
    read = """query($id: ID!) { node(id: $id) { ... on Contract { comments { body fromCustomer } } } }"""
    assert (await native.gql(read, {"id": contract}, "ana"))["data"]["node"]["comments"][-1] == {
        "body": "¿Cuándo lo firmo?", "fromCustomer": True}
    assert codes(await native.gql(ADD, {"input": {"subjectId": contract, "body": "Hola"}}, "beto")) == ["NOT_FOUND"]
