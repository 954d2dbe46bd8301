"""Payment receipts (FEATURES.md B10): a customer submits one, the helpdesk accepts or rejects it.

- `submit`: the amount (in the account's currency), one image or PDF, optionally the account's
  own unpaid invoices it pays. It enters the staff queue SUBMITTED, opens a ticket with the
  receipt routing defaults (`[receipts.ticket]`) with the file attached, and tells the business
  (PaymentReceiptSubmitted).
- `accept` (agents): on the native store it records the payment, allocated to the named
  invoices, else to the oldest unpaid ones first (rules/billing.py), what is left over staying
  as credit on the account; when billing is a legacy ERP's, nothing is written there: the
  PaymentReceiptAccepted event tells the ERP to record it.
- `reject` (agents): with a reason the customer reads (PaymentReceiptRejected).

Each runs through `perform` (switch PAYMENT_RECEIPTS, idempotency key, event, audit); every check
but the file's runs inside it, so such a refusal is audited with its code and changes nothing. The
file is checked and kept before (see `submit`), as createTicket's are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from ..auth.ownership import acting_account, authorize, may_see
from ..connectors.native import payments as native_payments
from ..connectors.records import Customer, Invoice, NewMessage, Payment, Ticket, TicketStatus
from ..connectors.routing import STORE
from ..errors import ApiError, ErrorCode, not_found
from ..rules.billing import Allocation, allocate, oldest_first, receipt_amount_problem
from ..rules.uploads import Upload, UploadLimits
from ..settings import Feature
from ..store import receipts as store
from ..store.events import DomainEvent
from ..store.receipts import PaymentReceipt, ReceiptFile, ReceiptStatus
from .actions import Action, Done, audited, perform
from .context import Context
from .tickets import add_message
from .tickets_link import open_kind_ticket
from .uploads import keep_uploads

MAX_REASON = 500
MAX_INVOICES = 50


@dataclass(frozen=True, slots=True)
class SubmittedReceipt:
    """What submitPaymentReceipt answers (again, for a repeated key): the receipt and its ticket."""

    receipt_id: str
    ticket_id: str | None


def _amount(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        amount = Decimal("NaN")
    problem = receipt_amount_problem(amount)
    if problem is not None:
        raise ApiError(ErrorCode.BAD_INPUT, field=["input", "amount"], detail=problem)
    return amount.quantize(Decimal("0.01"))  # "1600" is 1600.00


async def _own_unpaid_invoices(ctx: Context, customer_id: str, invoice_ids: Sequence[str]) -> list[Invoice]:
    """The invoices named, each the account's own (else NOT_FOUND, as a missing one) and unpaid."""
    if len(invoice_ids) > MAX_INVOICES:
        raise ApiError(ErrorCode.BAD_INPUT, field=["input", "invoiceIds"], detail=f"invoiceIds (at most {MAX_INVOICES})")
    wanted = list(dict.fromkeys(invoice_ids))
    found = await ctx.services.source.invoices_by_id(wanted) if wanted else []
    owed = []
    for index, invoice in enumerate(found):
        if invoice is None or invoice.customer_id != customer_id or not may_see(ctx.principal, invoice):
            raise ApiError(ErrorCode.NOT_FOUND, field=["input", "invoiceIds", str(index)], what="Invoice")
        if invoice.void or invoice.balance_due <= 0:
            raise ApiError(ErrorCode.BAD_INPUT, field=["input", "invoiceIds", str(index)],
                           detail=f"invoiceIds ({invoice.number} has nothing left to pay)")  # fmt: skip
        owed.append(invoice)
    return owed


