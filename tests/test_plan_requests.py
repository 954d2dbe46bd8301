"""Plan requests over HTTP (FEATURES.md D4): a change of a contracted plan, or a new plan, each one of
those the business marks available in the portal; each opens a ticket and tells the business."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from ventanilla.connectors.native.tables import plans, tickets
from ventanilla.settings import Feature
from ventanilla.store.tables import audit_log, plan_requests

from .portal_actions import codes, demo_portal, global_id, raw_id, sap_portal

CHANGE = """
mutation($subscriptionId: ID!, $planId: ID!, $comment: String, $key: String) {
  requestPlanChange(input: {subscriptionId: $subscriptionId, planId: $planId, comment: $comment,
                            idempotencyKey: $key}) {
    request { id kind status comment plan { id name } fromPlan { id } subscription { id } createdAt }
    ticket { id subject area category priority messages { body } }
    errors { code field message }
  }
}
"""
NEW = """
mutation($customerId: ID, $planId: ID!, $serviceAddress: String, $comment: String, $key: String) {
  requestPlan(input: {customerId: $customerId, planId: $planId, serviceAddress: $serviceAddress,
                      comment: $comment, idempotencyKey: $key}) {
    request { id kind status serviceAddress comment plan { id name } }
    ticket { id subject area category messages { body } }
    errors { code field message }
  }
}
"""
MY_PLANS = """
{ viewer { accounts { id } customer { id subscriptions { id plan { id name } }
  planRequests { id kind plan { id } serviceAddress } } } plans(first: 50) { nodes { id name availableInPortal } } }
