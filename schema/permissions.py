"""Who may select a field, declared on the field: Strawberry permission classes over auth/roles.py.

    fields                                            permission
    Query.node, Query.customer                        SignedIn
    Query.customers                                   ReadsEveryCustomer (staff; partners with customers:read)
    Query.suggestedPassword, auditLog, outgoingEmails Admin
    Mutation.grantPortalAccess, revokePortalAccess    Admin
    Mutation.signOut, Mutation.changePassword         SignedInUser (a temporary password is fine)
    createTicket, submitPaymentReceipt, request*      ActsForCustomers (customers; partners with the scope)
    replyToTicket, closeTicket                        Writer (customers, partners, agents, admins)
    the helpdesk's queues and decisions               Agent (agents and admins)
    Query.viewer, portal, plans; the sign-in flows    anyone

Every object reached below these is then checked by its owner (auth/ownership.py), and a
partner's fields by its scopes (schema/scopes.py). A refusal raises the ApiError of auth/roles.py,
so it is answered with its code and translated message like any other.
"""

from __future__ import annotations

from typing import Any

from strawberry.extensions import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info

from ..auth.roles import (
    require_acts_for_customers,
    require_admin,
    require_agent,
    require_reads_every_customer,
    require_signed_in,
    require_user,
    require_writer,
)


class SignedIn(BasePermission):
    """Signed in, with no temporary password left to change (UNAUTHENTICATED, PASSWORD_CHANGE_REQUIRED)."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        require_signed_in(info.context.principal)
        return True


class SignedInUser(BasePermission):
    """A signed-in user, even one that must still change a temporary password (UNAUTHENTICATED)."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        require_user(info.context.principal)
        return True


class ReadsEveryCustomer(BasePermission):
    """Staff, and partners granted `customers:read` (FORBIDDEN for others)."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        require_reads_every_customer(info.context.principal)
        return True


class Admin(BasePermission):
    """The business's admins (FORBIDDEN for others)."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        require_admin(info.context.principal)
        return True


class ActsForCustomers(BasePermission):
    """Customer users and partners: the actions a customer takes (FORBIDDEN for staff)."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        require_acts_for_customers(info.context.principal)
        return True


class Agent(BasePermission):
    """The helpdesk: agents and admins (FORBIDDEN for others)."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        require_agent(info.context.principal)
        return True


class Writer(BasePermission):
    """Customers, partners, agents and admins; never analysts (FORBIDDEN)."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        require_writer(info.context.principal)
        return True


def allow(*permissions: type[BasePermission]) -> list[FieldExtension]:
    """The field extension checking `permissions` before the resolver runs (no schema directive:
    the SDL clients see does not change)."""
    return [PermissionExtension([p() for p in permissions], use_directives=False)]
