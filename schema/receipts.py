"""Payment receipts (FEATURES.md B10) and plan requests (D4): their types, inputs, payloads and mutations."""

from __future__ import annotations

import datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.file_uploads import Upload
from strawberry.types import Info

from ..connectors import records
from ..errors import ApiError
from ..resolvers import plan_requests as resolve_plans
from ..resolvers import receipts as resolve
from ..resolvers.common import page
from ..rules.uploads import Upload as UploadedFile
from ..store import receipts as store
from .billing import Invoice, Payment, invoice_type, payment_type
from .catalog import Plan, PlanSubscription, plan_type, subscription_type
from .common import Money, money
from .errors import ErrorCode, UserError
from .relay import After, Connection, First, connection, from_global_id, to_global_id
from .support import Ticket, ticket_type

if TYPE_CHECKING:
    from .customer import Customer

CustomerRef = Annotated["Customer", strawberry.lazy("ventanilla.schema.customer")]


@strawberry.enum(description="Where a payment receipt stands in the business's queue.")
class PaymentReceiptStatus(Enum):
    SUBMITTED = strawberry.enum_value("SUBMITTED", description="Waiting for the business to check it.")
    ACCEPTED = strawberry.enum_value("ACCEPTED", description="The business recorded the payment.")
    REJECTED = strawberry.enum_value("REJECTED", description="The business rejected it; `reason` says why.")


@strawberry.type(description="The file of a payment receipt, as it was kept (location data removed from photos).")
class ReceiptFile:
    filename: str = strawberry.field(description="The file's name, as uploaded (without folders).")
    content_type: str = strawberry.field(description="Its type, read from its content: image/jpeg, application/pdf ...")
    size: int = strawberry.field(description="Its size in bytes.")
    sha256: str = strawberry.field(description="SHA-256 of its bytes (hex): the business's systems find it by it.")


async def _ticket(info: Info, ticket_id: str | None) -> Ticket | None:
    found = await resolve.ticket_of(info.context, ticket_id)
    return None if found is None else ticket_type(found)


@strawberry.type(description="A payment receipt a customer submitted (FEATURES.md B10): staff accept or reject it.")
class PaymentReceipt:
    id: strawberry.ID = strawberry.field(description="Global id of the receipt: pass it to accept or reject it.")
    status: PaymentReceiptStatus = strawberry.field(description="Submitted, accepted or rejected.")
    amount: Money = strawberry.field(description="The amount the customer says it paid, in the account's currency.")
    file: ReceiptFile = strawberry.field(description="The image or PDF of the receipt.")
    reason: str | None = strawberry.field(description="Why the business rejected it (the customer reads it).")
    created_at: datetime.datetime = strawberry.field(description="When it was submitted.")
    decided_at: datetime.datetime | None = strawberry.field(description="When it was accepted or rejected.")
    record: strawberry.Private[store.PaymentReceipt]

    @strawberry.field(description="Who of the business decided it (staff:<user id>); shown to staff only.")
    def decided_by(self, info: Info) -> str | None:
        return self.record.decided_by if info.context.principal.is_staff else None

    @strawberry.field(description="The invoices the customer said it pays (those it may still see).")
    async def invoices(self, info: Info) -> list[Invoice] | None:
        today = info.context.today
        return [invoice_type(i, today) for i in await resolve.invoices_of(info.context, self.record)]

    @strawberry.field(description="The ticket the receipt opened for the business.")
    async def ticket(self, info: Info) -> Ticket | None:
        return await _ticket(info, self.record.ticket_id)

    @strawberry.field(description="The payment an accepted receipt recorded (when the portal keeps the billing).")
    async def payment(self, info: Info) -> Payment | None:
        found = await resolve.payment_of(info.context, self.record)
        return None if found is None else payment_type(found)

    @strawberry.field(description="The customer account it was submitted for.")
    async def customer(self, info: Info) -> CustomerRef | None:
        from .customer import customer_type

        found = await resolve.customer_of(info.context, self.record)
        return None if found is None else customer_type(found)


def receipt_type(r: store.PaymentReceipt) -> PaymentReceipt:
    return PaymentReceipt(
        id=to_global_id("PaymentReceipt", r.id),
        status=PaymentReceiptStatus(r.status.value),
        amount=money(r.amount, r.currency),
        file=ReceiptFile(filename=r.file.filename, content_type=r.file.content_type, size=r.file.size,
                         sha256=r.file.sha256),  # fmt: skip
        reason=r.reason,
        created_at=r.created_at,
        decided_at=r.decided_at,
        record=r,
    )


