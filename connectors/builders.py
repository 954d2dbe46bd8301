"""Rows to canonical records, one small function per record, for native tables and mapped relations alike."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .billing import CREDIT_NOTE, PAYMENT
from .records import (
    AccountTotals,
    Address,
    Attachment,
    Comment,
    CommercialLine,
    Company,
    ContactEmail,
    ContactPhone,
    Contract,
    ContractStatus,
    Customer,
    CustomerStatus,
    DeliveryNote,
    Document,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    LedgerEntry,
    LedgerEntryKind,
    OpenItem,
    Order,
    OrderStatus,
    Payment,
    PaymentCode,
    PaymentCommitment,
    PaymentCommitmentStatus,
    PaymentMethod,
    Plan,
    PlanSubscription,
    Promotion,
    Quote,
    QuoteStatus,
    TaxId,
    Ticket,
    TicketMessage,
    TicketStatus,
)
from .values import (
    ZERO,
    decimal,
    instant,
    invoice_number,
    money,
    optional_instant,
    optional_money,
    signed_money,
    text_id,
)

# A Row of a native table, or a CanonicalRow of a mapped relation (connectors/sql/engine.py):
# both are read by attribute.
RowLike = Any

PAYMENT_NETWORKS = ("Rapipago", "Pago Fácil", "Link", "PagoMisCuentas")
_TITLES = {"INVOICE": "Factura", "CREDIT_NOTE": "Nota de crédito", "DEBIT_NOTE": "Nota de débito"}
_QUANTITY = Decimal("0.001")


def _tax_id(kind: str | None, number: str | None) -> TaxId | None:
    return None if number is None else TaxId(kind=kind or "", number=number)


def company(row: RowLike) -> Company:
    return Company(
        id=str(row.id),
        code=row.code,
        name=row.name,
        tax_id=_tax_id(row.tax_id_kind, row.tax_id),
        currency=row.currency,
        country=row.country,
    )


def customer(row: RowLike) -> Customer:
    address = None
    if row.street is not None:
        address = Address(
            street=row.street,
            city=row.city,
            province=row.province,
            postal_code=row.postal_code,
            country=row.country,
        )
    return Customer(
        id=str(row.id),
        code=row.code,
        name=row.name,
        tax_id=_tax_id(row.tax_id_kind, row.tax_id),
        status=CustomerStatus(row.status),
        company_id=text_id(row.company_id),
        billing_address=address,
        currency=row.currency,
        credit_limit=optional_money(row.credit_limit),
        tax_condition=row.tax_condition,
        created_on=row.created_on,
    )


def email(row: RowLike) -> ContactEmail:
    return ContactEmail(address=row.address, primary=bool(row.is_primary))


def phone(row: RowLike) -> ContactPhone:
    return ContactPhone(number=row.number, kind=row.kind, primary=bool(row.is_primary))


def invoice(row: RowLike) -> Invoice:
    total, paid = money(row.total), money(row.paid_amount)
    # Same rule as billing.balance_due(), which filters by it in SQL.
    owing = ZERO if row.void or row.kind == CREDIT_NOTE else max(total - paid, ZERO)
    code = None
    if row.payment_code is not None:
        code = PaymentCode(
            code=row.payment_code, barcode=row.barcode or "", networks=PAYMENT_NETWORKS
        )
    return Invoice(
        id=str(row.id),
        customer_id=str(row.customer_id),
        company_id=text_id(row.company_id),
        number=invoice_number(row.letter, row.point_of_sale, row.number),
        kind=InvoiceKind(row.kind),
        issue_date=row.issue_date,
        due_date=row.due_date,
        currency=row.currency,
        subtotal=money(row.subtotal),
        tax=money(row.tax),
        total=total,
        balance_due=owing,
        void=bool(row.void),
        payment_code=code,
        cae=row.cae,
        cae_due_date=row.cae_due_date,
    )


def account_totals(customer_id: str, row: RowLike | None) -> AccountTotals:
    """A row of billing.account_totals; an unknown customer (None) has an empty account, not a hole."""
    if row is None:
        nothing = money(0)
        return AccountTotals(customer_id, "ARS", nothing, nothing, nothing, nothing, None)
    return AccountTotals(
        customer_id=customer_id,
        currency=row.currency,
        unpaid_total=money(row.unpaid_total),
        debits=money(row.debits),
        credits=money(row.credit_notes) + money(row.paid),
        overdue=money(row.overdue),
        credit_limit=optional_money(row.credit_limit),
    )


def invoice_line(row: RowLike) -> InvoiceLine:
    return InvoiceLine(
        id=str(row.id),
        invoice_id=str(row.invoice_id),
        position=row.position,
        description=row.description,
        quantity=decimal(row.quantity, _QUANTITY),
        unit_price=money(row.unit_price),
        tax_rate=money(row.tax_rate),
        subtotal=money(row.subtotal),
        tax=money(row.tax),
        total=money(row.total),
        plan_id=text_id(row.plan_id),
    )


def payment(row: RowLike, settled: dict[int, list[int]]) -> Payment:
    """`settled` maps payment ids to the ids of the invoices their allocations settled."""
    return Payment(
        id=str(row.id),
        customer_id=str(row.customer_id),
        company_id=text_id(row.company_id),
        number=row.number,
        paid_on=row.paid_on,
        amount=money(row.amount),
        currency=row.currency,
        method=row.method,
        reference=row.reference,
        invoice_ids=tuple(str(i) for i in sorted(set(settled.get(row.id, ())))),
    )


def _document_number(row: RowLike) -> str:
    """Rows of the ledger and open-item unions carry either an invoice's parts or a receipt."""
    if row.kind == PAYMENT:
        return row.receipt
    return invoice_number(row.letter, row.point_of_sale, row.sequence)


