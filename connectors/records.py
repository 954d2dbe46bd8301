"""Canonical records: the only data shapes that cross layers (connectors -> resolvers -> schema)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum


class CustomerStatus(str, Enum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    DELETED = "DELETED"


class InvoiceKind(str, Enum):
    INVOICE = "INVOICE"
    CREDIT_NOTE = "CREDIT_NOTE"
    DEBIT_NOTE = "DEBIT_NOTE"


class InvoiceStatus(str, Enum):
    OPEN = "OPEN"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    PAID = "PAID"
    OVERDUE = "OVERDUE"
    VOID = "VOID"


class TicketStatus(str, Enum):
    OPEN = "OPEN"
    IN_PROGRESS = "IN_PROGRESS"
    CLOSED = "CLOSED"


class ContractStatus(str, Enum):
    PENDING_SIGNATURE = "PENDING_SIGNATURE"
    SIGNED = "SIGNED"
    VOID = "VOID"


class LedgerEntryKind(str, Enum):
    INVOICE = "INVOICE"
    CREDIT_NOTE = "CREDIT_NOTE"
    DEBIT_NOTE = "DEBIT_NOTE"
    PAYMENT = "PAYMENT"


class QuoteStatus(str, Enum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"


class OrderStatus(str, Enum):
    PREPARING = "PREPARING"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


class PaymentCommitmentStatus(str, Enum):
    ACTIVE = "ACTIVE"
    FULFILLED = "FULFILLED"
    BROKEN = "BROKEN"


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class Address:
    street: str
    city: str | None = None
    province: str | None = None
    postal_code: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class TaxId:
    kind: str  # CUIT, CUIL, DNI, NIF, RFC, NIT ...
    number: str  # as stored in the ERP, digits only where possible


@dataclass(frozen=True, slots=True)
class ContactEmail:
    address: str
    primary: bool


@dataclass(frozen=True, slots=True)
class ContactPhone:
    number: str
    kind: str  # MOBILE, LANDLINE
    primary: bool


@dataclass(frozen=True, slots=True)
class Company:
    id: str
    code: str
    name: str
    tax_id: TaxId | None
    currency: str
    country: str


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    code: str
    name: str
    tax_id: TaxId | None
    status: CustomerStatus
    company_id: str | None
    billing_address: Address | None
    currency: str
    credit_limit: Decimal | None
    tax_condition: str | None = None
    created_on: date | None = None


@dataclass(frozen=True, slots=True)
class AccountTotals:
    """Figures of a customer's current account as of one day (see rules/account.py)."""

    customer_id: str
    currency: str
    unpaid_total: Decimal  # balance due of unpaid invoices and debit notes
    debits: Decimal  # every debit posted (invoices, debit notes)
    credits: Decimal  # every credit posted (payments, credit notes)
    overdue: Decimal  # balance due of unpaid documents whose due date has passed
    credit_limit: Decimal | None


@dataclass(frozen=True, slots=True)
class PaymentCode:
    code: str  # electronic payment code (Link / PagoMisCuentas)
    barcode: str  # digits under the barcode (Rapipago, Pago Facil ...)
    networks: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Invoice:
    id: str
    customer_id: str
    company_id: str | None
    number: str  # as printed, e.g. "B 0003-00012345"
    kind: InvoiceKind
    issue_date: date
    due_date: date | None
    currency: str
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    balance_due: Decimal  # today; 0 for credit notes and void documents
    void: bool
    payment_code: PaymentCode | None = None
    cae: str | None = None
    cae_due_date: date | None = None


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    id: str
    invoice_id: str
    position: int
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal  # percent, e.g. 21.00
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    plan_id: str | None = None


@dataclass(frozen=True, slots=True)
class Payment:
    id: str
    customer_id: str
    company_id: str | None
    number: str
    paid_on: date
    amount: Decimal
    currency: str
    method: str  # e.g. "Rapipago", "Transferencia", "Débito automático"
    reference: str | None = None
    invoice_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    id: str  # "<kind>:<document id>"
    customer_id: str
    company_id: str | None
    posted_on: date
    due_date: date | None
    kind: LedgerEntryKind
    document_id: str
    document_number: str
    description: str
    debit: Decimal
    credit: Decimal
    balance: Decimal  # running balance after this entry; negative = the customer owes
    currency: str


