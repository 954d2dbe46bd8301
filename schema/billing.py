"""Billing types: invoices, payments, the current account and the statement (FEATURES.md B)."""

from __future__ import annotations

import datetime
import decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from ..connectors import records
from ..errors import ApiError
from ..resolvers import billing as resolve
from ..resolvers import commerce as resolve_commerce
from ..resolvers import commitments as resolve_commitments
from ..resolvers import customers as resolve_customers
from ..resolvers import links
from ..rules.billing import AgingBucket as AgingFigures
from ..rules.billing import StatementFigures, days_overdue, invoice_status
from ..rules.commitments import CoolDown, overdue_uncommitted
from .common import Money, maybe_money, money
from .enums import InvoiceKind, InvoiceStatus, LedgerEntryKind, PaymentCommitmentStatus
from .errors import UserError
from .relay import Node, from_global_id, to_global_id

if TYPE_CHECKING:
    from .commerce import Comment
    from .customer import Company, Customer

CustomerRef = Annotated["Customer", strawberry.lazy("ventanilla.schema.customer")]
CompanyRef = Annotated["Company", strawberry.lazy("ventanilla.schema.customer")]
CommentRef = Annotated["Comment", strawberry.lazy("ventanilla.schema.commerce")]


@strawberry.type(description="A line of an invoice.")
class InvoiceLine:
    position: int = strawberry.field(description="Line number, from 1.")
    description: str = strawberry.field(description="What was billed.")
    quantity: str = strawberry.field(description='Quantity as a decimal string, e.g. "1.000".')
    unit_price: Money = strawberry.field(description="Price of one unit before tax.")
    tax_rate: str = strawberry.field(description='VAT rate in percent, e.g. "21.00".')
    subtotal: Money = strawberry.field(description="Amount before tax.")
    tax: Money = strawberry.field(description="Tax of this line.")
    total: Money = strawberry.field(description="Amount with tax.")


def invoice_line(r: records.InvoiceLine, currency: str) -> InvoiceLine:
    return InvoiceLine(
        position=r.position,
        description=r.description,
        quantity=str(r.quantity),
        unit_price=money(r.unit_price, currency),
        tax_rate=str(r.tax_rate),
        subtotal=money(r.subtotal, currency),
        tax=money(r.tax, currency),
        total=money(r.total, currency),
    )


@strawberry.type(description="How to pay an invoice at a payment network (FEATURES.md B5).")
class PaymentCode:
    code: str = strawberry.field(description="Electronic payment code (Link, PagoMisCuentas).")
    barcode: str = strawberry.field(description="Digits printed under the barcode, for cash networks.")
    networks: list[str] = strawberry.field(description="Payment networks that accept this code.")


