"""Turn a request's bearer token into a Principal: a user in a live session, or a partner client."""

from __future__ import annotations

from ..errors import ApiError, ErrorCode
from ..store.engine import Store
from ..store.partners import client_by_id
from ..store.users import user_for_request
from .links import read_link, verify_link
from .principals import ANONYMOUS, Principal, PrincipalKind
from .services import principal_of, session_is_live
from .tokens import TokenError, read_access_token

__all__ = ["AuthenticationError", "bearer_token", "principal_from_header", "principal_from_link", "principal_of"]


class AuthenticationError(Exception):
    """A bearer token was sent but is not valid (expired, forged, revoked, or its user is gone)."""


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("malformed Authorization header")
    return token.strip()


async def principal_from_header(
    store: Store, secret: str, authorization: str | None
) -> Principal:
    """ANONYMOUS without a header; else the token's user (or partner) as the store holds it NOW.

    One statement per request reads the user, its accounts and the token's session, so a
    revoked session, a disabled user or an unlinked account takes effect on the next request,
    on every worker (FEATURES.md A7); Store.read retries it once when a pooled connection has died,
    and gives up with StoreUnavailable past [store] timeout_seconds.
    A user's token must name its session: one without is refused, whoever holds the key.
    """
    token = bearer_token(authorization)
    if token is None:
        return ANONYMOUS
    try:
        claims = read_access_token(secret, token)
    except TokenError as exc:
        raise AuthenticationError(str(exc)) from exc
    if claims.client_id is not None:
        client_id = claims.client_id
        client = await store.read(lambda conn: client_by_id(conn, client_id))
        if client is None or client.disabled:
            raise AuthenticationError("unknown or disabled client")
        return Principal(
            kind=PrincipalKind.PARTNER,
            name=client.name,
            client_id=client.client_id,
            queries_only=client.queries_only,
            scopes=claims.scopes & client.scopes,  # a scope removed since issuance is gone at once
        )
    user_id, session_id = claims.user_id, claims.session_id
    assert user_id is not None
    if session_id is None:
        raise AuthenticationError("token without a session")
    user, session = await store.read(lambda conn: user_for_request(conn, user_id, session_id))
    if user is None or user.disabled:
        raise AuthenticationError("unknown or disabled user")
    if not (session.exists and session_is_live(session.revoked, session.expires_at)):
        raise AuthenticationError("session ended")
    return principal_of(user, claims.session_id)


async def principal_from_link(store: Store, secret: str, path: str, query_string: str) -> Principal:
    """The user a download link was signed for, read again with the link's session (one
    statement): a bad or expired link, a disabled user or an ended session (signOut, a new
    password) gets nothing, each with its own code."""
    claims = read_link(path, query_string)
    if claims is None or not verify_link(secret, claims):
        raise ApiError(ErrorCode.LINK_EXPIRED)
    user_id, session_id = claims.user_id, claims.session_id
    user, session = await store.read(lambda conn: user_for_request(conn, user_id, session_id))
    if user is None or user.disabled:
        raise ApiError(ErrorCode.FORBIDDEN)
    if not (session.exists and session_is_live(session.revoked, session.expires_at)):
        raise ApiError(ErrorCode.SESSION_ENDED)
    principal = principal_of(user, session_id)
    if principal.must_change_password:
        raise ApiError(ErrorCode.PASSWORD_CHANGE_REQUIRED)
    return principal
