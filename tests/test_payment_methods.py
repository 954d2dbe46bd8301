"""setDefaultPaymentMethod / removePaymentMethod (FEATURES.md B12) through HTTP: the rule for
removing the default method both ways, refusals, and a SAP customer's methods in the store."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import delete, insert, select
from ventanilla.connectors.native.tables import payment_methods
from ventanilla.schema.relay import to_global_id
from ventanilla.settings import Feature
from ventanilla.store.tables import events

from .tickets_portal import portal

SET = """mutation($input: SetDefaultPaymentMethodInput!) { setDefaultPaymentMethod(input: $input) {
  paymentMethod { id isDefault } paymentMethods { id label isDefault } errors { code message field } } }"""
REMOVE = """mutation($input: RemovePaymentMethodInput!) { removePaymentMethod(input: $input) {
  removedPaymentMethodId paymentMethods { id label isDefault } errors { code message field } } }"""
LIST = """query($id: ID!) { customer(id: $id) { paymentMethods { id label isDefault } } }"""


async def saved(store, customer: int, labels: list[str], default: str) -> dict[str, str]:
    """The customer's methods are exactly `labels` (added in that order); their global ids by label."""
    async with store.begin() as conn:
        await conn.execute(delete(payment_methods).where(payment_methods.c.customer_id == customer))
        for label in labels:
            await conn.execute(insert(payment_methods).values(customer_id=customer, kind="CARD", label=label,
                                                              is_default=label == default))  # fmt: skip
        rows = (await conn.execute(select(payment_methods.c.id, payment_methods.c.label)
                                   .where(payment_methods.c.customer_id == customer))).all()  # fmt: skip
    return {row.label: to_global_id("PaymentMethod", str(row.id)) for row in rows}


def shown(methods: list[dict]) -> list[tuple[str, bool]]:
    return [(m["label"], m["isDefault"]) for m in methods]


def codes(body: dict, field: str) -> list[str]:
    return [e["code"] for e in body["data"][field]["errors"]]


@pytest.fixture(scope="module")
async def native(tmp_path_factory):
    async with portal(tmp_path_factory.mktemp("methods"), partner_scopes=("billing:read", "billing:write")) as found:
        yield found


async def test_setting_the_default_leaves_exactly_one(native) -> None:
    ids = await saved(native.store, 1, ["Visa 4242", "CBU 0458", "Master 1111"], default="Visa 4242")
    body = (await native.gql(SET, {"input": {"paymentMethodId": ids["CBU 0458"]}}, "ana"))["data"]["setDefaultPaymentMethod"]
    assert body["errors"] == [] and body["paymentMethod"] == {"id": ids["CBU 0458"], "isDefault": True}
    assert shown(body["paymentMethods"]) == [("CBU 0458", True), ("Visa 4242", False), ("Master 1111", False)]
    async with native.store.connect() as conn:
        kinds = (await conn.execute(select(events.c.type).where(events.c.type == "PaymentMethodDefaultSet"))).scalars().all()
    assert kinds


async def test_removing_the_default_makes_the_most_recently_added_other_one_default(native) -> None:
    ids = await saved(native.store, 1, ["Visa 4242", "CBU 0458", "Master 1111"], default="CBU 0458")
    body = (await native.gql(REMOVE, {"input": {"paymentMethodId": ids["CBU 0458"]}}, "ana"))["data"]["removePaymentMethod"]
    assert body["errors"] == [] and body["removedPaymentMethodId"] == ids["CBU 0458"]
    assert shown(body["paymentMethods"]) == [("Master 1111", True), ("Visa 4242", False)]


async def test_removing_another_method_keeps_the_default_and_the_last_one_may_go(native) -> None:
    ids = await saved(native.store, 1, ["Visa 4242", "CBU 0458"], default="Visa 4242")
    body = (await native.gql(REMOVE, {"input": {"paymentMethodId": ids["CBU 0458"]}}, "ana"))["data"]["removePaymentMethod"]
    assert shown(body["paymentMethods"]) == [("Visa 4242", True)]
    body = (await native.gql(REMOVE, {"input": {"paymentMethodId": ids["Visa 4242"]}}, "ana"))["data"]["removePaymentMethod"]
    assert body["errors"] == [] and body["paymentMethods"] == []
    again = await native.gql(REMOVE, {"input": {"paymentMethodId": ids["Visa 4242"]}}, "ana")
    assert codes(again, "removePaymentMethod") == ["NOT_FOUND"]