"""
REQUESTS = "query($id: ID!) { customer(id: $id) { planRequests { id kind } } }"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def portal(request, tmp_path_factory):
    async with demo_portal(request.param, tmp_path_factory.mktemp("plans")) as served:
        yield served


async def mine(portal, token: str | None = None) -> dict:
    body = await portal.gql(MY_PLANS, token=token or portal.tokens["customer"])
    assert "errors" not in body, body
    return body["data"]


async def hidden_plan(portal) -> str:
    """A plan the business does not offer in the portal (the native tables say so)."""
    async with portal.engine.connect() as conn:
        found = (await conn.execute(select(plans.c.id).where(plans.c.available_in_portal.is_(False)))).scalars().first()
    assert found is not None, "the demo has a plan not offered in the portal"
    return global_id("Plan", str(found))


async def request_rows(portal) -> int:
    async with portal.engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(plan_requests))).scalar_one()


def made(body: dict, mutation: str) -> dict:
    payload = body["data"][mutation]
    assert payload["errors"] == [], payload
    return payload


def refused(body: dict, mutation: str) -> dict:
    payload = body["data"][mutation]
    assert payload["request"] is None and len(payload["errors"]) == 1, payload
    return payload["errors"][0]


def change_variables(data: dict) -> dict:
    """The first subscription and a portal plan other than its own."""
    subscription = data["viewer"]["customer"]["subscriptions"][0]
    other = next(p for p in data["plans"]["nodes"] if p["id"] != subscription["plan"]["id"])
    return {"subscriptionId": subscription["id"], "planId": other["id"]}


async def test_a_plan_change_opens_a_ticket_and_tells_the_business(portal) -> None:
    # given one of the caller's subscriptions and another plan offered in the portal
    data = await mine(portal)
    variables = change_variables(data)
    subscription = data["viewer"]["customer"]["subscriptions"][0]
    # when it asks for the change
    payload = made(await portal.gql(CHANGE, {**variables, "comment": "Necesito más subida"}, portal.tokens["customer"]),
                   "requestPlanChange")  # fmt: skip
    # then the request is pending, from its plan to the new one
    request = payload["request"]
    assert (request["kind"], request["status"], request["comment"]) == ("CHANGE", "PENDING", "Necesito más subida")
    assert request["plan"]["id"] == variables["planId"] and request["fromPlan"]["id"] == subscription["plan"]["id"]
    assert request["subscription"]["id"] == subscription["id"]
    # and a ticket with the plan routing defaults says what was asked
    ticket = payload["ticket"]
    assert (ticket["area"], ticket["category"], ticket["priority"]) == ("Comercial", "Cambio de plan", "Baja")
    new_name = next(p["name"] for p in data["plans"]["nodes"] if p["id"] == variables["planId"])
    assert new_name in ticket["subject"] and "Necesito más subida" in ticket["messages"][0]["body"]
    # and the customer sees the request among its own
    listed = (await mine(portal))["viewer"]["customer"]["planRequests"]
    assert request["id"] in [r["id"] for r in listed]
    # and the event is in the outbox
    (event,) = [e for e in await portal.events_of("PlanChangeRequested") if e["requestId"] == raw_id(request["id"])]
    assert event == {
        "requestId": raw_id(request["id"]), "ticketId": raw_id(ticket["id"]), "subscriptionId": raw_id(subscription["id"]),
        "fromPlanId": raw_id(subscription["plan"]["id"]), "toPlanId": raw_id(variables["planId"]),
        "comment": "Necesito más subida", "_customer": raw_id(data["viewer"]["customer"]["id"]),
    }  # fmt: skip


async def test_a_new_plan_for_the_second_account_with_its_service_address(portal) -> None:
    data = await mine(portal)
    second = data["viewer"]["accounts"][1]["id"]
    plan = next(p for p in data["plans"]["nodes"] if p["availableInPortal"])
    variables = {"customerId": second, "planId": plan["id"], "serviceAddress": "Av. Mitre 742, Bahía Blanca"}
    payload = made(await portal.gql(NEW, variables, portal.tokens["customer"]), "requestPlan")
    request = payload["request"]
    assert (request["kind"], request["serviceAddress"], request["plan"]["id"]) == (
        "NEW", "Av. Mitre 742, Bahía Blanca", plan["id"])
    assert "Av. Mitre 742" in payload["ticket"]["messages"][0]["body"] and plan["name"] in payload["ticket"]["subject"]
    listed = await portal.gql(REQUESTS, {"id": second}, portal.tokens["customer"])
    assert [r["id"] for r in listed["data"]["customer"]["planRequests"]] == [request["id"]]
    (event,) = [e for e in await portal.events_of("PlanRequested") if e["requestId"] == raw_id(request["id"])]
    assert event["_customer"] == raw_id(second) and event["serviceAddress"] == "Av. Mitre 742, Bahía Blanca"


async def test_a_plan_not_offered_the_same_plan_or_a_missing_one_is_refused(portal) -> None:
    data = await mine(portal)
    subscription = data["viewer"]["customer"]["subscriptions"][0]
    rows = await request_rows(portal)
    hidden = await hidden_plan(portal)
    change = lambda plan: {"subscriptionId": subscription["id"], "planId": plan}  # noqa: E731
    not_offered = refused(await portal.gql(CHANGE, change(hidden), portal.tokens["customer"], **{"Accept-Language": "en"}),
                          "requestPlanChange")  # fmt: skip
    assert not_offered["code"] == "BAD_INPUT" and "not offered in the portal" in not_offered["message"]
    assert not_offered["field"] == ["input", "planId"]
    same = refused(await portal.gql(CHANGE, change(subscription["plan"]["id"]), portal.tokens["customer"],
                                    **{"Accept-Language": "en"}), "requestPlanChange")  # fmt: skip
    assert same["code"] == "BAD_INPUT" and "already has the plan" in same["message"]
    missing = refused(await portal.gql(CHANGE, change(global_id("Plan", "99999")), portal.tokens["customer"]),
                      "requestPlanChange")  # fmt: skip
    assert missing["code"] == "NOT_FOUND"
    new = refused(await portal.gql(NEW, {"planId": hidden}, portal.tokens["customer"]), "requestPlan")
    assert new["code"] == "BAD_INPUT"
    assert await request_rows(portal) == rows


async def test_another_customers_subscription_is_not_found_like_a_missing_one(portal) -> None:
    data = await mine(portal)
    accounts = {a["id"] for a in data["viewer"]["accounts"]}
    listing = await portal.gql("{ customers(first: 30) { nodes { id subscriptions { id } } } }", token=portal.tokens["agent"])
    theirs = next(c["subscriptions"][0]["id"] for c in listing["data"]["customers"]["nodes"]
                  if c["id"] not in accounts and c["subscriptions"])  # fmt: skip
    plan = next(p["id"] for p in data["plans"]["nodes"] if p["availableInPortal"])
    rows = await request_rows(portal)
    other = refused(await portal.gql(CHANGE, {"subscriptionId": theirs, "planId": plan}, portal.tokens["customer"]),
                    "requestPlanChange")  # fmt: skip
    missing = refused(await portal.gql(CHANGE, {"subscriptionId": global_id("PlanSubscription", "99999"), "planId": plan},
                                       portal.tokens["customer"]), "requestPlanChange")  # fmt: skip
    assert other == missing and other["code"] == "NOT_FOUND"
    some_other_account = next(c["id"] for c in listing["data"]["customers"]["nodes"] if c["id"] not in accounts)
    assert refused(await portal.gql(NEW, {"customerId": some_other_account, "planId": plan}, portal.tokens["customer"]),
                   "requestPlan")["code"] == "NOT_FOUND"  # fmt: skip
    assert await request_rows(portal) == rows
    async with portal.engine.connect() as conn:
        outcomes = (await conn.execute(select(audit_log.c.outcome).where(audit_log.c.event == "REQUEST_PLAN_CHANGE"))).scalars().all()
    assert "NOT_FOUND" in outcomes


async def test_a_repeated_key_answers_the_same_request_and_a_reused_one_is_refused(portal) -> None:
    variables = {**change_variables(await mine(portal)), "key": "plan-key-1"}
    rows = await request_rows(portal)
    first = made(await portal.gql(CHANGE, variables, portal.tokens["customer"]), "requestPlanChange")
    again = made(await portal.gql(CHANGE, variables, portal.tokens["customer"]), "requestPlanChange")
    assert again == first and await request_rows(portal) == rows + 1
    reused = refused(await portal.gql(CHANGE, {**variables, "comment": "otra cosa"}, portal.tokens["customer"]),
                     "requestPlanChange")  # fmt: skip
    assert reused["code"] == "IDEMPOTENCY_KEY_REUSED" and await request_rows(portal) == rows + 1


async def test_the_switch_off_refuses_and_keeps_nothing(portal) -> None:
    variables = change_variables(await mine(portal))
    rows = await request_rows(portal)
    async with portal.engine.connect() as conn:
        ticket_count = (await conn.execute(select(func.count()).select_from(tickets))).scalar_one()
    off = portal.client_for(features=[f for f in Feature if f is not Feature.PLAN_REQUESTS])
    async with off:
        token = await portal.sign_in(("cliente@example.com", "perro.calamar"), client=off)
        error = refused(await portal.gql(CHANGE, variables, token, client=off), "requestPlanChange")
    assert error["code"] == "FEATURE_DISABLED" and await request_rows(portal) == rows
    async with portal.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(tickets))).scalar_one() == ticket_count


async def test_analysts_and_partners_without_the_scope_may_not_request(portal) -> None:
    data = await mine(portal)
    variables = change_variables(data)
    customer_id = data["viewer"]["customer"]["id"]
    assert codes(await portal.gql(CHANGE, variables, portal.tokens["analyst"])) == ["FORBIDDEN"]
    assert codes(await portal.gql(CHANGE, variables, portal.tokens["agent"])) == ["FORBIDDEN"]
    reader = await portal.partner(["customers:read", "contracts:read", "support:read"])
    assert set(codes(await portal.gql(CHANGE, variables, reader))) == {"FORBIDDEN"}
    writer = await portal.partner(["customers:read", "contracts:read", "contracts:write", "support:read"])
    assert made(await portal.gql(CHANGE, variables, writer), "requestPlanChange")["request"]["kind"] == "CHANGE"
    plan = variables["planId"]
    assert made(await portal.gql(NEW, {"customerId": customer_id, "planId": plan}, writer), "requestPlan")["request"]
    assert refused(await portal.gql(NEW, {"planId": plan}, writer), "requestPlan")["code"] == "BAD_INPUT"


async def test_over_sap_a_plan_change_is_kept_and_its_ticket_lands_in_the_store(tmp_path) -> None:
    async with sap_portal(tmp_path) as portal:
        data = await mine(portal)
        variables = change_variables(data)
        payload = made(await portal.gql(CHANGE, variables, portal.tokens["customer"]), "requestPlanChange")
        assert payload["request"]["plan"]["id"] == variables["planId"]
        (event,) = await portal.events_of("PlanChangeRequested")
        assert event["subscriptionId"] == raw_id(variables["subscriptionId"])
        # its ticket is kept in the store (the replica takes none) and read with the ERP's
        assert event["ticketId"] == raw_id(payload["ticket"]["id"]) and event["ticketId"].startswith("portal-")
        assert (payload["ticket"]["area"], payload["ticket"]["category"]) == ("Comercial", "Cambio de plan")
        listed = await portal.gql(REQUESTS, {"id": data["viewer"]["customer"]["id"]}, portal.tokens["customer"])
        assert [r["id"] for r in listed["data"]["customer"]["planRequests"]] == [payload["request"]["id"]]


async def test_over_ispcube_a_new_plans_ticket_goes_into_its_tables(tmp_path) -> None:
    from sqlalchemy import text

    from .tickets_portal import portal as ticket_portal

    async with ticket_portal(tmp_path, "ispcube") as isp:
        offered = await isp.gql("{ plans(first: 5) { nodes { id name } } }", caller="ana")
        plan = offered["data"]["plans"]["nodes"][0]
        body = await isp.gql(NEW, {"planId": plan["id"], "serviceAddress": "Belgrano 120, Tandil"}, "ana")
        payload = made(body, "requestPlan")
        async with isp.legacy.connect() as conn:
            (row,) = (await conn.execute(text("SELECT customer_id, subject FROM tickets WHERE id = :id"),
                                         {"id": int(raw_id(payload["ticket"]["id"]))})).mappings().all()  # fmt: skip
        assert (row["customer_id"], row["subject"]) == (1, f"Solicitud de plan {plan['name']}")
        assert "Belgrano 120, Tandil" in payload["ticket"]["messages"][0]["body"]
