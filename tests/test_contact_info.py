"""updateContactInfo (FEATURES.md E1-E2) through HTTP: e-mails and phones added beside the
business's, which stay read-only, on the native demo and on a SAP source."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from ventanilla.store.tables import events

from .tickets_portal import portal

READ = """query($id: ID!) { customer(id: $id) { emails { address primary editable }
  phones { number kind primary editable } } }"""
UPDATE = """mutation($input: UpdateContactInfoInput!) { updateContactInfo(input: $input) {
  customer { emails { address editable } phones { number kind editable } }
  errors { code message field } } }"""


@pytest.fixture(scope="module", params=["native", "sap", "ispcube"])
async def contacts(request, tmp_path_factory):
    async with portal(tmp_path_factory.mktemp(f"contact-{request.param}"), connector=request.param) as p:
        yield p


async def current(p, caller: str = "ana") -> dict:
    return (await p.gql(READ, {"id": p.account(caller)}, caller))["data"]["customer"]


async def update(p, caller: str = "ana", **values) -> dict:
    return (await p.gql(UPDATE, {"input": values}, caller))["data"]["updateContactInfo"]


async def test_a_customer_adds_and_edits_emails_and_phones_beside_the_business_ones(contacts) -> None:
    p = contacts
    before = await current(p)
    assert before["emails"] and all(not e["editable"] for e in before["emails"] + before["phones"])
    fixed_emails = [e["address"] for e in before["emails"]]
    fixed_phones = [ph["number"] for ph in before["phones"]]
    # when she adds an e-mail and a phone typed the local way
    added = await update(p, emails=[*fixed_emails, "Nueva.Direccion@Example.COM"], phones=[*fixed_phones, "011 4321-5678"])
    assert added["errors"] == []
    # then the business's entries are as they were, read-only, and hers follow, editable, the phone in E.164
    after = await current(p)
    assert after["emails"][: len(fixed_emails)] == before["emails"]
    assert after["emails"][len(fixed_emails):] == [{"address": "Nueva.Direccion@example.com", "primary": False,
                                                     "editable": True}]  # fmt: skip
    assert after["phones"][: len(fixed_phones)] == before["phones"]
    assert [(ph["number"], ph["editable"]) for ph in after["phones"][len(fixed_phones):]] == [("+541143215678", True)]
    # when she edits her e-mail: the list with it changed
    edited = await update(p, emails=[*fixed_emails, "otra@example.com"])
    assert edited["errors"] == []
    assert [e["address"] for e in edited["customer"]["emails"] if e["editable"]] == ["otra@example.com"]
    assert [ph["number"] for ph in edited["customer"]["phones"] if ph["editable"]] == ["+541143215678"]  # untouched
    async with p.store.connect() as conn:
        told = [json.loads(e.payload) for e in await conn.execute(select(events).where(events.c.type == "ContactInfoUpdated"))]
    assert told[-1]["added"] == {"email": ["otra@example.com"]}
    assert told[-1]["removed"] == {"email": ["Nueva.Direccion@example.com"]}


async def test_the_business_entries_are_read_only(contacts) -> None:
    p = contacts
    before = await current(p)
    fixed = [e["address"] for e in before["emails"] if not e["editable"]]
    refused = await update(p, emails=fixed[1:] + ["cambiada@example.com"])
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("READ_ONLY_FIELD", ["input", "emails"])]
    assert fixed[0] in refused["errors"][0]["message"]  # it names the fixed entry
    assert await current(p) == before


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"emails": ["no-es-un-correo"]}, ["input", "emails", "0"]),
        ({"emails": ["ana@example.com", "ana@@example"]}, ["input", "emails", "1"]),
        ({"phones": ["123"]}, ["input", "phones", "0"]),
        ({"phones": ["+54 11 abc"]}, ["input", "phones", "0"]),
    ],
    ids=["email", "second-email", "short-phone", "letters"],
)
async def test_an_invalid_email_or_phone_changes_nothing(contacts, values, field) -> None:
    p = contacts
    before = await current(p)
    refused = await update(p, **values)
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("BAD_INPUT", field)]
    assert await current(p) == before


async def test_another_customers_contact_data_is_not_found(contacts) -> None:
    p = contacts
    refused = await update(p, caller="beto", customerId=p.account("ana"), emails=["intruso@example.com"])
    assert [e["code"] for e in refused["errors"]] == ["NOT_FOUND"]
