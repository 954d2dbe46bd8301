"""The tickets a payment receipt or a plan request opens, with their own routing defaults.

`[receipts.ticket]` and `[plans.ticket]` (ventanilla.toml) give the area, category, assignee,
status and priority of these tickets, as `[tickets.defaults]` does for the others; the ticket
goes where the tickets domain writes (the store, or a legacy helpdesk that takes tickets).
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncConnection

from .context import Context
from .uploads import KeptFile


async def open_receipt_ticket(
    ctx: Context, conn: AsyncConnection, customer_id: str, receipt_id: str, amount: Decimal, currency: str,
    file: KeptFile,
) -> str | None:
    """The ticket of a new receipt, its file attached; its canonical id."""
    return None  # until the tickets helper's open_ticket is merged (MILESTONE-tickets)


async def open_plan_ticket(
    ctx: Context, conn: AsyncConnection, customer_id: str, subject: str, description: str
) -> str | None:
    """The ticket of a plan request; its canonical id."""
    return None  # until the tickets helper's open_ticket is merged (MILESTONE-tickets)
