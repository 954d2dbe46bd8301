"""updateBillingInfo (FEATURES.md B13) through HTTP: tax ids checked per country with their check
digits, placeholders refused, applied at once or reviewed by staff, the state the customer sees."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from ventanilla.store.features import set_switch
from ventanilla.store.tables import billing_changes, events

from .tickets_portal import portal

UPDATE = """mutation($input: UpdateBillingInfoInput!) { updateBillingInfo(input: $input) {
  change { id name taxId taxIdKind taxCondition address state reason }
  errors { code message field } } }"""
DECIDE = """mutation($input: DecideBillingInfoChangeInput!) { decideBillingInfoChange(input: $input) {
  change { id state reason } errors { code message field } } }"""
SEEN = """query($id: ID!) { customer(id: $id) { billingInfoChanges { id state reason taxId } } }"""


@pytest.fixture(scope="module")
async def immediate(tmp_path_factory):
    async with portal(tmp_path_factory.mktemp("billing-now")) as p:
        yield p


@pytest.fixture(scope="module")
async def reviewed(tmp_path_factory):
    async with portal(tmp_path_factory.mktemp("billing-review"), billing_data_review=True) as p:
        yield p


async def update(p, caller: str = "ana", **values) -> dict:
    return (await p.gql(UPDATE, {"input": values}, caller))["data"]["updateBillingInfo"]


# One valid and one wrong tax id of each country's format: (country, valid, kind, compact, wrong).
TAX_IDS = pytest.mark.parametrize(
    ("country", "valid", "kind", "compact", "wrong"),
    [
        ("AR", "20-26756539-3", "CUIT", "20267565393", "20-26756539-4"),
        ("AR", "20.123.456", "DNI", "20123456", "20.123.45a"),
        ("ES", "12345678-Z", "NIF", "12345678Z", "12345678-A"),
        ("ES", "X1234567L", "NIE", "X1234567L", "X1234567A"),
        ("ES", "A58818501", "CIF", "A58818501", "A58818502"),
        ("MX", "GODE 561231 GR8", "RFC", "GODE561231GR8", "GODE561231GR9"),
        ("CO", "800.197.268-4", "NIT", "8001972684", "800.197.268-5"),
    ],
    ids=["ar-cuit", "ar-dni", "es-nif", "es-nie", "es-cif", "mx-rfc", "co-nit"],
)


async def checked_tax_ids(p, country: str, valid: str, wrong: str) -> tuple[dict, dict]:
    """The answers to a wrong and a valid tax id with the business in `country` ([portal] country)."""
    p.app.state.services.settings.country = country
    try:
        return await update(p, taxId=wrong), await update(p, taxId=valid)
    finally:
        p.app.state.services.settings.country = "AR"


@TAX_IDS
async def test_a_tax_id_is_checked_with_its_countrys_check_digits(immediate, country, valid, kind, compact, wrong):
    p = immediate
    refused, accepted = await checked_tax_ids(p, country, valid, wrong)
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("BAD_INPUT", ["input", "taxId"])]
    assert accepted["errors"] == [] and (accepted["change"]["taxIdKind"], accepted["change"]["taxId"]) == (kind, compact)


@pytest.mark.parametrize("placeholder", ["99999999", "00-00000000-0", "  "])
async def test_a_placeholder_tax_id_is_never_accepted(immediate, placeholder) -> None:
    refused = await update(immediate, taxId=placeholder)
    assert [e["code"] for e in refused["errors"]] == ["PLACEHOLDER_TAX_ID"]


async def test_without_review_a_change_applies_at_once_and_the_erp_is_told(immediate) -> None:
    p = immediate
    done = await update(p, name="Ana Pérez SRL", taxId="20-26756539-3", taxCondition="Monotributo", address="Mitre 123, Rosario")
    assert done["errors"] == [] and done["change"]["state"] == "APPLIED"
    seen = (await p.gql(SEEN, {"id": p.account("ana")}, "ana"))["data"]["customer"]["billingInfoChanges"]
    assert seen[0]["id"] == done["change"]["id"] and seen[0]["state"] == "APPLIED"
    async with p.store.connect() as conn:
        told = [json.loads(e.payload) for e in await conn.execute(
            select(events).where(events.c.type == "BillingInfoChangeRequested"))]  # fmt: skip
    assert told[-1]["taxId"] == "20267565393" and told[-1]["state"] == "APPLIED"


async def test_with_review_staff_apply_or_reject_with_a_reason(reviewed) -> None:
    p = reviewed
    first = (await update(p, name="Ana Pérez SA"))["change"]
    second = (await update(p, address="Sarmiento 45"))["change"]
    assert first["state"] == second["state"] == "PENDING_REVIEW"
    # a customer cannot decide
    mine = (await p.gql(DECIDE, {"input": {"changeId": first["id"], "approve": True}}, "ana"))
    assert mine["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # the agent rejects without a reason: refused; with one: rejected
    bare = (await p.gql(DECIDE, {"input": {"changeId": first["id"], "approve": False}}, "agent"))["data"]
    assert [e["field"] for e in bare["decideBillingInfoChange"]["errors"]] == [["input", "reason"]]
    rejected = (await p.gql(DECIDE, {"input": {"changeId": first["id"], "approve": False,
                                                "reason": "Falta la constancia de inscripción"}}, "agent"))["data"]  # fmt: skip
    assert rejected["decideBillingInfoChange"]["change"]["state"] == "REJECTED"
    applied = (await p.gql(DECIDE, {"input": {"changeId": second["id"], "approve": True}}, "agent"))["data"]
    assert applied["decideBillingInfoChange"]["change"]["state"] == "APPLIED"
    again = (await p.gql(DECIDE, {"input": {"changeId": second["id"], "approve": False, "reason": "x"}}, "agent"))["data"]
    assert [e["code"] for e in again["decideBillingInfoChange"]["errors"]] == ["BAD_INPUT"]
    # and the customer sees each state, the rejection with its reason
    seen = (await p.gql(SEEN, {"id": p.account("ana")}, "ana"))["data"]["customer"]["billingInfoChanges"]
    assert [(c["id"], c["state"], c["reason"]) for c in seen] == [
        (second["id"], "APPLIED", None), (first["id"], "REJECTED", "Falta la constancia de inscripción")]  # fmt: skip


async def test_another_customers_billing_data_is_not_found_and_the_switch_is_kept(immediate) -> None:
    p = immediate
    refused = await update(p, caller="beto", customerId=p.account("ana"), name="Intruso")
    assert [e["code"] for e in refused["errors"]] == ["NOT_FOUND"]
    async with p.store.begin() as conn:
        await set_switch(conn, "BILLING_DATA_UPDATE", False, "test")
    try:
        off = await update(p, name="Otra")
    finally:
        async with p.store.begin() as conn:
            await set_switch(conn, "BILLING_DATA_UPDATE", True, "test")
    assert [e["code"] for e in off["errors"]] == ["FEATURE_DISABLED"]
    async with p.store.connect() as conn:
        names = (await conn.execute(select(billing_changes.c.name))).scalars().all()
    assert "Intruso" not in names and "Otra" not in names
