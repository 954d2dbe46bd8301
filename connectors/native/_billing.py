"""The native current account in SQL: balance due, invoice status, ledger, open items, totals."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Date,
    Integer,
    Select,
    String,
    Subquery,
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

from ..records import InvoiceFilter, InvoiceStatus
from ._values import db_id
from .tables import MONEY, allocations, customers, invoices, payments

DEBIT_KINDS = ("INVOICE", "DEBIT_NOTE")
CREDIT_NOTE = "CREDIT_NOTE"
PAYMENT = "PAYMENT"

# Documents posted on the same day are ordered debit first, then credit notes, then
# payments, so that the running balance is the same on every run and every backend.
KIND_RANK = {"INVOICE": 0, "DEBIT_NOTE": 0, CREDIT_NOTE: 1, PAYMENT: 2}


def same_company(column: ColumnElement[Any], company_id: str) -> ColumnElement[bool]:
    """`column` is the company `company_id`; a non-numeric id matches nothing."""
    native = db_id(company_id)
    return false() if native is None else column == native


def balance_due() -> ColumnElement[Any]:
    """Balance due of an invoice row: total − paid, never negative; 0 if void or a credit note.

    Rounded to the cent in SQL because SQLite keeps NUMERIC as float, where
    100.10 − 100.10 may not be exactly 0.
    """
    remaining = func.round(invoices.c.total - invoices.c.paid_amount, 2)
    return case(
        (or_(invoices.c.void, invoices.c.kind == CREDIT_NOTE), _zero()),
        (remaining > 0, remaining),
        else_=_zero(),
    )


def status_is(status: InvoiceStatus, today: date) -> ColumnElement[bool]:
    """Rows whose derived status on `today` is `status`, checked in the derivation's order:
    VOID, then PAID (nothing due), OVERDUE, PARTIALLY_PAID, OPEN."""
    void = invoices.c.void
    owing = and_(not_(void), balance_due() > 0)
    # IS NOT NULL first, so that a missing due date reads "not overdue" rather than NULL.
    overdue = and_(invoices.c.due_date.is_not(None), invoices.c.due_date < today)
    partial = and_(invoices.c.paid_amount > 0, invoices.c.paid_amount < invoices.c.total)
    if status is InvoiceStatus.VOID:
        return void
    if status is InvoiceStatus.PAID:
        return and_(not_(void), balance_due() <= 0)
    if status is InvoiceStatus.OVERDUE:
        return and_(owing, overdue)
    if status is InvoiceStatus.PARTIALLY_PAID:
        return and_(owing, not_(overdue), partial)
    return and_(owing, not_(overdue), not_(partial))


def invoice_conditions(filter: InvoiceFilter, today: date) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filter.status is not None:
        conditions.append(status_is(filter.status, today))
    if filter.kind is not None:
        conditions.append(invoices.c.kind == filter.kind.value)
    if filter.issued_from is not None:
        conditions.append(invoices.c.issue_date >= filter.issued_from)
    if filter.issued_to is not None:
        conditions.append(invoices.c.issue_date <= filter.issued_to)
    if filter.unpaid_only:
        conditions.append(balance_due() > 0)  # already 0 for void documents and credit notes
    if filter.company_id is not None:
        conditions.append(same_company(invoices.c.company_id, filter.company_id))
    return conditions


def _zero() -> ColumnElement[Any]:
    # A typed 0, so that CASE and UNION columns come back as money, not integers.
    return literal(0, MONEY)


def _no(type_: Any) -> ColumnElement[Any]:
    # A typed NULL, so that PostgreSQL can line up the columns of a UNION.
    return cast(null(), type_)


def _document_columns() -> list[ColumnElement[Any]]:
    return [
        invoices.c.customer_id,
        invoices.c.company_id,
        invoices.c.kind,
        invoices.c.id.label("document_id"),
        invoices.c.letter,
        invoices.c.point_of_sale,
        invoices.c.number.label("sequence"),
        _no(String).label("receipt"),
        _no(String).label("method"),
        invoices.c.currency,
    ]


def _payment_columns() -> list[ColumnElement[Any]]:
    return [
        payments.c.customer_id,
        payments.c.company_id,
        literal(PAYMENT, String).label("kind"),
        payments.c.id.label("document_id"),
        _no(String).label("letter"),
        _no(Integer).label("point_of_sale"),
        _no(Integer).label("sequence"),
        payments.c.number.label("receipt"),
        payments.c.method,
        payments.c.currency,
    ]


def ledger_entries(customer_ids: Sequence[int]) -> Subquery:
    """Every entry of the customers' current accounts with the running balance after it.

    The balance is a window over the whole history (credit − debit, chronological), so
    it stays right when the caller then filters by date or pages.
    """
    is_credit_note = invoices.c.kind == CREDIT_NOTE
    documents = select(
        *_document_columns(),
        invoices.c.issue_date.label("posted_on"),
        invoices.c.due_date,
        case((is_credit_note, KIND_RANK[CREDIT_NOTE]), else_=KIND_RANK["INVOICE"]).label(
            "kind_rank"
        ),
        case((is_credit_note, _zero()), else_=invoices.c.total).label("debit"),
        case((is_credit_note, invoices.c.total), else_=_zero()).label("credit"),
    ).where(invoices.c.customer_id.in_(customer_ids), not_(invoices.c.void))
    receipts = select(
        *_payment_columns(),
        payments.c.paid_on.label("posted_on"),
        _no(Date).label("due_date"),
        literal(KIND_RANK[PAYMENT], Integer).label("kind_rank"),
        _zero().label("debit"),
        payments.c.amount.label("credit"),
    ).where(payments.c.customer_id.in_(customer_ids))
    entries = union_all(documents, receipts).subquery("entries")
    running = func.sum(entries.c.credit - entries.c.debit).over(
        partition_by=entries.c.customer_id,
        order_by=(entries.c.posted_on, entries.c.kind_rank, entries.c.document_id),
        rows=(None, 0),
    )
    return select(entries, running.label("balance")).subquery("ledger")


def _cleared(link: Column[Any], document: Column[Any], cut_off: date) -> ColumnElement[Any]:
    """Σ allocations of `document` through `link` cleared on or before the cut-off."""
    return (
        select(func.coalesce(func.sum(allocations.c.amount), 0))
        .where(link == document, allocations.c.cleared_on <= cut_off)
        .scalar_subquery()
    )


def open_items(customer_ids: Sequence[int], cut_off: date, company_id: str | None) -> Select[Any]:
    """Documents open at `cut_off`, unsigned (`open_amount` > 0), by customer then due date."""
    posted = (
        invoices.c.customer_id.in_(customer_ids),
        not_(invoices.c.void),
        invoices.c.issue_date <= cut_off,
    )
    debits = select(
        *_document_columns(),
        literal(KIND_RANK["INVOICE"], Integer).label("kind_rank"),
        invoices.c.issue_date.label("posted_on"),
        func.coalesce(invoices.c.due_date, invoices.c.issue_date).label("due_date"),
        invoices.c.total.label("original_amount"),
        (invoices.c.total - _cleared(allocations.c.invoice_id, invoices.c.id, cut_off)).label(
            "open_amount"
        ),
    ).where(*posted, invoices.c.kind.in_(DEBIT_KINDS))
    credit_notes = select(
        *_document_columns(),
        literal(KIND_RANK[CREDIT_NOTE], Integer).label("kind_rank"),
        invoices.c.issue_date.label("posted_on"),
        invoices.c.issue_date.label("due_date"),
        invoices.c.total.label("original_amount"),
        (invoices.c.total - _cleared(allocations.c.credit_note_id, invoices.c.id, cut_off)).label(
            "open_amount"
        ),
    ).where(*posted, invoices.c.kind == CREDIT_NOTE)
    receipts = select(
        *_payment_columns(),
        literal(KIND_RANK[PAYMENT], Integer).label("kind_rank"),
        payments.c.paid_on.label("posted_on"),
        payments.c.paid_on.label("due_date"),
        payments.c.amount.label("original_amount"),
        (payments.c.amount - _cleared(allocations.c.payment_id, payments.c.id, cut_off)).label(
            "open_amount"
        ),
    ).where(payments.c.customer_id.in_(customer_ids), payments.c.paid_on <= cut_off)
    if company_id is not None:
        debits = debits.where(same_company(invoices.c.company_id, company_id))
        credit_notes = credit_notes.where(same_company(invoices.c.company_id, company_id))
        receipts = receipts.where(same_company(payments.c.company_id, company_id))
    items = union_all(debits, credit_notes, receipts).subquery("items")
    return (
        select(items)
        .where(func.round(items.c.open_amount, 2) > 0)
        .order_by(
            items.c.customer_id,
            items.c.due_date,
            items.c.posted_on,
            items.c.document_id,
            items.c.kind_rank,
        )
    )


def account_totals(customer_ids: Sequence[int], today: date) -> Select[Any]:
    """One row per existing customer: currency, credit limit and the sums of its account
    (NULL sums for a customer without documents or payments)."""
    due = balance_due()
    is_debit = invoices.c.kind.in_(DEBIT_KINDS)
    documents = (
        select(
            invoices.c.customer_id,
            func.sum(case((is_debit, due), else_=_zero())).label("unpaid_total"),
            func.sum(case((is_debit, invoices.c.total), else_=_zero())).label("debits"),
            func.sum(case((invoices.c.kind == CREDIT_NOTE, invoices.c.total), else_=_zero())).label(
                "credit_notes"
            ),
            func.sum(case((and_(is_debit, invoices.c.due_date < today), due), else_=_zero())).label(
                "overdue"
            ),
        )
        .where(invoices.c.customer_id.in_(customer_ids), not_(invoices.c.void))
        .group_by(invoices.c.customer_id)
        .subquery("documents")
    )
    paid = (
        select(payments.c.customer_id, func.sum(payments.c.amount).label("paid"))
        .where(payments.c.customer_id.in_(customer_ids))
        .group_by(payments.c.customer_id)
        .subquery("paid")
    )
    return (
        select(
            customers.c.id,
            customers.c.currency,
            customers.c.credit_limit,
            documents.c.unpaid_total,
            documents.c.debits,
            documents.c.credit_notes,
            documents.c.overdue,
            paid.c.paid,
        )
        .select_from(
            customers.outerjoin(documents, documents.c.customer_id == customers.c.id).outerjoin(
                paid, paid.c.customer_id == customers.c.id
            )
        )
        .where(customers.c.id.in_(customer_ids))
    )


def overdue_exists(today: date) -> ColumnElement[bool]:
    """The customer (correlated) has a non-void invoice or debit note past due and unpaid."""
    return (
        select(invoices.c.id)
        .where(
            invoices.c.customer_id == customers.c.id,
            invoices.c.kind.in_(DEBIT_KINDS),
            balance_due() > 0,
            invoices.c.due_date < today,
        )
        .exists()
    )