@strawberry.type(description="An invoice, credit note or debit note (FEATURES.md B3, B4).")
class Invoice(Node):
    number: str = strawberry.field(description='Number as printed, e.g. "B 0003-00012345".')
    kind: InvoiceKind = strawberry.field(description="Invoice, credit note or debit note.")
    issue_date: datetime.date = strawberry.field(description="Date of issue.")
    due_date: datetime.date | None = strawberry.field(description="Date by which it must be paid.")
    subtotal: Money = strawberry.field(description="Amount before tax.")
    tax: Money = strawberry.field(description="Taxes (VAT).")
    total: Money = strawberry.field(description="Amount with taxes.")
    balance_due: Money = strawberry.field(description="What is still to be paid today.")
    status: InvoiceStatus = strawberry.field(
        description="Payment status as of today.",
        metadata={"reads": ("void", "kind", "balance_due", "total", "due_date")},
        resolver=lambda root: InvoiceStatus(invoice_status(root.record, root.today).value),
    )  # worked out when asked for: a narrowed record holds what it reads only then
    payment_code: PaymentCode | None = strawberry.field(
        description="Electronic payment code and barcode digits, when the business issues them.",
        resolver=lambda root: payment_code_type(root.record.payment_code),
    )  # converted when asked for, like status
    cae: str | None = strawberry.field(description="AFIP's electronic authorisation code (Argentina).")
    record: strawberry.Private[records.Invoice]
    today: strawberry.Private[datetime.date]

    @strawberry.field(description="Lines of the document.")
    async def lines(self, info: Info) -> list[InvoiceLine] | None:
        found = await resolve.invoice_lines(info.context, self.record)
        return [invoice_line(line, self.record.currency) for line in found]

    @strawberry.field(description="The customer account the document was issued to.")
    async def customer(self, info: Info) -> CustomerRef | None:
        from .customer import customer_type

        return customer_type(await resolve_customers.customer_of(info.context, self.record))

    @strawberry.field(description="The company of the group that issued it.")
    async def company(self, info: Info) -> CompanyRef | None:
        from .customer import company_type

        found = await resolve_customers.company(info.context, self.record, self.record.company_id)
        return company_type(found) if found else None

    @strawberry.field(description="Link to download the document as PDF; valid for a few minutes.")
    def pdf_url(self, info: Info) -> str:
        return links.file_url(info.context, "invoice", self.record, "pdf")

    @strawberry.field(description="Comments the customer and the business wrote about it (D9).")
    async def comments(self, info: Info) -> list[CommentRef] | None:
        from .commerce import comment_type

        found = await resolve_commerce.comments(info.context, "Invoice", self.record)
        return [comment_type(c) for c in found]


def payment_code_type(code: records.PaymentCode | None) -> PaymentCode | None:
    if code is None:
        return None
    return PaymentCode(code=code.code, barcode=code.barcode, networks=list(code.networks))


def invoice_type(r: records.Invoice, today: datetime.date) -> Invoice:
    return Invoice(
        id=to_global_id("Invoice", r.id),
        number=r.number,
        kind=InvoiceKind(r.kind.value),
        issue_date=r.issue_date,
        due_date=r.due_date,
        subtotal=money(r.subtotal, r.currency),
        tax=money(r.tax, r.currency),
        total=money(r.total, r.currency),
        balance_due=money(r.balance_due, r.currency),
        cae=r.cae,
        record=r,
        today=today,
    )


@strawberry.input(description="Narrows a list of invoices.")
class InvoiceFilter:
    status: InvoiceStatus | None = strawberry.field(default=None, description="Only this status.")
    kind: InvoiceKind | None = strawberry.field(default=None, description="Only this kind of document.")
    issued_from: datetime.date | None = strawberry.field(default=None, description="Issued on or after.")
    issued_to: datetime.date | None = strawberry.field(default=None, description="Issued on or before.")
    unpaid_only: bool = strawberry.field(default=False, description="Only documents with a balance due.")
    company_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only documents of this company of the group."
    )


@strawberry.type(description="A payment received from the customer (FEATURES.md B8).")
class Payment(Node):
    number: str = strawberry.field(description='Receipt number, e.g. "RC 0001-00004567".')
    paid_on: datetime.date = strawberry.field(description="Date the payment was made.")
    amount: Money = strawberry.field(description="Amount paid.")
    method: str = strawberry.field(description="How it was paid, e.g. Rapipago, Transferencia.")
    reference: str | None = strawberry.field(description="Reference of the payment network or bank.")
    record: strawberry.Private[records.Payment]

    @strawberry.field(description="The invoices this payment settled, fully or in part.")
    async def invoices(self, info: Info) -> list[Invoice] | None:
        found = await resolve.settled_invoices(info.context, self.record)
        return [invoice_type(i, info.context.today) for i in found]


def payment_type(r: records.Payment) -> Payment:
    return Payment(
        id=to_global_id("Payment", r.id),
        number=r.number,
        paid_on=r.paid_on,
        amount=money(r.amount, r.currency),
        method=r.method,
        reference=r.reference,
        record=r,
    )


