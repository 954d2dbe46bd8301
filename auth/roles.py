"""Who may call what: signed in, a user, reading every customer, admin; each refusal with its code.

The schema declares these on its fields (schema/permissions.py); nothing re-checks them by hand.
"""

from __future__ import annotations

from ..errors import ApiError, ErrorCode
from .principals import Principal, PrincipalKind


def require_signed_in(principal: Principal) -> Principal:
    """Anyone signed in who has no temporary password left to change."""
    if principal.is_anonymous:
        raise ApiError(ErrorCode.UNAUTHENTICATED)
    if principal.must_change_password:
        raise ApiError(ErrorCode.PASSWORD_CHANGE_REQUIRED)
    return principal


def require_user(principal: Principal) -> Principal:
    """A signed-in user (not a partner); a temporary password does not stop signOut and changePassword."""
    if principal.user_id is None:
        raise ApiError(ErrorCode.UNAUTHENTICATED)
    return principal


def require_reads_every_customer(principal: Principal) -> Principal:
    """Staff (analysts and admins) and partners granted `customers:read`."""
    if not require_signed_in(principal).reads_every_customer:
        raise ApiError(ErrorCode.FORBIDDEN)
    return principal


def require_admin(principal: Principal) -> Principal:
    if not require_signed_in(principal).is_admin:
        raise ApiError(ErrorCode.FORBIDDEN)
    return principal


def require_acts_for_customers(principal: Principal) -> Principal:
    """Customer users (on their own accounts) and partners (with the mutation's write scope,
    schema/scopes.py); staff act through their own mutations, analysts never (FORBIDDEN)."""
    require_signed_in(principal)
    if principal.kind not in (PrincipalKind.CUSTOMER, PrincipalKind.PARTNER):
        raise ApiError(ErrorCode.FORBIDDEN)
    return principal


def require_agent(principal: Principal) -> Principal:
    """The helpdesk: agents and admins (FORBIDDEN for analysts and everyone else)."""
    if not require_signed_in(principal).is_agent:
        raise ApiError(ErrorCode.FORBIDDEN)
    return principal


def require_writer(principal: Principal) -> Principal:
    """Anyone who may change things: customers, partners (scoped), agents and admins; not analysts."""
    require_signed_in(principal)
    if principal.is_staff and not principal.is_agent:
        raise ApiError(ErrorCode.FORBIDDEN)
    return principal


def may_introspect(principal: Principal, demo: bool) -> bool:
    """The schema's map is for the business's staff, and for everyone in demo mode."""
    return demo or principal.is_staff