@dataclass(frozen=True, slots=True)
class OpenItem:
    """A document still open at a cut-off date: positive = owed by the customer."""

    id: str
    customer_id: str
    company_id: str | None
    kind: LedgerEntryKind
    document_id: str
    document_number: str
    posted_on: date
    due_date: date
    original_amount: Decimal  # signed like `open_amount`
    open_amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file attached to a ticket message; where its bytes are is the source's to read
    (`SupportSource.attachment_content`), never a path a caller sees."""

    id: str
    filename: str
    content_type: str
    size: int
    sha256: str | None = None  # the key of its bytes in Ventanilla's blob store (store/blobs.py)
    path: str | None = None  # the file on a legacy ERP's share, as the ERP names it


@dataclass(frozen=True, slots=True)
class Ticket:
    id: str
    customer_id: str
    number: str
    subject: str
    status: TicketStatus
    priority: str | None
    area: str | None
    category: str | None
    assignee: str | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TicketMessage:
    id: str
    ticket_id: str
    author_name: str
    from_customer: bool
    body: str
    internal: bool  # hidden from customers and partners
    created_at: datetime
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class NewFile:
    """A file to attach to a new message: already checked and kept in Ventanilla's blob store
    under `sha256` (resolvers/uploads.py)."""

    filename: str
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class NewTicket:
    """A ticket to open, with its first message (`body`, `files`), routed as given."""

    customer_id: str  # canonical id
    subject: str
    body: str
    author_name: str
    status: TicketStatus = TicketStatus.OPEN
    priority: str | None = None
    area: str | None = None
    category: str | None = None
    assignee: str | None = None
    files: tuple[NewFile, ...] = ()
    from_customer: bool = True


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A message to add to a ticket's thread (a reply)."""

    ticket_id: str  # canonical id
    body: str
    author_name: str
    from_customer: bool
    files: tuple[NewFile, ...] = ()
    internal: bool = False


@dataclass(frozen=True, slots=True)
class Contract:
    id: str
    customer_id: str
    number: str
    title: str
    status: ContractStatus
    issued_at: datetime
    signed_at: datetime | None
    valid_from: date | None = None
    valid_to: date | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    id: str
    code: str
    name: str
    description: str | None
    download_mbps: int | None
    upload_mbps: int | None
    price: Decimal
    currency: str
    available_in_portal: bool


@dataclass(frozen=True, slots=True)
class Promotion:
    id: str
    name: str
    discount_percent: Decimal | None
    fixed_price: Decimal | None
    valid_from: date
    valid_to: date | None
    currency: str


@dataclass(frozen=True, slots=True)
class PlanSubscription:
    id: str
    customer_id: str
    plan_id: str
    status: str  # ACTIVE, SUSPENDED, CANCELLED (as the ERP says it)
    price: Decimal
    currency: str
    service_address: Address | None
    started_on: date | None = None


@dataclass(frozen=True, slots=True)
class CommercialLine:
    """A line of a quote, order or delivery note."""

    id: str
    document_id: str
    position: int
    description: str
    quantity: Decimal
    unit_price: Decimal | None
    total: Decimal | None


@dataclass(frozen=True, slots=True)
class Quote:
    id: str
    customer_id: str
    number: str
    issue_date: date
    valid_until: date | None
    status: QuoteStatus
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class Order:
    id: str
    customer_id: str
    number: str
    ordered_on: date
    status: OrderStatus
    expected_delivery: date | None
    delivered_on: date | None
    total: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class DeliveryNote:
    id: str
    customer_id: str
    number: str
    issued_on: date
    delivered_on: date | None
    order_id: str | None


@dataclass(frozen=True, slots=True)
class Document:
    id: str
    customer_id: str
    title: str
    category: str | None
    filename: str
    content_type: str
    size: int
    uploaded_at: datetime


@dataclass(frozen=True, slots=True)
class Comment:
    id: str
    customer_id: str
    subject_kind: str  # Invoice, Quote, Order, DeliveryNote, Document, Contract
    subject_id: str
    author_name: str
    from_customer: bool
    body: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PaymentMethod:
    id: str
    customer_id: str
    kind: str  # CARD, BANK_ACCOUNT, WALLET
    label: str  # e.g. "Visa terminada en 4242", "CBU ...0458"
    holder: str | None
    expires: str | None  # "MM/YY" for cards
    is_default: bool


@dataclass(frozen=True, slots=True)
class NewCommitment:
    """A payment commitment to write (FEATURES.md B11): what the account owes, to be paid by `promised_date`."""

    customer_id: str  # canonical id
    requested_at: datetime
    days: int
    promised_date: date
    amount: Decimal
    currency: str
    status: PaymentCommitmentStatus = PaymentCommitmentStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class PaymentCommitment:
    id: str
    customer_id: str
    requested_at: datetime
    days: int
    promised_date: date
    amount: Decimal
    currency: str
    status: PaymentCommitmentStatus


@dataclass(frozen=True, slots=True)
class Page:
    """Keyset page request: `after` is an opaque cursor string produced by the connector."""

    first: int
    after: str | None = None


@dataclass(frozen=True, slots=True)
class PageOf:
    """One page of records with the cursor of each and whether more follow."""

    items: list = field(default_factory=list)
    cursors: Sequence[str] = field(default_factory=list)  # a keyset page's are written when read
    has_next: bool = False


@dataclass(frozen=True, slots=True)
class InvoiceFilter:
    status: InvoiceStatus | None = None
    kind: InvoiceKind | None = None
    issued_from: date | None = None
    issued_to: date | None = None
    unpaid_only: bool = False
    company_id: str | None = None


@dataclass(frozen=True, slots=True)
class TicketFilter:
    status: TicketStatus | None = None
    open_only: bool = False
    search: str | None = None


@dataclass(frozen=True, slots=True)
class CustomerFilter:
    search: str | None = None  # name, code or tax id
    status: CustomerStatus | None = None
    overdue_only: bool = False
    company_id: str | None = None
