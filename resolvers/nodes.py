"""`node(id:)`: any object by its type and id, through the same ownership check as every path."""

from __future__ import annotations

from typing import Any

from ..auth.ownership import authorize, authorize_account
from ..errors import not_found
from .context import Context
from .support import shown_ticket

# Type name -> the loader attribute that fetches it by id; who may see each is auth/ownership.py's.
_LOADERS = {
    "Customer": "customer_by_id",
    "Invoice": "invoice_by_id",
    "Payment": "payment_by_id",
    "Ticket": "ticket_by_id",
    "Contract": "contract_by_id",
    "PlanSubscription": "subscription_by_id",
    "Quote": "quote_by_id",
    "Order": "order_by_id",
    "DeliveryNote": "delivery_note_by_id",
    "Document": "document_by_id",
    "PaymentMethod": "payment_method_by_id",
    "Plan": "plan_by_id",
    "Company": "company_by_id",
}


async def fetch(ctx: Context, type_name: str, raw_id: str) -> Any:
    """The record, or NOT_FOUND for a missing object and for another customer's alike."""
    loader = _LOADERS.get(type_name)
    if loader is None:
        raise not_found("object")
    if type_name == "Customer":
        authorize_account(ctx.principal, raw_id)  # before loading: no lookup of others' ids
    record = await getattr(ctx.loaders, loader).load(raw_id)
    if record is None:
        raise not_found(type_name)
    authorize(ctx.principal, record, type_name)
    if type_name == "Ticket":
        return await shown_ticket(ctx, record)
    return record