def ledger_entry(row: RowLike) -> LedgerEntry:
    number = _document_number(row)
    if row.kind == PAYMENT:
        description = f"Pago {number} ({row.method})"
    else:
        description = f"{_TITLES[row.kind]} {number}"
    return LedgerEntry(
        id=f"{row.kind}:{row.document_id}",
        customer_id=str(row.customer_id),
        company_id=text_id(row.company_id),
        posted_on=row.posted_on,
        due_date=row.due_date,
        kind=LedgerEntryKind(row.kind),
        document_id=str(row.document_id),
        document_number=number,
        description=description,
        debit=money(row.debit),
        credit=money(row.credit),
        balance=money(row.balance),
        currency=row.currency,
    )


def open_item(row: RowLike) -> OpenItem:
    # Credits (credit notes, payments) are open in the customer's favour: negative.
    credit = row.kind in (CREDIT_NOTE, PAYMENT)
    return OpenItem(
        id=f"{row.kind}:{row.document_id}",
        customer_id=str(row.customer_id),
        company_id=text_id(row.company_id),
        kind=LedgerEntryKind(row.kind),
        document_id=str(row.document_id),
        document_number=_document_number(row),
        posted_on=row.posted_on,
        due_date=row.due_date,
        original_amount=signed_money(row.original_amount, credit),
        open_amount=signed_money(row.open_amount, credit),
        currency=row.currency,
    )


def ticket(row: RowLike) -> Ticket:
    return Ticket(
        id=str(row.id),
        customer_id=str(row.customer_id),
        number=row.number,
        subject=row.subject,
        status=TicketStatus(row.status),
        priority=row.priority,
        area=row.area,
        category=row.category,
        assignee=row.assignee,
        created_at=instant(row.created_at),
        updated_at=instant(row.updated_at),
        closed_at=optional_instant(row.closed_at),
    )


def attachment(row: RowLike) -> Attachment:
    """From the native table (its `sha256`) or a mapping's relation (`sha256` and/or `path`)."""
    where = row._mapping
    return Attachment(
        id=str(row.id),
        filename=row.filename,
        content_type=row.content_type,
        size=row.size,
        sha256=where.get("sha256"),
        path=where.get("path"),
    )


def ticket_message(row: RowLike, files: dict[int, list[Attachment]]) -> TicketMessage:
    return TicketMessage(
        id=str(row.id),
        ticket_id=str(row.ticket_id),
        author_name=row.author_name,
        from_customer=bool(row.from_customer),
        body=row.body,
        internal=bool(row.internal),
        created_at=instant(row.created_at),
        attachments=tuple(files.get(row.id, ())),
    )


