"""Filters and statements every SQL source builds alike: customer search, tickets, messages, promotions.

Each takes the relations it reads — the native tables, or a mapping's relations with the same
canonical column names — as connectors/billing.py does for the current account.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Select, func, not_, or_, select

from . import billing
from .records import CustomerFilter, TicketFilter


def customer_conditions(
    cust: FromClause, inv: FromClause | None, filter: CustomerFilter, company: object | None, today: date
) -> list[ColumnElement[bool]]:
    """`company`: the stored key of `filter.company_id`; `inv`: None for a source without invoices
    (then no customer is overdue)."""
    conditions: list[ColumnElement[bool]] = []
    search = (filter.search or "").strip()
    if search:
        matches = [
            func.lower(cust.c.name).contains(search.lower(), autoescape=True),
            cust.c.code == search,
        ]
        # Tax ids are stored as digits: "20-12345678-9" finds 20123456789.
        digits = re.sub(r"\D", "", search)
        if digits:
            matches.append(cust.c.tax_id.contains(digits, autoescape=True))
        conditions.append(or_(*matches))
    if filter.status is not None:
        conditions.append(cust.c.status == filter.status.value)
    if filter.company_id is not None:
        conditions.append(billing.same_company(cust, company))
    if filter.overdue_only and inv is not None:
        conditions.append(billing.overdue_exists(cust, inv, today))
    return conditions


def ticket_conditions(tickets: FromClause, filter: TicketFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if filter.status is not None:
        where.append(tickets.c.status == filter.status.value)
    if filter.open_only:
        where.append(tickets.c.status != "CLOSED")
    search = (filter.search or "").strip().lower()
    if search:
        where.append(
            or_(
                func.lower(tickets.c.subject).contains(search, autoescape=True),
                func.lower(tickets.c.number).contains(search, autoescape=True),
            )
        )
    return where


def messages_and_files(
    messages: FromClause, files: FromClause | None, ticket_keys: Sequence[object], include_internal: bool
) -> list[Select[Any]]:
    """The messages of the tickets, oldest first, then (given `files`) their attachments with a
    `message_id`: found through the same predicate rather than a list of message ids, so that
    both statements run without waiting for each other."""
    shown: list[ColumnElement[bool]] = [messages.c.ticket_id.in_(ticket_keys)]
    if not include_internal:
        # Internal notes never leave the gateway for customers and partners.
        shown.append(not_(billing.flag(messages, "internal")))
    statements = [
        select(messages).where(*shown).order_by(messages.c.ticket_id, messages.c.created_at, messages.c.id)
    ]
    if files is not None:
        statements.append(
            select(files, messages.c.id.label("message_id"))
            .select_from(
                files.join(
                    messages, (files.c.owner_kind == "TicketMessage") & (files.c.owner_id == messages.c.id)
                )
            )
            .where(*shown)
            .order_by(files.c.id)
        )
    return statements


def promotions_applied(
    applied: FromClause, promotions: FromClause, subscriptions: FromClause, keys: Sequence[object]
) -> Select[Any]:
    """The promotions applied to each subscription, with that application's validity and the
    subscription's currency, by subscription then start."""
    return (
        select(
            applied.c.subscription_id,
            applied.c.promotion_id,
            applied.c.valid_from,
            applied.c.valid_to,
            promotions.c.name,
            promotions.c.discount_percent,
            promotions.c.fixed_price,
            subscriptions.c.currency,
        )  # fmt: skip
        .select_from(
            applied.join(promotions, promotions.c.id == applied.c.promotion_id).join(
                subscriptions, subscriptions.c.id == applied.c.subscription_id
            )
        )
        .where(applied.c.subscription_id.in_(keys))
        .order_by(applied.c.subscription_id, applied.c.valid_from, applied.c.id)
    )