@strawberry.enum(description="What a plan request asks for.")
class PlanRequestKind(Enum):
    CHANGE = strawberry.enum_value("CHANGE", description="Another plan instead of a contracted one.")
    NEW = strawberry.enum_value("NEW", description="A new plan, at a service address.")


@strawberry.type(description="A plan change or a new plan a customer asked for (FEATURES.md D4); its ticket follows it.")
class PlanRequest:
    id: strawberry.ID = strawberry.field(description="Global id of the request.")
    kind: PlanRequestKind = strawberry.field(description="A change of a contracted plan, or a new plan.")
    status: str = strawberry.field(description="PENDING: the business handles it through its ticket.")
    service_address: str | None = strawberry.field(description="Where the new plan is wanted, as the customer wrote it.")
    comment: str | None = strawberry.field(description="The customer's comment.")
    created_at: datetime.datetime = strawberry.field(description="When it was asked for.")
    record: strawberry.Private[store.PlanRequest]

    @strawberry.field(description="The plan asked for.")
    async def plan(self, info: Info) -> Plan | None:
        found = await resolve_plans.plan_of(info.context, self.record.to_plan_id)
        return None if found is None else plan_type(found)

    @strawberry.field(description="The plan the subscription had when the change was asked for (changes only).")
    async def from_plan(self, info: Info) -> Plan | None:
        found = await resolve_plans.plan_of(info.context, self.record.from_plan_id)
        return None if found is None else plan_type(found)

    @strawberry.field(description="The contracted plan to change (changes only).")
    async def subscription(self, info: Info) -> PlanSubscription | None:
        found = await resolve_plans.subscription_of(info.context, self.record)
        return None if found is None else subscription_type(found)

    @strawberry.field(description="The ticket the request opened for the business.")
    async def ticket(self, info: Info) -> Ticket | None:
        return await _ticket(info, self.record.ticket_id)


def plan_request_type(r: store.PlanRequest) -> PlanRequest:
    return PlanRequest(
        id=to_global_id("PlanRequest", r.id), kind=PlanRequestKind(r.kind.value), status=r.status,
        service_address=r.service_address, comment=r.comment, created_at=r.created_at, record=r,
    )  # fmt: skip


# --- inputs and payloads -----------------------------------------------------------------------

IDEMPOTENCY_KEY = "Any string up to 200 characters: the same key again returns the first answer and does nothing more."


@strawberry.input(description="A payment receipt: the amount paid, the receipt's image or PDF, and optionally what it pays.")
class SubmitPaymentReceiptInput:
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Global id of the account it is for; default: the caller's default account."
    )
    amount: Decimal = strawberry.field(description='The amount paid, more than 0, in the account\'s currency: "1600.00".')
    file: Upload = strawberry.field(description="One image (JPEG, PNG, WebP) or PDF of the receipt (multipart request).")
    invoice_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Global ids of the account's unpaid invoices it pays; none: the oldest first."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.type(description="Result of submitPaymentReceipt.")
class SubmitPaymentReceiptPayload:
    receipt: PaymentReceipt | None = strawberry.field(description="The receipt, SUBMITTED; null on errors.")
    errors: list[UserError] = strawberry.field(description="Why it was refused; empty on success.")
    ticket_id: strawberry.Private[str | None] = None

    @strawberry.field(description="The ticket the receipt opened for the business.")
    async def ticket(self, info: Info) -> Ticket | None:
        return await _ticket(info, self.ticket_id)


@strawberry.input(description="Accept a submitted payment receipt (agents).")
class AcceptPaymentReceiptInput:
    receipt_id: strawberry.ID = strawberry.field(description="Global id of the receipt.")
    invoice_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Global ids of the account's invoices the payment settles; default: those the customer named, "
        "else the oldest unpaid first. What is left over stays as credit on the account.",
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.type(description="Result of acceptPaymentReceipt.")
class AcceptPaymentReceiptPayload:
    receipt: PaymentReceipt | None = strawberry.field(description="The receipt, ACCEPTED; null on errors.")
    errors: list[UserError] = strawberry.field(description="Why it was refused; empty on success.")


