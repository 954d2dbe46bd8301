"""The current account over mapped relations: balance due, status, ledger, open items, totals.

The same rules as the native source (connectors/native/_billing.py), written against the
columns every mapping provides, so that all connectors agree to the cent. Two statement
models: `allocations` (documents minus the clearings dated on or before the cut-off) and
`line_items` (SAP FBL5N: items posted by the cut-off and not cleared by then).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Numeric,
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

MONEY = Numeric(14, 2)
DEBIT_KINDS = ("INVOICE", "DEBIT_NOTE")
CREDIT_NOTE = "CREDIT_NOTE"
PAYMENT = "PAYMENT"
KIND_RANK = {"INVOICE": 0, "DEBIT_NOTE": 0, CREDIT_NOTE: 1, PAYMENT: 2}


def zero() -> ColumnElement[Any]:
    return literal(0, MONEY)


def no(type_: Any) -> ColumnElement[Any]:
    return cast(null(), type_)


def is_void(inv: Subquery) -> ColumnElement[bool]:
    # Compared with true rather than used bare: MariaDB hands booleans back as 0/1 integers.
    return inv.c.void == True  # noqa: E712


def balance_due(inv: Subquery) -> ColumnElement[Any]:
    remaining = func.round(inv.c.total - inv.c.paid_amount, 2)
    return case(
        (or_(is_void(inv), inv.c.kind == CREDIT_NOTE), zero()),
        (remaining > 0, remaining),
        else_=zero(),
    )


def status_is(inv: Subquery, status: InvoiceStatus, today: date) -> ColumnElement[bool]:
    void = is_void(inv)
    owing = and_(not_(void), balance_due(inv) > 0)
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
    inv: Subquery, filter: InvoiceFilter, today: date, company: object | None
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
        conditions.append(balance_due(inv) > 0)
    if filter.company_id is not None:
        conditions.append(false() if company is None else inv.c.company_id == company)
    return conditions


def _document_columns(inv: Subquery) -> list[ColumnElement[Any]]:
    return [
        inv.c.customer_id, inv.c.company_id, inv.c.kind, inv.c.id.label("document_id"), inv.c.letter,
        inv.c.point_of_sale, inv.c.number.label("sequence"), no(String).label("receipt"),
        no(String).label("method"), inv.c.currency,
    ]  # fmt: skip


def _payment_columns(pay: Subquery) -> list[ColumnElement[Any]]:
    return [
        pay.c.customer_id, pay.c.company_id, literal(PAYMENT, String).label("kind"),
        pay.c.id.label("document_id"), no(String).label("letter"), no(Integer).label("point_of_sale"),
        no(Integer).label("sequence"), pay.c.number.label("receipt"), pay.c.method, pay.c.currency,
    ]  # fmt: skip


def ledger_entries(inv: Subquery, pay: Subquery, customer_ids: Sequence[object]) -> Subquery:
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


def _cleared(alloc: Subquery, link: str, document: ColumnElement[Any], cut_off: date) -> Any:
    return (
        select(func.coalesce(func.sum(alloc.c.amount), 0))
        .where(alloc.c[link] == document, alloc.c.cleared_on <= cut_off)
        .scalar_subquery()
    )


def open_items_by_allocations(
    inv: Subquery, pay: Subquery, alloc: Subquery, customer_ids: Sequence[object], cut_off: date,
    company: object | None, by_company: bool,
) -> Select[Any]:  # fmt: skip
    """Documents open at `cut_off`, unsigned, by customer then due date (as the native source)."""
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
        debits = debits.where(_company(inv, company))
        credit_notes = credit_notes.where(_company(inv, company))
        receipts = receipts.where(_company(pay, company))
    items = union_all(debits, credit_notes, receipts).subquery("items")
    return _ordered(select(items).where(func.round(items.c.open_amount, 2) > 0), items)


def _company(relation: Subquery, company: object | None) -> ColumnElement[bool]:
    return false() if company is None else relation.c.company_id == company


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
        conditions.append(_company(lines, company))
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
    cust: Subquery, inv: Subquery, pay: Subquery, customer_ids: Sequence[object], today: date
) -> Select[Any]:
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


def overdue_exists(cust: Subquery, inv: Subquery, today: date) -> ColumnElement[bool]:
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
