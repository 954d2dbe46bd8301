"""Plan requests (FEATURES.md D4): another plan for a contracted one, or a new plan.

Both take a plan the business marks available in the portal, open a ticket with the plan routing
defaults (`[plans.ticket]`), are kept in the store's `plan_requests` (so the customer sees what
it asked for, wherever the ticket lands) and tell the business (PlanChangeRequested,
PlanRequested). Through `perform` (switch PLAN_REQUESTS, idempotency key, audit).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from ..auth.ownership import acting_account, authorize, may_see
from ..connectors.records import Customer, Plan, PlanSubscription
from ..errors import ApiError, ErrorCode, not_found
from ..settings import Feature
from ..store import receipts as store
from ..store.events import DomainEvent
from ..store.receipts import PlanRequest, PlanRequestKind
from .actions import Action, Done, audited, perform
from .context import Context
from .tickets_link import open_kind_ticket

MAX_COMMENT = 2000
MAX_ADDRESS = 300


def _text(value: str | None, field: str, limit: int) -> str | None:
    """A free text as kept: trimmed, None when blank; BAD_INPUT over `limit` characters."""
    if value is None or not value.strip():
        return None
    if len(value.strip()) > limit:
        raise ApiError(ErrorCode.BAD_INPUT, field=["input", field], detail=f"{field} (at most {limit} characters)")
    return value.strip()


async def _portal_plan(ctx: Context, plan_id: str) -> Plan:
    """The plan asked for: it exists (NOT_FOUND) and is available in the portal (BAD_INPUT)."""
    (plan,) = await ctx.services.source.plans_by_id([plan_id])
    if plan is None:
        raise ApiError(ErrorCode.NOT_FOUND, field=["input", "planId"], what="Plan")
    if not plan.available_in_portal:
        raise ApiError(ErrorCode.BAD_INPUT, field=["input", "planId"],
                       detail=f"planId (the plan {plan.name} is not offered in the portal)")  # fmt: skip
    return plan


@audited("requestPlanChange")
async def request_change(
    ctx: Context, subscription_id: str, plan_id: str, comment: str | None, idempotency_key: str | None
) -> str:
    """Ask for `plan_id` instead of the plan of the caller's subscription; the request's id."""
    request = {"subscriptionId": subscription_id, "planId": plan_id, "comment": comment}
    action = Action("requestPlanChange", None, request, idempotency_key, Feature.PLAN_REQUESTS)

    async def work(conn: AsyncConnection) -> Done:
        (subscription,) = await ctx.services.source.subscriptions_by_id([subscription_id])
        if subscription is None:
            raise ApiError(ErrorCode.NOT_FOUND, field=["input", "subscriptionId"], what="PlanSubscription")
        if not may_see(ctx.principal, subscription):  # another customer's: exactly like a missing one
            raise ApiError(ErrorCode.NOT_FOUND, field=["input", "subscriptionId"], what="PlanSubscription")
        plan = await _portal_plan(ctx, plan_id)
        if plan.id == subscription.plan_id:
            raise ApiError(ErrorCode.BAD_INPUT, field=["input", "planId"],
                           detail=f"planId (the subscription already has the plan {plan.name})")  # fmt: skip
        note = _text(comment, "comment", MAX_COMMENT)
        (current,) = await ctx.services.source.plans_by_id([subscription.plan_id])
        customer_id = subscription.customer_id
        request_id = await store.add_plan_request(
            conn, customer_id=customer_id, kind=PlanRequestKind.CHANGE, to_plan_id=plan.id,
            subscription_id=subscription.id, from_plan_id=subscription.plan_id, comment=note,
            requested_by=ctx.principal.actor,
        )  # fmt: skip
        was = current.name if current is not None else subscription.plan_id
        description = f"Cambio de plan: de {was} a {plan.name} ({plan.price} {plan.currency} por mes)."
        ticket_id = await open_kind_ticket(
            ctx, conn, "plan", customer_id, await _account_name(ctx, customer_id),
            f"Solicitud de cambio de plan a {plan.name}", _with(description, note),
        )  # fmt: skip
        await store.set_plan_request_ticket(conn, request_id, ticket_id)
        event = DomainEvent("PlanChangeRequested", customer_id, {
            "requestId": request_id, "ticketId": ticket_id, "subscriptionId": subscription.id,
            "fromPlanId": subscription.plan_id, "toPlanId": plan.id, "comment": note,
        })  # fmt: skip
        return Done({"id": request_id, "ticketId": ticket_id}, [event], object_id=f"PlanRequest:{request_id}")

    return str((await perform(ctx, action, work))["id"])


@audited("requestPlan")
async def request_new(
    ctx: Context,
    customer_id: str | None,
    plan_id: str,
    service_address: str | None,
    comment: str | None,
    idempotency_key: str | None,
) -> str:
    """Ask for a new plan for the caller's account; the request's id."""
    request = {"customerId": customer_id, "planId": plan_id, "serviceAddress": service_address, "comment": comment}
    ids = ctx.principal.customer_ids
    action = Action("requestPlan", customer_id or (ids[0] if ids else None), request, idempotency_key,
                    Feature.PLAN_REQUESTS)  # fmt: skip

    async def work(conn: AsyncConnection) -> Done:
        account = acting_account(ctx.principal, customer_id)
        plan = await _portal_plan(ctx, plan_id)
        address = _text(service_address, "serviceAddress", MAX_ADDRESS)
        note = _text(comment, "comment", MAX_COMMENT)
        request_id = await store.add_plan_request(
            conn, customer_id=account, kind=PlanRequestKind.NEW, to_plan_id=plan.id, service_address=address,
            comment=note, requested_by=ctx.principal.actor,
        )  # fmt: skip
        description = f"Alta de plan: {plan.name} ({plan.price} {plan.currency} por mes)."
        if address:
            description += f"\nDomicilio del servicio: {address}"
        ticket_id = await open_kind_ticket(
            ctx, conn, "plan", account, await _account_name(ctx, account), f"Solicitud de plan {plan.name}",
            _with(description, note),
        )  # fmt: skip
        await store.set_plan_request_ticket(conn, request_id, ticket_id)
        event = DomainEvent("PlanRequested", account, {
            "requestId": request_id, "ticketId": ticket_id, "planId": plan.id, "serviceAddress": address,
            "comment": note,
        })  # fmt: skip
        return Done({"id": request_id, "ticketId": ticket_id}, [event], object_id=f"PlanRequest:{request_id}")

    return str((await perform(ctx, action, work))["id"])


async def _account_name(ctx: Context, customer_id: str) -> str:
    (customer,) = await ctx.services.source.customers_by_id([customer_id])
    if customer is None:
        raise not_found("Customer")
    return customer.name


def _with(description: str, comment: str | None) -> str:
    return f"{description}\n\nComentario del cliente: {comment}" if comment else description


async def plan_request(ctx: Context, request_id: str) -> PlanRequest:
    found = await ctx.services.store.read(lambda conn: store.plan_request_by_id(conn, request_id))
    if found is None:
        raise not_found("PlanRequest")
    return authorize(ctx.principal, found, "PlanRequest")


async def plan_requests_of(ctx: Context, customer: Customer) -> list[PlanRequest]:
    """A customer's plan requests (the caller's own account only), newest first."""
    authorize(ctx.principal, customer)
    found = await ctx.services.store.read(lambda conn: store.plan_requests_of(conn, customer.id))
    return [r for r in found if may_see(ctx.principal, r)]


async def plan_of(ctx: Context, plan_id: str | None) -> Plan | None:
    """A plan a request names (the catalogue: anyone may see it)."""
    if plan_id is None:
        return None
    return await ctx.loaders.plan_by_id.load(plan_id)


async def subscription_of(ctx: Context, request: PlanRequest) -> PlanSubscription | None:
    """The contracted plan a change request is for, if the caller may see it."""
    authorize(ctx.principal, request)
    if request.subscription_id is None:
        return None
    found = await ctx.loaders.subscription_by_id.load(request.subscription_id)
    return found if found is not None and may_see(ctx.principal, found) else None
