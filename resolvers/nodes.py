"""`node(id:)`: any object by its type and id, through the same ownership check as every path."""

from __future__ import annotations

from typing import Any

from ..errors import not_found
from .common import require_signed_in
from .context import Context

# Type name -> the loader attribute that fetches it by id. Every one of these records has
# a `customer_id`, except the catalogue (plans) and companies, readable by any signed-in caller.
_OWNED = {
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
}
_SHARED = {"Plan": "plan_by_id", "Company": "company_by_id"}

NODE_TYPES = frozenset(_OWNED) | frozenset(_SHARED)


async def fetch(ctx: Context, type_name: str, raw_id: str) -> Any:
    """The record, or NOT_FOUND for a missing object and for another customer's alike."""
    principal = require_signed_in(ctx)
    if type_name in _SHARED:
        record = await getattr(ctx.loaders, _SHARED[type_name]).load(raw_id)
    elif type_name in _OWNED:
        if type_name == "Customer" and not principal.may_read_customer(raw_id):
            raise not_found(type_name)  # checked before loading: no lookup of others' ids
        record = await getattr(ctx.loaders, _OWNED[type_name]).load(raw_id)
        owner = None if record is None else getattr(record, "customer_id", record.id)
        if record is not None and not principal.may_read_customer(owner):
            record = None
    else:
        record = None
    if record is None:
        raise not_found(type_name if type_name in NODE_TYPES else "object")
    return record
