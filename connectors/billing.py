"""The current account in SQL: balance due, invoice status, ledger, open items, totals.

One set of rules for every SQL source, so that all connectors agree to the cent. Each
expression takes the relations it reads — the native tables, or a mapping's relations
(subqueries with the same canonical column names). Two statement models for open items:
`allocations` (documents minus the clearings dated on or before the cut-off) and
`line_items` (SAP FBL5N: items posted by the cut-off and not cleared by then).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    FromClause,
    Integer,
    Numeric,
    Select,
    String,
    Subquery,
    Table,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    not_,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.sql.elements import BindParameter

from .records import InvoiceFilter, InvoiceStatus
from .shapes import Keys

MONEY = Numeric(14, 2)
DEBIT_KINDS = ("INVOICE", "DEBIT_NOTE")
CREDIT_NOTE = "CREDIT_NOTE"
PAYMENT = "PAYMENT"

# Documents posted on the same day are ordered debit first, then credit notes, then
# payments, so that the running balance is the same on every run and every backend.
KIND_RANK = {"INVOICE": 0, "DEBIT_NOTE": 0, CREDIT_NOTE: 1, PAYMENT: 2}


def zero() -> ColumnElement[Any]:
    # A typed 0, so that CASE and UNION columns come back as money, not integers.
    return literal(0, MONEY)


def no(type_: Any) -> ColumnElement[Any]:
    # A typed NULL, so that PostgreSQL can line up the columns of a UNION.
    return cast(null(), type_)


def same_company(relation: FromClause, company: object | None) -> ColumnElement[bool]:
    """The row's company is `company`, a stored key (None: a company no row can have)."""
    return false() if company is None else relation.c.company_id == company


def flag(relation: FromClause, name: str) -> ColumnElement[bool]:
    """A yes/no column as a condition: a native BOOLEAN as it is, a mapped one compared with true
    (MariaDB hands booleans back as 0/1 integers, and a mapping may compute the flag)."""
    column = relation.c[name]
    return column if isinstance(relation, Table) else column == True  # noqa: E712


def is_void(inv: FromClause) -> ColumnElement[bool]:
    return flag(inv, "void")


def balance_due(inv: FromClause) -> ColumnElement[Any]:
    """Balance due of an invoice row: total − paid, never negative; 0 if void or a credit note.

    Rounded to the cent in SQL because SQLite keeps NUMERIC as float, where
    100.10 − 100.10 may not be exactly 0.
    """
    remaining = func.round(inv.c.total - inv.c.paid_amount, 2)
    return case(
        (or_(is_void(inv), inv.c.kind == CREDIT_NOTE), zero()),
        (remaining > 0, remaining),
        else_=zero(),
    )


def status_is(inv: FromClause, status: InvoiceStatus, today: date) -> ColumnElement[bool]:
    """Rows whose derived status on `today` is `status`, checked in the derivation's order:
    VOID, then PAID (nothing due), OVERDUE, PARTIALLY_PAID, OPEN."""
    void = is_void(inv)
    owing = and_(not_(void), balance_due(inv) > 0)
    # IS NOT NULL first, so that a missing due date reads "not overdue" rather than NULL.
    overdue = and_(inv.c.due_date.is_not(None), inv.c.due_date < today)
    partial = and_(inv.c.paid_amount > 0, inv.c.paid_amount < inv.c.total)
    if status is InvoiceStatus.VOID:
        return void
    if status is InvoiceStatus.PAID:
        return and_(not_(void), balance_due(inv) <= 0)
    if status is InvoiceStatus.OVERDUE:
        return and_(owing, overdue)
    if status is InvoiceStatus.PARTIALLY_PAID:
        return and_(owing, not_(overdue), partial)
    return and_(owing, not_(overdue), not_(partial))


def invoice_conditions(
    inv: FromClause, filter: InvoiceFilter, today: date, company: object | None
) -> list[ColumnElement[bool]]:
    """`company` is the stored company key of `filter.company_id` (None: it matches nothing)."""
    conditions: list[ColumnElement[bool]] = []
    if filter.status is not None:
        conditions.append(status_is(inv, filter.status, today))
    if filter.kind is not None:
        conditions.append(inv.c.kind == filter.kind.value)
    if filter.issued_from is not None:
        conditions.append(inv.c.issue_date >= filter.issued_from)
    if filter.issued_to is not None:
        conditions.append(inv.c.issue_date <= filter.issued_to)
    if filter.unpaid_only:
        conditions.append(balance_due(inv) > 0)  # already 0 for void documents and credit notes
    if filter.company_id is not None:
        conditions.append(same_company(inv, company))
    return conditions


def _document_columns(inv: FromClause) -> list[ColumnElement[Any]]:
    return [
        inv.c.customer_id, inv.c.company_id, inv.c.kind, inv.c.id.label("document_id"), inv.c.letter,
        inv.c.point_of_sale, inv.c.number.label("sequence"), no(String).label("receipt"),
        no(String).label("method"), inv.c.currency,
    ]  # fmt: skip