@strawberry.input(description="Reject a submitted payment receipt with a reason the customer reads (agents).")
class RejectPaymentReceiptInput:
    receipt_id: strawberry.ID = strawberry.field(description="Global id of the receipt.")
    reason: str = strawberry.field(description="Why, in words for the customer (1 to 500 characters).")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.type(description="Result of rejectPaymentReceipt.")
class RejectPaymentReceiptPayload:
    receipt: PaymentReceipt | None = strawberry.field(description="The receipt, REJECTED; null on errors.")
    errors: list[UserError] = strawberry.field(description="Why it was refused; empty on success.")


@strawberry.input(description="Ask for another plan for one of the caller's contracted plans.")
class RequestPlanChangeInput:
    subscription_id: strawberry.ID = strawberry.field(description="Global id of the contracted plan (PlanSubscription).")
    plan_id: strawberry.ID = strawberry.field(description="Global id of a plan available in the portal (Query.plans).")
    comment: str | None = strawberry.field(default=None, description="A comment for the business (up to 2000 characters).")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input(description="Ask for a new plan, one of those available in the portal.")
class RequestPlanInput:
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Global id of the account it is for; default: the caller's default account."
    )
    plan_id: strawberry.ID = strawberry.field(description="Global id of a plan available in the portal (Query.plans).")
    service_address: str | None = strawberry.field(
        default=None, description="Where the service is wanted (up to 300 characters)."
    )
    comment: str | None = strawberry.field(default=None, description="A comment for the business (up to 2000 characters).")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.type(description="Result of requestPlanChange.")
class RequestPlanChangePayload:
    request: PlanRequest | None = strawberry.field(description="The request; null on errors.")
    errors: list[UserError] = strawberry.field(description="Why it was refused; empty on success.")

    @strawberry.field(description="The ticket the request opened for the business.")
    async def ticket(self, info: Info) -> Ticket | None:
        return await _ticket(info, self.request.record.ticket_id if self.request else None)


@strawberry.type(description="Result of requestPlan.")
class RequestPlanPayload:
    request: PlanRequest | None = strawberry.field(description="The request; null on errors.")
    errors: list[UserError] = strawberry.field(description="Why it was refused; empty on success.")

    @strawberry.field(description="The ticket the request opened for the business.")
    async def ticket(self, info: Info) -> Ticket | None:
        return await _ticket(info, self.request.record.ticket_id if self.request else None)


# --- resolvers ---------------------------------------------------------------------------------


def user_error(error: ApiError, language: str) -> UserError:
    """As schema/access.py's (which imports the customer types, and so these: not imported from there)."""
    return UserError(field=error.field, code=ErrorCode(error.code.value), message=error.message(language))


def _raw(global_id: str | None, type_name: str, field: list[str]) -> str | None:
    if global_id is None:
        return None
    try:
        return from_global_id(global_id, type_name)[1]
    except ApiError as error:
        error.field = field
        raise


async def _file(upload: Any) -> UploadedFile | None:
    """A multipart file (Starlette's UploadFile) as rules/uploads.py checks it."""
    if upload is None:
        return None
    return UploadedFile(upload.filename or "", await upload.read(), upload.content_type)


async def submit_payment_receipt(
    info: Info, input: Annotated[SubmitPaymentReceiptInput, strawberry.argument(description="Amount, file, invoices.")]
) -> SubmitPaymentReceiptPayload:
    ctx = info.context
    try:
        customer_id = _raw(input.customer_id, "Customer", ["input", "customerId"])
        invoices = [_raw(i, "Invoice", ["input", "invoiceIds", str(n)]) or "" for n, i in enumerate(input.invoice_ids or [])]
        submitted = await resolve.submit(ctx, customer_id, input.amount, await _file(input.file), invoices,
                                         input.idempotency_key)  # fmt: skip
        receipt = await resolve.receipt(ctx, submitted.receipt_id)
    except ApiError as error:
        return SubmitPaymentReceiptPayload(receipt=None, errors=[user_error(error, ctx.language)])
    return SubmitPaymentReceiptPayload(receipt=receipt_type(receipt), errors=[], ticket_id=submitted.ticket_id)