def contract(row: RowLike) -> Contract:
    return Contract(
        id=str(row.id),
        customer_id=str(row.customer_id),
        number=row.number,
        title=row.title,
        status=ContractStatus(row.status),
        issued_at=instant(row.issued_at),
        signed_at=optional_instant(row.signed_at),
        valid_from=row.valid_from,
        valid_to=row.valid_to,
    )


def plan(row: RowLike) -> Plan:
    return Plan(
        id=str(row.id),
        code=row.code,
        name=row.name,
        description=row.description,
        download_mbps=row.download_mbps,
        upload_mbps=row.upload_mbps,
        price=money(row.price),
        currency=row.currency,
        available_in_portal=bool(row.available_in_portal),
    )


def subscription(row: RowLike) -> PlanSubscription:
    address = None
    if row.street is not None:
        address = Address(
            street=row.street, city=row.city, province=row.province, postal_code=row.postal_code
        )
    return PlanSubscription(
        id=str(row.id),
        customer_id=str(row.customer_id),
        plan_id=str(row.plan_id),
        status=row.status,
        price=money(row.price),
        currency=row.currency,
        service_address=address,
        started_on=row.started_on,
    )


def promotion(row: RowLike) -> Promotion:
    """A row of subscription_promotions joined to its promotion and subscription."""
    return Promotion(
        id=str(row.promotion_id),
        name=row.name,
        discount_percent=optional_money(row.discount_percent),
        fixed_price=optional_money(row.fixed_price),
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        currency=row.currency,
    )


def quote(row: RowLike) -> Quote:
    return Quote(
        id=str(row.id),
        customer_id=str(row.customer_id),
        number=row.number,
        issue_date=row.issue_date,
        valid_until=row.valid_until,
        status=QuoteStatus(row.status),
        subtotal=money(row.subtotal),
        tax=money(row.tax),
        total=money(row.total),
        currency=row.currency,
    )


def order(row: RowLike) -> Order:
    return Order(
        id=str(row.id),
        customer_id=str(row.customer_id),
        number=row.number,
        ordered_on=row.ordered_on,
        status=OrderStatus(row.status),
        expected_delivery=row.expected_delivery,
        delivered_on=row.delivered_on,
        total=money(row.total),
        currency=row.currency,
    )


def delivery_note(row: RowLike) -> DeliveryNote:
    return DeliveryNote(
        id=str(row.id),
        customer_id=str(row.customer_id),
        number=row.number,
        issued_on=row.issued_on,
        delivered_on=row.delivered_on,
        order_id=text_id(row.order_id),
    )


def commercial_line(row: RowLike) -> CommercialLine:
    return CommercialLine(
        id=str(row.id),
        document_id=str(row.document_id),
        position=row.position,
        description=row.description,
        quantity=decimal(row.quantity, _QUANTITY),
        unit_price=optional_money(row.unit_price),
        total=optional_money(row.total),
    )


def document(row: RowLike) -> Document:
    return Document(
        id=str(row.id),
        customer_id=str(row.customer_id),
        title=row.title,
        category=row.category,
        filename=row.filename,
        content_type=row.content_type,
        size=row.size,
        uploaded_at=instant(row.uploaded_at),
    )


def comment(row: RowLike) -> Comment:
    return Comment(
        id=str(row.id),
        customer_id=str(row.customer_id),
        subject_kind=row.subject_kind,
        subject_id=str(row.subject_id),
        author_name=row.author_name,
        from_customer=bool(row.from_customer),
        body=row.body,
        created_at=instant(row.created_at),
    )


def payment_method(row: RowLike) -> PaymentMethod:
    return PaymentMethod(
        id=str(row.id),
        customer_id=str(row.customer_id),
        kind=row.kind,
        label=row.label,
        holder=row.holder,
        expires=row.expires,
        is_default=bool(row.is_default),
    )


def payment_commitment(row: RowLike) -> PaymentCommitment:
    return PaymentCommitment(
        id=str(row.id),
        customer_id=str(row.customer_id),
        requested_at=instant(row.requested_at),
        days=row.days,
        promised_date=row.promised_date,
        amount=money(row.amount),
        currency=row.currency,
        status=PaymentCommitmentStatus(row.status),
    )
