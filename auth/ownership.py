"""The one ownership check every object a caller reaches passes through: who owns each record, and `authorize`.

Every canonical record the API exposes declares in OWNERS how its owning account(s) are found:

- `Owned(owners)`: the record names its customer account(s); a customer user reaches it only
  when linked to one of them, staff and partners with `customers:read` reach every one;
- `SHARED`: the business's own catalogue (companies of the group): any signed-in caller;
- `PUBLIC`: what a portal shows before sign-in (the plans on offer): anyone;
- `Through(parents)`: it names no account (an invoice line, a ticket message): it is only
  reached through its parent record, and the parent is authorized instead.

`authorize(principal, record)` answers another customer's record exactly like a missing one
(NOT_FOUND), so ids of other customers cannot be probed. A record type without a rule, or
one only reached through its parent, is refused loudly (TypeError): the check fails closed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from ..connectors import records as r
from ..errors import ApiError, ErrorCode, not_found
from ..store.payments import PaymentAttempt
from ..store.receipts import PaymentReceipt, PlanRequest
from .principals import Principal, PrincipalKind
from .roles import require_signed_in

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Owned:
    """The record names its owning account(s)."""

    owners: Callable[[Any], Iterable[str]]


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Not any customer's: the business's own records, for `signed_in` callers or for everyone."""

    signed_in: bool


@dataclass(frozen=True, slots=True)
class Through:
    """Names no account: reached only through one of these parent records, which is authorized."""

    parents: tuple[type, ...]


Rule = Owned | Catalogue | Through

SHARED = Catalogue(signed_in=True)
PUBLIC = Catalogue(signed_in=False)


def _customer_id(record: Any) -> tuple[str]:
    return (record.customer_id,)


def _itself(customer: r.Customer) -> tuple[str]:
    return (customer.id,)


OWNERS: dict[type, Rule] = {
    r.Customer: Owned(_itself),
    r.AccountTotals: Owned(_customer_id),
    r.Invoice: Owned(_customer_id),
    r.Payment: Owned(_customer_id),
    r.LedgerEntry: Owned(_customer_id),
    r.OpenItem: Owned(_customer_id),
    r.Ticket: Owned(_customer_id),
    r.NewTicket: Owned(_customer_id),  # a ticket to open: its account's (no read path returns one)
    r.Contract: Owned(_customer_id),
    r.PlanSubscription: Owned(_customer_id),
    r.Quote: Owned(_customer_id),
    r.Order: Owned(_customer_id),
    r.DeliveryNote: Owned(_customer_id),
    r.Document: Owned(_customer_id),
    r.Comment: Owned(_customer_id),
    r.PaymentMethod: Owned(_customer_id),
    r.PaymentCommitment: Owned(_customer_id),
    PaymentReceipt: Owned(_customer_id),  # the store's: a receipt a customer submitted (B10)
    PaymentAttempt: Owned(_customer_id),  # the store's: an online payment a customer started (B9)
    PlanRequest: Owned(_customer_id),  # the store's: a plan change or new plan asked for (D4)
    r.NewCommitment: Owned(_customer_id),  # a payment commitment to write, for its account (resolvers/commitments.py)
    r.Company: SHARED,
    r.Plan: PUBLIC,
    r.ContactEmail: Through((r.Customer,)),
    r.ContactPhone: Through((r.Customer,)),
    r.InvoiceLine: Through((r.Invoice,)),
    r.TicketMessage: Through((r.Ticket,)),
    r.Attachment: Through((r.TicketMessage,)),
    r.Promotion: Through((r.PlanSubscription,)),
    r.CommercialLine: Through((r.Quote, r.Order, r.DeliveryNote)),
}


def rule_of(record_type: type) -> Rule:
    try:
        return OWNERS[record_type]
    except KeyError:
        raise TypeError(f"{record_type.__name__} declares no owner in auth/ownership.py") from None


def may_reach_account(principal: Principal, customer_id: str | None) -> bool:
    """The ownership rule: a customer user reaches exactly its linked accounts; staff and
    partners with `customers:read` reach every one."""
    if customer_id is None:
        return False
    if principal.reads_every_customer:
        return True
    return principal.kind is PrincipalKind.CUSTOMER and customer_id in principal.customer_ids


def authorize_account(principal: Principal, customer_id: str, what: str = "Customer") -> None:
    """The check of a customer id before its record is loaded: no lookup of others' ids."""
    require_signed_in(principal)
    if not may_reach_account(principal, customer_id):
        raise not_found(what)


def acting_account(principal: Principal, customer_id: str | None) -> str:
    """The account a portal action is for: the one named, if the caller may act for it (else
    NOT_FOUND, as for a missing one); unnamed, a customer user's default account. A partner
    names it always (BAD_INPUT)."""
    if customer_id is None:
        if principal.kind is PrincipalKind.CUSTOMER and principal.customer_ids:
            return principal.customer_ids[0]
        raise ApiError(ErrorCode.BAD_INPUT, field=["input", "customerId"], detail="customerId")
    authorize_account(principal, customer_id)
    return customer_id


def authorize(principal: Principal, record: R, what: str | None = None) -> R:
    """`record` if the caller may see it; NOT_FOUND (naming `what`, else its type) if not."""
    rule = rule_of(type(record))
    if isinstance(rule, Through):
        names = " or ".join(p.__name__ for p in rule.parents)
        raise TypeError(f"{type(record).__name__} is authorized through its {names}")
    if isinstance(rule, Catalogue):
        if rule.signed_in:
            require_signed_in(principal)
        return record
    require_signed_in(principal)
    if not any(may_reach_account(principal, owner) for owner in rule.owners(record)):
        raise not_found(what or type(record).__name__)
    return record


def may_see(principal: Principal, record: object) -> bool:
    """`authorize` as a yes or no, for lists that leave out what the caller may not see."""
    try:
        authorize(principal, record)
    except ApiError:
        return False
    return True