async def test_concurrent_removals_never_leave_methods_without_a_default(native) -> None:
    ids = await saved(native.store, 1, ["A", "B", "C", "D"], default="D")
    await asyncio.gather(*[native.gql(REMOVE, {"input": {"paymentMethodId": ids[x]}}, "ana") for x in ("D", "C")])
    left = (await native.gql(LIST, {"id": native.account("ana")}, "ana"))["data"]["customer"]["paymentMethods"]
    assert shown(left) == [("B", True), ("A", False)]


async def test_another_customers_method_is_not_found_and_stays(native) -> None:
    ids = await saved(native.store, 1, ["Visa 4242", "CBU 0458"], default="Visa 4242")
    assert codes(await native.gql(SET, {"input": {"paymentMethodId": ids["CBU 0458"]}}, "beto"),
                 "setDefaultPaymentMethod") == ["NOT_FOUND"]  # fmt: skip
    assert codes(await native.gql(REMOVE, {"input": {"paymentMethodId": ids["CBU 0458"]}}, "beto"),
                 "removePaymentMethod") == ["NOT_FOUND"]  # fmt: skip
    left = (await native.gql(LIST, {"id": native.account("ana")}, "ana"))["data"]["customer"]["paymentMethods"]
    assert shown(left) == [("Visa 4242", True), ("CBU 0458", False)]


@pytest.mark.parametrize("caller", ["analyst", "agent", "reader"])
async def test_staff_and_partners_without_billing_write_are_forbidden(native, caller) -> None:
    ids = await saved(native.store, 1, ["Visa 4242"], default="Visa 4242")
    body = await native.gql(REMOVE, {"input": {"paymentMethodId": ids["Visa 4242"]}}, caller)
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body


async def test_a_partner_with_billing_write_sets_the_default(native) -> None:
    ids = await saved(native.store, 1, ["Visa 4242", "CBU 0458"], default="Visa 4242")
    body = await native.gql(SET, {"input": {"paymentMethodId": ids["CBU 0458"]}}, "partner")
    assert body["data"]["setDefaultPaymentMethod"]["errors"] == []


async def test_with_payment_methods_switched_off_nothing_changes(tmp_path) -> None:
    async with portal(tmp_path, features=[f for f in Feature if f is not Feature.PAYMENT_METHODS]) as off:
        ids = await saved(off.store, 1, ["Visa 4242", "CBU 0458"], default="Visa 4242")
        body = await off.gql(REMOVE, {"input": {"paymentMethodId": ids["Visa 4242"]}}, "ana")
        assert codes(body, "removePaymentMethod") == ["FEATURE_DISABLED"]
        async with off.store.connect() as conn:
            assert len((await conn.execute(select(payment_methods).where(payment_methods.c.customer_id == 1))).all()) == 2


@pytest.mark.parametrize("connector", ["sap", "ispcube"])
async def test_a_legacy_customers_methods_are_the_stores_and_change_there(tmp_path, connector) -> None:
    async with portal(tmp_path, connector=connector) as sap:
        ids = await saved(sap.store, 1, ["Visa 4242", "CBU 0458"], default="Visa 4242")
        body = (await sap.gql(REMOVE, {"input": {"paymentMethodId": ids["Visa 4242"]}}, "ana"))["data"]["removePaymentMethod"]
        assert body["errors"] == [] and shown(body["paymentMethods"]) == [("CBU 0458", True)]


@pytest.mark.parametrize("backend", ["postgresql", "mariadb"])
async def test_concurrent_removals_on_server_stores_leave_one_default(tmp_path, backend) -> None:
    async with portal(tmp_path, store_backend=backend) as served:
        ids = await saved(served.store, 1, ["A", "B", "C", "D"], default="D")
        await asyncio.gather(*[served.gql(REMOVE, {"input": {"paymentMethodId": ids[x]}}, "ana") for x in ("D", "C")])
        left = (await served.gql(LIST, {"id": served.account("ana")}, "ana"))["data"]["customer"]["paymentMethods"]
        assert shown(left) == [("B", True), ("A", False)]