@strawberry.type(description="An entry of the current account (cuenta corriente, FEATURES.md B6).")
class LedgerEntry:
    id: str = strawberry.field(description="Stable id of the entry within this account.")
    date: datetime.date = strawberry.field(description="Posting date.")
    due_date: datetime.date | None = strawberry.field(description="Due date of a debit.")
    kind: LedgerEntryKind = strawberry.field(description="Invoice, note or payment.")
    document_number: str = strawberry.field(description="Number of the document behind the entry.")
    description: str = strawberry.field(description="Text as the account lists it.")
    debit: Money = strawberry.field(description="What the entry adds to the customer's debt.")
    credit: Money = strawberry.field(description="What the entry takes off the customer's debt.")
    balance: Money = strawberry.field(
        description="Running balance after this entry; negative means the customer owes."
    )


def ledger_entry(r: records.LedgerEntry) -> LedgerEntry:
    return LedgerEntry(
        id=r.id,
        date=r.posted_on,
        due_date=r.due_date,
        kind=LedgerEntryKind(r.kind.value),
        document_number=r.document_number,
        description=r.description,
        debit=money(r.debit, r.currency),
        credit=money(r.credit, r.currency),
        balance=money(r.balance, r.currency),
    )


@strawberry.type(description="A document still open at the statement's cut-off date.")
class OpenItem:
    kind: LedgerEntryKind = strawberry.field(description="Kind of document.")
    document_number: str = strawberry.field(description="Number of the document.")
    posted_on: datetime.date = strawberry.field(description="Posting date.")
    due_date: datetime.date = strawberry.field(description="Net due date (posting date for credits).")
    days_overdue: int = strawberry.field(
        description="Days past the due date at the cut-off; zero or negative when not yet due."
    )
    original_amount: Money = strawberry.field(description="Amount of the document; credits negative.")
    open_amount: Money = strawberry.field(
        description="Amount still open at the cut-off; positive = owed by the customer."
    )


def open_item(r: records.OpenItem, cut_off: datetime.date) -> OpenItem:
    return OpenItem(
        kind=LedgerEntryKind(r.kind.value),
        document_number=r.document_number,
        posted_on=r.posted_on,
        due_date=r.due_date,
        days_overdue=days_overdue(r, cut_off),
        original_amount=money(r.original_amount, r.currency),
        open_amount=money(r.open_amount, r.currency),
    )


@strawberry.type(description="Overdue amount in one range of days past due.")
class AgingBucket:
    label: str = strawberry.field(description='Range as a label: "1-30", "31-60", "61-90", "90+".')
    from_days: int = strawberry.field(description="First day past due of the range.")
    to_days: int | None = strawberry.field(description="Last day past due; null for the open range.")
    amount: Money = strawberry.field(description="Open amount of the items in the range.")
    items: int = strawberry.field(description="How many open items fall in the range.")


def aging_bucket(b: AgingFigures, currency: str) -> AgingBucket:
    return AgingBucket(
        label=b.label, from_days=b.from_days, to_days=b.to_days, amount=money(b.amount, currency), items=b.items
    )


