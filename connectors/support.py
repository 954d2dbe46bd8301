"""Ticket filters and the statements of messages and attachments, built alike by every SQL source.

Each takes the relations it reads: the native tables, or a mapping's relations with the same
canonical column names (as connectors/billing.py does for the current account).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, FromClause, Select, not_, or_, select

from . import billing
from .records import TicketFilter
from .shapes import Keys
from .text import fold, folded


def ticket_conditions(tickets: FromClause, filter: TicketFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if filter.status is not None:
        where.append(tickets.c.status == filter.status.value)
    if filter.open_only:
        where.append(tickets.c.status != "CLOSED")
    search = fold((filter.search or "").strip())
    if search:
        # Folded (connectors/text.py): "facturacion" finds "Facturación" on every database.
        where.append(
            or_(
                folded(tickets.c.subject).contains(search, autoescape=True),
                folded(tickets.c.number).contains(search, autoescape=True),
            )
        )
    return where


def messages_and_files(
    messages: FromClause, files: FromClause | None, ticket_keys: Keys, include_internal: bool
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