def _payment_columns(pay: FromClause) -> list[ColumnElement[Any]]:
    return [
        pay.c.customer_id, pay.c.company_id, literal(PAYMENT, String).label("kind"),
        pay.c.id.label("document_id"), no(String).label("letter"), no(Integer).label("point_of_sale"),
        no(Integer).label("sequence"), pay.c.number.label("receipt"), pay.c.method, pay.c.currency,
    ]  # fmt: skip


def ledger_entries(inv: FromClause, pay: FromClause, customer_ids: Sequence[object] | BindParameter[Any]) -> Subquery:
    """Every entry of the customers' current accounts with the running balance after it.

    The balance is a window over the whole history (credit − debit, chronological), so
    it stays right when the caller then filters by date or pages.
    """
    is_credit_note = inv.c.kind == CREDIT_NOTE
    documents = select(
        *_document_columns(inv),
        inv.c.issue_date.label("posted_on"),
        inv.c.due_date,
        case((is_credit_note, KIND_RANK[CREDIT_NOTE]), else_=KIND_RANK["INVOICE"]).label("kind_rank"),
        case((is_credit_note, zero()), else_=inv.c.total).label("debit"),
        case((is_credit_note, inv.c.total), else_=zero()).label("credit"),
    ).where(inv.c.customer_id.in_(customer_ids), not_(is_void(inv)))
    receipts = select(
        *_payment_columns(pay),
        pay.c.paid_on.label("posted_on"),
        no(Date).label("due_date"),
        literal(KIND_RANK[PAYMENT], Integer).label("kind_rank"),
        zero().label("debit"),
        pay.c.amount.label("credit"),
    ).where(pay.c.customer_id.in_(customer_ids))
    entries = union_all(documents, receipts).subquery("entries")
    running = func.sum(entries.c.credit - entries.c.debit).over(
        partition_by=entries.c.customer_id,
        order_by=(entries.c.posted_on, entries.c.kind_rank, entries.c.document_id),
        rows=(None, 0),
    )
    return select(entries, running.label("balance")).subquery("ledger")


def _cleared(alloc: FromClause, link: str, document: ColumnElement[Any], cut_off: date) -> Any:
    """Σ allocations of `document` through `link` cleared on or before the cut-off."""
    return (
        select(func.coalesce(func.sum(alloc.c.amount), 0))
        .where(alloc.c[link] == document, alloc.c.cleared_on <= cut_off)
        .scalar_subquery()
    )


def open_items_by_allocations(
    inv: FromClause, pay: FromClause, alloc: FromClause, customer_ids: Sequence[object], cut_off: date,
    company: object | None, by_company: bool,
) -> Select[Any]:  # fmt: skip
    """Documents open at `cut_off`, unsigned (`open_amount` > 0), by customer then due date;
    only those of `company` when `by_company`."""
    posted = (inv.c.customer_id.in_(customer_ids), not_(is_void(inv)), inv.c.issue_date <= cut_off)
    debits = select(
        *_document_columns(inv),
        literal(KIND_RANK["INVOICE"], Integer).label("kind_rank"),
        inv.c.issue_date.label("posted_on"),
        func.coalesce(inv.c.due_date, inv.c.issue_date).label("due_date"),
        inv.c.total.label("original_amount"),
        (inv.c.total - _cleared(alloc, "invoice_id", inv.c.id, cut_off)).label("open_amount"),
    ).where(*posted, inv.c.kind.in_(DEBIT_KINDS))
    credit_notes = select(
        *_document_columns(inv),
        literal(KIND_RANK[CREDIT_NOTE], Integer).label("kind_rank"),
        inv.c.issue_date.label("posted_on"),
        inv.c.issue_date.label("due_date"),
        inv.c.total.label("original_amount"),
        (inv.c.total - _cleared(alloc, "credit_note_id", inv.c.id, cut_off)).label("open_amount"),
    ).where(*posted, inv.c.kind == CREDIT_NOTE)
    receipts = select(
        *_payment_columns(pay),
        literal(KIND_RANK[PAYMENT], Integer).label("kind_rank"),
        pay.c.paid_on.label("posted_on"),
        pay.c.paid_on.label("due_date"),
        pay.c.amount.label("original_amount"),
        (pay.c.amount - _cleared(alloc, "payment_id", pay.c.id, cut_off)).label("open_amount"),
    ).where(pay.c.customer_id.in_(customer_ids), pay.c.paid_on <= cut_off)
    if by_company:
        debits = debits.where(same_company(inv, company))
        credit_notes = credit_notes.where(same_company(inv, company))
        receipts = receipts.where(same_company(pay, company))
    items = union_all(debits, credit_notes, receipts).subquery("items")
    return _ordered(select(items).where(func.round(items.c.open_amount, 2) > 0), items)