@strawberry.type(description="Account statement at a cut-off date (estado de cuenta, FEATURES.md B7).")
class Statement:
    cut_off: datetime.date = strawberry.field(description="The date the statement is computed at.")
    credit_limit: Money | None = strawberry.field(description="Credit limit granted, if any.")
    overdue: Money = strawberry.field(description="Open amount past due at the cut-off (saldo vencido).")
    not_yet_due: Money = strawberry.field(description="Open amount not yet due (saldo a vencer).")
    total: Money = strawberry.field(description="Total open balance (saldo total).")
    available_credit: Money | None = strawberry.field(
        description="Credit limit minus the total balance, never below zero; null without a limit."
    )
    aging: list[AgingBucket] = strawberry.field(description="Overdue amounts by days past due.")
    open_items: list[OpenItem] = strawberry.field(
        description="The documents open at the cut-off, with their legal due dates (a payment commitment does not move them)."
    )
    record: strawberry.Private[records.Customer]
    company_id: strawberry.Private[str | None]

    @strawberry.field(
        description="Payment commitments active at the cut-off (B11), newest first: listed beside the open "
        "items, whose due dates and aging they do not change."
    )
    async def commitments(self, info: Info) -> list[PaymentCommitment] | None:
        found = await resolve_commitments.statement_commitments(info.context, self.record, self.cut_off)
        return [payment_commitment_type(c) for c in found]

    @strawberry.field(description="The customer account of the statement.")
    def customer(self, info: Info) -> CustomerRef:
        from .customer import customer_type

        return customer_type(resolve_customers.statement_customer(info.context, self.record))

    @strawberry.field(description="The company of the group the statement is restricted to, if any.")
    async def company(self, info: Info) -> CompanyRef | None:
        from .customer import company_type

        found = await resolve_customers.company(info.context, self.record, self.company_id)
        return company_type(found) if found else None

    @strawberry.field(description="Link to download the statement as PDF; valid for a few minutes.")
    def pdf_url(self, info: Info) -> str:
        return links.statement_url(info.context, self.record, self.cut_off, self.company_id, "pdf")

    @strawberry.field(description="Link to download the statement as an Excel sheet (XLSX).")
    def xlsx_url(self, info: Info) -> str:
        return links.statement_url(info.context, self.record, self.cut_off, self.company_id, "xlsx")


def statement_type(
    figures: StatementFigures, customer: records.Customer, company_id: str | None
) -> Statement:
    c = figures.currency
    return Statement(
        cut_off=figures.cut_off,
        credit_limit=maybe_money(figures.credit_limit, c),
        overdue=money(figures.overdue, c),
        not_yet_due=money(figures.not_yet_due, c),
        total=money(figures.total, c),
        available_credit=maybe_money(figures.available_credit, c),
        aging=[aging_bucket(b, c) for b in figures.aging],
        open_items=[open_item(i, figures.cut_off) for i in figures.open_items],
        record=customer,
        company_id=company_id,
    )


@strawberry.type(description="Dashboard figures of a customer account (FEATURES.md B1).")
class AccountSummary:
    unpaid_total: Money = strawberry.field(description="Sum of the balances due of unpaid invoices.")
    balance: Money = strawberry.field(
        description="Current-account balance: credits minus debits; negative means the customer owes."
    )
    credit_limit: Money | None = strawberry.field(description="Credit limit granted, if any.")
    available_credit: Money | None = strawberry.field(
        description="Credit limit plus the balance, never below zero; null without a limit."
    )
    overdue: Money = strawberry.field(
        description="Balance due of invoices past their due date: the legal figure, which a payment "
        "commitment does not change (see committed and overdueUncommitted)."
    )
    customer: strawberry.Private[records.Customer]  # the account (the summary's record is its totals)
    unpaid: strawberry.Private[decimal.Decimal]
    overdue_amount: strawberry.Private[decimal.Decimal]
    currency: strawberry.Private[str]

    @strawberry.field(
        description="What an active payment commitment covers of what is owed now (its amount, at most the "
        "unpaid total); zero without one (B11)."
    )
    async def committed(self, info: Info) -> Money | None:
        covered = await resolve_commitments.account_committed(info.context, self.customer, self.unpaid)
        return money(covered.amount, self.currency)

    @strawberry.field(
        description="The date the customer promised to pay the committed amount by; null without an active commitment."
    )
    async def committed_until(self, info: Info) -> datetime.date | None:
        covered = await resolve_commitments.account_committed(info.context, self.customer, self.unpaid)
        return covered.until

    @strawberry.field(
        description="Overdue beyond what an active payment commitment covers: what a dashboard should show as "
        "overdue while a commitment is in force (equal to overdue without one)."
    )
    async def overdue_uncommitted(self, info: Info) -> Money | None:
        covered = await resolve_commitments.account_committed(info.context, self.customer, self.unpaid)
        return money(overdue_uncommitted(self.overdue_amount, covered), self.currency)


