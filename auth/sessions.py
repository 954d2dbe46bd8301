"""Turn a request's bearer token into a Principal, and a login + password into a token."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from ..store.users import User, user_by_id, user_by_login
from .passwords import verify_password
from .principals import ANONYMOUS, Principal, PrincipalKind, StaffRole
from .tokens import TokenError, issue_access_token, read_access_token


class AuthenticationError(Exception):
    """A bearer token was sent but is not valid (expired, forged, or its user is gone)."""


def principal_of(user: User) -> Principal:
    if user.kind == "STAFF":
        return Principal(
            kind=PrincipalKind.STAFF,
            user_id=user.id,
            name=user.name,
            role=StaffRole(user.role or "analyst"),
            must_change_password=user.must_change_password,
        )
    return Principal(
        kind=PrincipalKind.CUSTOMER,
        user_id=user.id,
        name=user.name,
        customer_ids=user.customer_ids,
        must_change_password=user.must_change_password,
    )


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("malformed Authorization header")
    return token.strip()


async def principal_from_header(
    store: AsyncEngine, secret: str, authorization: str | None
) -> Principal:
    """ANONYMOUS without a header; the token's user otherwise (re-read, so a disabled user stops at once)."""
    token = bearer_token(authorization)
    if token is None:
        return ANONYMOUS
    try:
        claims = read_access_token(secret, token)
    except TokenError as exc:
        raise AuthenticationError(str(exc)) from exc
    async with store.connect() as conn:
        user = await user_by_id(conn, claims.user_id)
    if user is None or user.disabled:
        raise AuthenticationError("unknown or disabled user")
    return principal_of(user)


@dataclass(frozen=True, slots=True)
class SignedIn:
    access_token: str
    expires_in: int
    principal: Principal


async def sign_in(
    store: AsyncEngine, secret: str, minutes: int, login: str, password: str
) -> SignedIn | None:
    """A fresh access token when login and password match an enabled user, else None."""
    async with store.connect() as conn:
        user = await user_by_login(conn, login)
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or user.disabled:
        return None
    token, lifetime = issue_access_token(secret, user.id, minutes)
    return SignedIn(token, lifetime, principal_of(user))