async def accept_payment_receipt(
    info: Info, input: Annotated[AcceptPaymentReceiptInput, strawberry.argument(description="The receipt.")]
) -> AcceptPaymentReceiptPayload:
    ctx = info.context
    try:
        receipt_id = _raw(input.receipt_id, "PaymentReceipt", ["input", "receiptId"]) or ""
        invoices = None
        if input.invoice_ids:
            invoices = [_raw(i, "Invoice", ["input", "invoiceIds", str(n)]) or "" for n, i in enumerate(input.invoice_ids)]
        accepted = await resolve.accept(ctx, receipt_id, invoices, input.idempotency_key)
        receipt = await resolve.receipt(ctx, accepted)
    except ApiError as error:
        return AcceptPaymentReceiptPayload(receipt=None, errors=[user_error(error, ctx.language)])
    return AcceptPaymentReceiptPayload(receipt=receipt_type(receipt), errors=[])


async def reject_payment_receipt(
    info: Info, input: Annotated[RejectPaymentReceiptInput, strawberry.argument(description="The receipt and why.")]
) -> RejectPaymentReceiptPayload:
    ctx = info.context
    try:
        receipt_id = _raw(input.receipt_id, "PaymentReceipt", ["input", "receiptId"]) or ""
        rejected = await resolve.reject(ctx, receipt_id, input.reason, input.idempotency_key)
        receipt = await resolve.receipt(ctx, rejected)
    except ApiError as error:
        return RejectPaymentReceiptPayload(receipt=None, errors=[user_error(error, ctx.language)])
    return RejectPaymentReceiptPayload(receipt=receipt_type(receipt), errors=[])


async def payment_receipts(
    info: Info,
    status: Annotated[
        PaymentReceiptStatus | None, strawberry.argument(description="Only receipts in this state (SUBMITTED: the queue).")
    ] = None,
    first: First = None,
    after: After = None,
) -> Connection[PaymentReceipt] | None:
    ctx = info.context
    wanted = page(ctx, first, after)
    state = store.ReceiptStatus(status.value) if status is not None else None
    found, more = await resolve.queue(ctx, state, wanted.first, wanted.after)
    listed = records.PageOf(items=found, cursors=[r.id for r in found], has_next=more)
    return connection(listed, receipt_type, after, lambda: resolve.queue_count(ctx, state))


async def request_plan_change(
    info: Info, input: Annotated[RequestPlanChangeInput, strawberry.argument(description="Subscription and plan.")]
) -> RequestPlanChangePayload:
    ctx = info.context
    try:
        subscription_id = _raw(input.subscription_id, "PlanSubscription", ["input", "subscriptionId"]) or ""
        plan_id = _raw(input.plan_id, "Plan", ["input", "planId"]) or ""
        made = await resolve_plans.request_change(ctx, subscription_id, plan_id, input.comment, input.idempotency_key)
        request = await resolve_plans.plan_request(ctx, made)
    except ApiError as error:
        return RequestPlanChangePayload(request=None, errors=[user_error(error, ctx.language)])
    return RequestPlanChangePayload(request=plan_request_type(request), errors=[])


async def request_plan(
    info: Info, input: Annotated[RequestPlanInput, strawberry.argument(description="Plan and service address.")]
) -> RequestPlanPayload:
    ctx = info.context
    try:
        customer_id = _raw(input.customer_id, "Customer", ["input", "customerId"])
        plan_id = _raw(input.plan_id, "Plan", ["input", "planId"]) or ""
        made = await resolve_plans.request_new(ctx, customer_id, plan_id, input.service_address, input.comment,
                                               input.idempotency_key)  # fmt: skip
        request = await resolve_plans.plan_request(ctx, made)
    except ApiError as error:
        return RequestPlanPayload(request=None, errors=[user_error(error, ctx.language)])
    return RequestPlanPayload(request=plan_request_type(request), errors=[])


async def customer_receipts(info: Info, customer: records.Customer) -> list[PaymentReceipt]:
    """Customer.paymentReceipts: the account's own (guarded by its owner), newest first."""
    return [receipt_type(r) for r in await resolve.receipts_of(info.context, customer)]


async def customer_plan_requests(info: Info, customer: records.Customer) -> list[PlanRequest]:
    """Customer.planRequests: the account's own, newest first."""
    return [plan_request_type(r) for r in await resolve_plans.plan_requests_of(info.context, customer)]