@strawberry.type(description="A saved payment method for automatic debits (FEATURES.md B12).")
class PaymentMethod(Node):
    kind: str = strawberry.field(description="CARD, BANK_ACCOUNT or WALLET.")
    label: str = strawberry.field(description='How to show it, e.g. "Visa terminada en 4242".')
    holder: str | None = strawberry.field(description="Name of the holder.")
    expires: str | None = strawberry.field(description='Expiry of a card, "MM/YY".')
    is_default: bool = strawberry.field(description="True for the method automatic debits use.")


def payment_method_type(r: records.PaymentMethod) -> PaymentMethod:
    return PaymentMethod(
        id=to_global_id("PaymentMethod", r.id),
        kind=r.kind,
        label=r.label,
        holder=r.holder,
        expires=r.expires,
        is_default=r.is_default,
    )


@strawberry.type(description="A promise to pay by a later date (compromiso de pago, FEATURES.md B11).")
class PaymentCommitment:
    id: strawberry.ID = strawberry.field(description="Id of the commitment.")
    requested_at: datetime.datetime = strawberry.field(description="When the customer asked for it.")
    days: int = strawberry.field(description="Days the due date was extended by.")
    promised_date: datetime.date = strawberry.field(description="The date the customer promised to pay by.")
    amount: Money = strawberry.field(description="Amount promised.")
    status: PaymentCommitmentStatus = strawberry.field(description="Active, fulfilled or broken.")


def payment_commitment_type(r: records.PaymentCommitment) -> PaymentCommitment:
    return PaymentCommitment(
        id=to_global_id("PaymentCommitment", r.id),
        requested_at=r.requested_at,
        days=r.days,
        promised_date=r.promised_date,
        amount=money(r.amount, r.currency),
        status=PaymentCommitmentStatus(r.status.value),
    )


# --- requestPaymentCommitment (FEATURES.md B11) ----------------------------------------------------


@strawberry.input(description="A payment commitment: pay what the account owes within a few days.")
class RequestPaymentCommitmentInput:
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Global id of the account; default: the caller's own (partners must name one)."
    )
    days: int = strawberry.field(
        description="Days to extend the due date of what is owed by: 1 to the business's maximum ([commitments] max_days)."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="A key of the caller's choosing: a repeated request with it answers the first answer again."
    )


@strawberry.type(description="The answer to requestPaymentCommitment.")
class RequestPaymentCommitmentPayload:
    commitment: PaymentCommitment | None = strawberry.field(description="The commitment made; null when refused.")
    cool_down_until: datetime.date | None = strawberry.field(
        description="With a COOL_DOWN error: the first day a new commitment may be asked for."
    )
    errors: list[UserError] = strawberry.field(
        description="Why it was refused: FEATURE_DISABLED, BAD_INPUT (days), NOTHING_OWED, COOL_DOWN, NOT_FOUND, "
        "IDEMPOTENCY_KEY_REUSED; empty when done."
    )


async def request_payment_commitment(
    info: Info,
    input: Annotated[RequestPaymentCommitmentInput, strawberry.argument(description="The account and the days.")],
) -> RequestPaymentCommitmentPayload:
    from .access import user_error  # schema/access imports this module (through schema/customer)

    ctx = info.context
    try:
        customer_id = None if input.customer_id is None else from_global_id(input.customer_id, "Customer")[1]
        done = await resolve_commitments.request_payment_commitment(
            ctx, customer_id, input.days, input.idempotency_key
        )
    except ApiError as error:
        until = error.until if isinstance(error, CoolDown) else None
        return RequestPaymentCommitmentPayload(
            commitment=None, cool_down_until=until, errors=[user_error(error, ctx.language)]
        )
    return RequestPaymentCommitmentPayload(commitment=payment_commitment_type(done.commitment), cool_down_until=None,
                                           errors=[])  # fmt: skip