@audited("submitPaymentReceipt")
async def submit(
    ctx: Context,
    customer_id: str | None,
    amount: Any,
    file: Upload | None,
    invoice_ids: Sequence[str],
    idempotency_key: str | None,
) -> SubmittedReceipt:
    """Submit a receipt for the caller's account (`customer_id`, default: the caller's default).

    The file is checked by its content and kept before the action's transaction, as createTicket's
    (resolvers/tickets.py `keep_files`): the database blob store writes on a connection of its
    own. A refused file keeps nothing; an action refused after it leaves an unreferenced blob."""
    if file is None:
        raise ApiError(ErrorCode.BAD_INPUT, field=["input", "file"], detail="file (an image or a PDF of the receipt)")
    (kept,) = await keep_uploads(ctx.services.blobs, UploadLimits.of(ctx.settings), [file], field="file")
    request = {"customerId": customer_id, "amount": str(amount), "invoiceIds": list(invoice_ids), "file": kept.sha256}
    action = Action("submitPaymentReceipt", customer_id or _default_account(ctx), request, idempotency_key,
                    Feature.PAYMENT_RECEIPTS)  # fmt: skip

    async def work(conn: AsyncConnection) -> Done:
        account = acting_account(ctx.principal, customer_id)
        value = _amount(amount)
        (customer,) = await ctx.services.source.customers_by_id([account])
        if customer is None:
            raise not_found("Customer")
        named = await _own_unpaid_invoices(ctx, account, invoice_ids)
        invoices, numbers = [i.id for i in named], [i.number for i in named]
        stored = ReceiptFile(kept.sha256, kept.content_type, kept.size, kept.filename)
        receipt_id = await store.add_receipt(
            conn, customer_id=account, amount=value, currency=customer.currency, invoice_ids=invoices,
            file=stored, submitted_by=ctx.principal.actor,
        )  # fmt: skip
        body = f"Comprobante de pago por {value} {customer.currency}, adjunto ({kept.filename})."
        if numbers:
            body += f"\nPaga: {', '.join(numbers)}."
        ticket_id = await open_kind_ticket(
            ctx, conn, "receipt", account, customer.name, f"Comprobante de pago {value} {customer.currency}", body, (kept,)
        )
        await store.set_receipt_ticket(conn, receipt_id, ticket_id)
        event = DomainEvent("PaymentReceiptSubmitted", account, {
            "receiptId": receipt_id, "ticketId": ticket_id, "amount": str(value), "currency": customer.currency,
            "invoiceIds": invoices,
            "file": {"sha256": kept.sha256, "contentType": kept.content_type, "size": kept.size},
        })  # fmt: skip
        return Done({"id": receipt_id, "ticketId": ticket_id}, [event], object_id=f"PaymentReceipt:{receipt_id}")

    answer = await perform(ctx, action, work)
    return SubmittedReceipt(answer["id"], answer.get("ticketId"))


def _default_account(ctx: Context) -> str | None:
    ids = ctx.principal.customer_ids
    return ids[0] if ids else None


def billing_is_native(ctx: Context) -> bool:
    """True when invoices are the store's own tables (no `[routes] invoices` to a legacy source)."""
    routes = getattr(ctx.services.source, "routes", None)
    return routes is None or routes.get("invoices", STORE) == STORE


async def _submitted(conn: AsyncConnection, receipt_id: str) -> PaymentReceipt:
    receipt = await store.receipt_by_id(conn, receipt_id, lock=conn.dialect.name != "sqlite")
    if receipt is None:
        raise not_found("PaymentReceipt")
    if receipt.status is not ReceiptStatus.SUBMITTED:
        raise already_decided(receipt.status)
    return receipt


async def _decided_meanwhile(conn: AsyncConnection, receipt_id: str) -> ApiError:
    """Another agent's decision came first."""
    decided = await store.receipt_by_id(conn, receipt_id)
    return already_decided(decided.status if decided is not None else ReceiptStatus.ACCEPTED)


def already_decided(status: ReceiptStatus) -> ApiError:
    es, en = ("aceptado", "accepted") if status is ReceiptStatus.ACCEPTED else ("rechazado", "rejected")
    return ApiError(ErrorCode.ALREADY_DECIDED, field=["input", "receiptId"], status=es, status_en=en,
                    thing="El comprobante", thing_en="The receipt")  # fmt: skip