def _ordered(statement: Select[Any], items: Any) -> Select[Any]:
    return statement.order_by(
        items.c.customer_id, items.c.due_date, items.c.posted_on, items.c.document_id, items.c.kind_rank
    )


def open_items_by_lines(
    lines: Subquery, customer_ids: Sequence[object], cut_off: date, company: object | None, by_company: bool
) -> Select[Any]:
    """SAP's open items at a key date: lines posted by `cut_off` and not cleared by then (BSID ∪ BSAD
    with AUGDT > K), summed per document; a partial payment's line (REBZG) counts against its invoice."""
    own = lines.c.own == True  # noqa: E712

    def of_own(column: ColumnElement[Any]) -> ColumnElement[Any]:
        return func.max(case((own, column), else_=None))

    conditions = [
        lines.c.customer_id.in_(customer_ids),
        lines.c.posted_on <= cut_off,
        or_(lines.c.cleared_on.is_(None), lines.c.cleared_on > cut_off),
    ]
    if by_company:
        conditions.append(same_company(lines, company))
    grouped = (
        select(
            lines.c.customer_id,
            lines.c.company_id,
            lines.c.document_id,
            of_own(lines.c.kind).label("kind"),
            of_own(lines.c.letter).label("letter"),
            of_own(lines.c.point_of_sale).label("point_of_sale"),
            of_own(lines.c.sequence).label("sequence"),
            of_own(lines.c.receipt).label("receipt"),
            of_own(lines.c.method).label("method"),
            of_own(lines.c.currency).label("currency"),
            of_own(lines.c.kind_rank).label("kind_rank"),
            of_own(lines.c.posted_on).label("posted_on"),
            of_own(lines.c.due_date).label("due_date"),
            func.sum(case((own, lines.c.amount), else_=zero())).label("signed_original"),
            func.sum(lines.c.amount).label("signed_open"),
        )  # fmt: skip
        .where(*conditions)
        .group_by(lines.c.customer_id, lines.c.company_id, lines.c.document_id)
        .subquery("items")
    )
    # Unsigned like the allocations model: credits (credit notes, payments) are stored negative.
    sign = case((grouped.c.kind.in_((CREDIT_NOTE, PAYMENT)), -1), else_=1)
    items = select(
        grouped,
        (grouped.c.signed_original * sign).label("original_amount"),
        (grouped.c.signed_open * sign).label("open_amount"),
    ).subquery("open_items")
    return _ordered(select(items).where(func.round(items.c.open_amount, 2) > 0), items)


def account_totals(
    cust: FromClause, inv: FromClause, pay: FromClause, customer_ids: Keys, today: date
) -> Select[Any]:
    """One row per existing customer: currency, credit limit and the sums of its account
    (NULL sums for a customer without documents or payments)."""
    due = balance_due(inv)
    is_debit = inv.c.kind.in_(DEBIT_KINDS)
    documents = (
        select(
            inv.c.customer_id,
            func.sum(case((is_debit, due), else_=zero())).label("unpaid_total"),
            func.sum(case((is_debit, inv.c.total), else_=zero())).label("debits"),
            func.sum(case((inv.c.kind == CREDIT_NOTE, inv.c.total), else_=zero())).label("credit_notes"),
            func.sum(case((and_(is_debit, inv.c.due_date < today), due), else_=zero())).label("overdue"),
        )
        .where(inv.c.customer_id.in_(customer_ids), not_(is_void(inv)))
        .group_by(inv.c.customer_id)
        .subquery("documents")
    )
    paid = (
        select(pay.c.customer_id, func.sum(pay.c.amount).label("paid"))
        .where(pay.c.customer_id.in_(customer_ids))
        .group_by(pay.c.customer_id)
        .subquery("paid")
    )
    return (
        select(
            cust.c.id,
            cust.c.currency,
            cust.c.credit_limit,
            documents.c.unpaid_total,
            documents.c.debits,
            documents.c.credit_notes,
            documents.c.overdue,
            paid.c.paid,
        )  # fmt: skip
        .select_from(
            cust.outerjoin(documents, documents.c.customer_id == cust.c.id).outerjoin(
                paid, paid.c.customer_id == cust.c.id
            )
        )
        .where(cust.c.id.in_(customer_ids))
    )


def overdue_exists(cust: FromClause, inv: FromClause, today: date) -> ColumnElement[bool]:
    """The customer (correlated) has a non-void invoice or debit note past due and unpaid."""
    return (
        select(inv.c.id)
        .where(
            inv.c.customer_id == cust.c.id,
            inv.c.kind.in_(DEBIT_KINDS),
            balance_due(inv) > 0,
            inv.c.due_date < today,
        )
        .exists()
    )