@audited("acceptPaymentReceipt")
async def accept(
    ctx: Context, receipt_id: str, invoice_ids: Sequence[str] | None, idempotency_key: str | None
) -> str:
    """Accept a SUBMITTED receipt (agents); the receipt's id."""
    request = {"receiptId": receipt_id, "invoiceIds": list(invoice_ids) if invoice_ids is not None else None}
    action = Action("acceptPaymentReceipt", None, request, idempotency_key, Feature.PAYMENT_RECEIPTS)

    async def work(conn: AsyncConnection) -> Done:
        receipt = await _submitted(conn, receipt_id)
        named = list(invoice_ids) if invoice_ids else list(receipt.invoice_ids)
        if invoice_ids:
            await _named_of(ctx, receipt.customer_id, named)
        payment_id: str | None = None
        settled: list[Allocation] = []
        left = receipt.amount
        if billing_is_native(ctx):
            owed = await native_payments.owed_documents(conn, receipt.customer_id, named or None)
            if named:  # in the order named, then what each owes
                order = {invoice: index for index, invoice in enumerate(named)}
                owed.sort(key=lambda d: order.get(d.id, len(order)))
            else:
                owed = oldest_first(owed)
            settled, left = allocate(receipt.amount, owed)
            payment_id = await native_payments.record_payment(
                conn, customer_id=receipt.customer_id, amount=receipt.amount, currency=receipt.currency,
                paid_on=ctx.today, method="Comprobante del portal", reference=f"PR-{receipt.id}", settles=settled,
            )  # fmt: skip
        if not await store.decide(conn, receipt.id, ReceiptStatus.ACCEPTED, ctx.principal.actor, payment_id=payment_id):
            raise await _decided_meanwhile(conn, receipt.id)
        told = "Recibimos tu pago: el comprobante fue aceptado."
        await _close_ticket(ctx, conn, receipt, told if payment_id is None else f"{told} Quedó registrado en tu cuenta.")
        event = DomainEvent("PaymentReceiptAccepted", receipt.customer_id, {
            "receiptId": receipt.id, "ticketId": receipt.ticket_id, "amount": str(receipt.amount),
            "currency": receipt.currency, "invoiceIds": named, "paymentId": payment_id,
            "recordedBy": "gateway" if payment_id is not None else "erp",
            "allocations": [{"invoiceId": a.document_id, "amount": str(a.amount)} for a in settled],
            "unallocated": str(left) if payment_id is not None else None,
        })  # fmt: skip
        return Done({"id": receipt.id}, [event], object_id=f"PaymentReceipt:{receipt.id}")

    return str((await perform(ctx, action, work))["id"])


async def _close_ticket(ctx: Context, conn: AsyncConnection, receipt: PaymentReceipt, body: str) -> None:
    """The decision, told in the receipt's ticket (which it closes), where the ticket was written."""
    if receipt.ticket_id is not None:
        author = ctx.principal.name or "Administración"
        note = NewMessage(receipt.ticket_id, body, author, from_customer=False)
        await add_message(ctx, conn, note, TicketStatus.CLOSED)


async def _named_of(ctx: Context, customer_id: str, invoice_ids: Sequence[str]) -> None:
    """Invoices an agent names must be of the receipt's account (NOT_FOUND otherwise)."""
    found = await ctx.services.source.invoices_by_id(list(invoice_ids))
    for index, invoice in enumerate(found):
        if invoice is None or invoice.customer_id != customer_id:
            raise ApiError(ErrorCode.NOT_FOUND, field=["input", "invoiceIds", str(index)], what="Invoice")


@audited("rejectPaymentReceipt")
async def reject(ctx: Context, receipt_id: str, reason: str, idempotency_key: str | None) -> str:
    """Reject a SUBMITTED receipt with a reason the customer reads (agents); the receipt's id."""
    request = {"receiptId": receipt_id, "reason": reason}
    action = Action("rejectPaymentReceipt", None, request, idempotency_key, Feature.PAYMENT_RECEIPTS)

    async def work(conn: AsyncConnection) -> Done:
        why = " ".join(reason.split())
        if not why or len(why) > MAX_REASON:
            raise ApiError(ErrorCode.BAD_INPUT, field=["input", "reason"], detail=f"reason (1..{MAX_REASON} characters)")
        receipt = await _submitted(conn, receipt_id)
        if not await store.decide(conn, receipt.id, ReceiptStatus.REJECTED, ctx.principal.actor, reason=why):
            raise await _decided_meanwhile(conn, receipt.id)
        await _close_ticket(ctx, conn, receipt, f"El comprobante fue rechazado: {why}")
        event = DomainEvent("PaymentReceiptRejected", receipt.customer_id, {
            "receiptId": receipt.id, "ticketId": receipt.ticket_id, "amount": str(receipt.amount),
            "currency": receipt.currency, "reason": why,
        })  # fmt: skip
        return Done({"id": receipt.id}, [event], object_id=f"PaymentReceipt:{receipt.id}")

    return str((await perform(ctx, action, work))["id"])


# --- reading ---------------------------------------------------------------------------------------


async def receipt(ctx: Context, receipt_id: str) -> PaymentReceipt:
    """One receipt the caller may see (its account's, or any for staff); NOT_FOUND otherwise."""
    found = await ctx.services.store.read(lambda conn: store.receipt_by_id(conn, receipt_id))
    if found is None:
        raise not_found("PaymentReceipt")
    return authorize(ctx.principal, found, "PaymentReceipt")


async def queue(
    ctx: Context, status: ReceiptStatus | None, first: int, after: str | None
) -> tuple[list[PaymentReceipt], bool]:
    """The staff queue (the field's permission is Agent): oldest first."""
    return await ctx.services.store.read(
        lambda conn: store.receipts(conn, status=status, first=first, after=after)
    )


async def queue_count(ctx: Context, status: ReceiptStatus | None) -> int:
    return await ctx.services.store.read(lambda conn: store.receipt_count(conn, status))


async def receipts_of(ctx: Context, customer: Customer) -> list[PaymentReceipt]:
    """A customer's receipts (the caller's own account only), newest first, with their status and
    a rejection's reason."""
    authorize(ctx.principal, customer)
    found = await ctx.services.store.read(lambda conn: store.receipts_of(conn, customer.id))
    return [r for r in found if may_see(ctx.principal, r)]


# --- what a receipt or a plan request refers to (each checked by its own owner) ------------------


async def invoices_of(ctx: Context, receipt: PaymentReceipt) -> list[Invoice]:
    """The invoices the customer named; one the caller may not see is left out, like a missing one."""
    authorize(ctx.principal, receipt)
    found = await ctx.loaders.invoice_by_id.load_many(list(receipt.invoice_ids))
    return [i for i in found if i is not None and may_see(ctx.principal, i)]


async def ticket_of(ctx: Context, ticket_id: str | None) -> Ticket | None:
    """The ticket a receipt or a plan request opened, if the caller may see it."""
    if ticket_id is None:
        return None
    found = await ctx.loaders.ticket_by_id.load(ticket_id)
    return found if found is not None and may_see(ctx.principal, found) else None


async def payment_of(ctx: Context, receipt: PaymentReceipt) -> Payment | None:
    """The payment an accepted receipt recorded (native billing only)."""
    authorize(ctx.principal, receipt)
    if receipt.payment_id is None:
        return None
    found = await ctx.loaders.payment_by_id.load(receipt.payment_id)
    return found if found is not None and may_see(ctx.principal, found) else None


async def customer_of(ctx: Context, receipt: PaymentReceipt) -> Customer | None:
    authorize(ctx.principal, receipt)
    found = await ctx.loaders.customer_by_id.load(receipt.customer_id)
    return found if found is not None and may_see(ctx.principal, found) else None
