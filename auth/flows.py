"""The customer's access flows (FEATURES.md A1-A6) as plain functions: no GraphQL here.

Each either returns its result or raises `ApiError` with the code the caller sees; every
outcome is audited (never with a password, token or code).
"""

from __future__ import annotations

import hmac
import logging
from datetime import timedelta
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncConnection

from ..connectors.base import Source
from ..errors import ApiError, ErrorCode
from ..observe import sign_in_failed
from ..store import access as store
from ..store.engine import StoreUnavailable
from ..store.users import NOBODY, User, set_password, user_by_id, user_by_identifier, user_by_login
from .former_customers import keeps_access
from .logins import EMAIL, LoginKey, login_key, normalise_email
from .mail import Mail, portal_facts
from .onetime import new_code, new_reset_token
from .passwords import verify_password
from .principals import Principal
from .ratelimit import EMAILS, SIGN_IN
from .services import (
    AccessServices,
    Caller,
    SignedIn,
    open_session,
    principal_of,
    rotate_refresh,
    session_is_live,
)
from .tokens import issue_access_token

RESET = "RESET"
CODE = "CODE"

log = logging.getLogger("ventanilla.auth")


async def find_user(conn: AsyncConnection, key: LoginKey) -> User | None:
    if key.kind == EMAIL:
        return await user_by_login(conn, key.value)
    return await user_by_identifier(conn, key.kind, key.value)


async def check_may_enter(services: AccessServices, source: Source, user: User) -> None:
    """After the secret matched: a disabled user, one without accounts, or a former customer stays out."""
    if user.disabled or (user.kind == "CUSTOMER" and not user.customer_ids):
        raise ApiError(ErrorCode.ACCESS_REVOKED)
    if user.kind == "CUSTOMER" and not services.settings.former_customers_keep_access:
        accounts = await source.customers_by_id(list(user.customer_ids))
        if not keeps_access([a.status if a else None for a in accounts], False):
            raise ApiError(ErrorCode.FORMER_CUSTOMER)


# How each audited sign-in event signs in, as the metrics count failures (observe.sign_in_failed).
_METHODS = {"SIGN_IN": "password", "CODE_SIGN_IN": "code"}


def _failed(event: str, reason: str) -> None:
    sign_in_failed(_METHODS.get(event, event.lower()), reason.lower())


async def _limited(services: AccessServices, key: LoginKey, typed: str, caller: Caller, event: str) -> None:
    """Spend one attempt of the login and the address *before* the secret is checked (ratelimit.py)."""
    blocked = await services.limiter.reserve(SIGN_IN, key.counter, caller.ip)
    if blocked is not None:
        _failed(event, "rate_limited")
        await services.audit(event, ErrorCode.TOO_MANY_ATTEMPTS.value, caller, login=typed, detail=blocked.key)
        raise ApiError(ErrorCode.TOO_MANY_ATTEMPTS, field=["login"], seconds=str(blocked.retry_after))


async def sign_in(
    services: AccessServices, source: Source, login: str, password: str, remember: bool, caller: Caller
) -> SignedIn:
    """Login + password (A1, A2): limited per login and address, audited either way."""
    typed = login.strip().lower()
    try:
        key = login_key(services.settings.login_field, login)
    except ApiError as error:
        _failed("SIGN_IN", error.code.value)
        await services.audit("SIGN_IN", error.code.value, caller, login=typed)
        raise
    await _limited(services, key, typed, caller, "SIGN_IN")
    async with services.store.connect() as conn:
        user = await find_user(conn, key)
    if not await verify_password(user.password_hash if user else None, password) or user is None:
        _failed("SIGN_IN", "unknown_login" if user is None else "bad_password")
        await services.audit("SIGN_IN", ErrorCode.INVALID_CREDENTIALS.value, caller, login=typed,
                             user_id=user.id if user else None)  # fmt: skip
        raise ApiError(ErrorCode.INVALID_CREDENTIALS, field=["password"])
    await services.limiter.succeeded(SIGN_IN, key.counter, caller.ip)
    return await _enter(services, source, user, remember, caller, "SIGN_IN", typed)


async def _enter(
    services: AccessServices, source: Source, user: User, remember: bool, caller: Caller,
    event: str, login: str,
) -> SignedIn:  # fmt: skip
    """The secret was right: the user enters unless its access is gone (check_may_enter)."""
    try:
        await check_may_enter(services, source, user)
    except ApiError as error:
        _failed(event, error.code.value)  # access_revoked, former_customer
        await services.audit(event, error.code.value, caller, login=login, user_id=user.id)
        raise
    async with services.store.begin() as conn:
        signed = await open_session(conn, services, user, remember, caller)
    await services.audit(event, "OK", caller, login=login, user_id=user.id,
                         detail="remember" if remember else None)  # fmt: skip
    return signed


async def refresh_session(
    services: AccessServices, source: Source, refresh_token: str, caller: Caller
) -> SignedIn:
    """Rotate (A2): the token is spent and a new one returned. A spent token presented again
    means it was stolen or replayed: the whole session ends, for the thief and the owner."""
    token_hash = services.hash("refresh", refresh_token.strip())
    user: User | None = None
    new_refresh: str | None = None
    async with services.store.begin() as conn:  # commits the revocation before we answer
        row = await store.refresh_token(conn, token_hash)
        outcome = "OK"
        if row is None:
            outcome = ErrorCode.SESSION_ENDED.value
        elif row.used or not await store.use_refresh_token(conn, token_hash):
            outcome = "REUSED"
            await store.revoke_session(conn, row.session_id)
        elif not session_is_live(row.revoked, row.expires_at):
            outcome = ErrorCode.SESSION_ENDED.value
        else:
            user = await user_by_id(conn, row.user_id)
            new_refresh = await rotate_refresh(conn, services, row.session_id)
        await store.audit(conn, "REFRESH", outcome, user_id=row.user_id if row else None, ip=caller.ip,
                          login=user.login if user else None)  # fmt: skip
    if row is None or user is None or new_refresh is None:
        raise ApiError(ErrorCode.SESSION_ENDED, field=["refreshToken"])
    await check_may_enter(services, source, user)
    token, expires_in = issue_access_token(
        services.secret, user.id, services.settings.access_token_minutes, row.session_id
    )
    return SignedIn(token, expires_in, principal_of(user, row.session_id), new_refresh)


async def sign_out(services: AccessServices, principal: Principal, caller: Caller) -> None:
    if principal.session_id:
        async with services.store.begin() as conn:
            await store.revoke_session(conn, principal.session_id)
    await services.audit("SIGN_OUT", "OK", caller, user_id=principal.user_id)


def check_new_password(services: AccessServices, new_password: str, current: str | None = None) -> None:
    minimum = services.settings.min_password_length
    if len(new_password) < minimum or new_password == current:
        raise ApiError(ErrorCode.WEAK_PASSWORD, field=["newPassword"], minimum=str(minimum))


async def _emails_refused(services: AccessServices, key: LoginKey, typed: str, caller: Caller, event: str) -> bool:
    """Past the login's or the address's email limit: audited, and the caller answered as usual."""
    blocked = await services.limiter.reserve(EMAILS, key.counter, caller.ip)
    if blocked is not None:
        await services.audit(event, ErrorCode.TOO_MANY_ATTEMPTS.value, caller, login=typed, detail=blocked.key)
    return blocked is not None


async def _email_secret(
    services: AccessServices, conn: AsyncConnection, user: User | None, purpose: str, secret: str,
    minutes: int, mail: Mail,
) -> None:  # fmt: skip
    """Store the secret's keyed hash and queue its mail, in one transaction. For no user (an
    unknown or disabled login) the same statements run and touch no row: the store does the
    same work, and the request takes the same time, for every login (issue 10 item 9)."""
    user_id = user.id if user is not None else NOBODY
    expires = store.now() + timedelta(minutes=minutes)
    await store.create_secret(conn, user_id, purpose, services.hash(purpose, secret), expires)
    await services.outbox.queue(conn, mail, user_id, expires)


def _reachable(user: User | None) -> User | None:
    """Whom a reset link or code may be sent to."""
    return user if user is not None and not user.disabled else None


async def request_password_reset(services: AccessServices, login: str, caller: Caller) -> None:
    """A3: email a single-use link. Answers the same, at once, whether the login exists or not, or
    is past its limit; the link is queued and sent by the outbox (auth/outbox.py)."""
    typed = login.strip().lower()
    key = login_key(services.settings.login_field, login)  # a placeholder tax id is refused
    if await _emails_refused(services, key, typed, caller, "RESET_REQUESTED"):
        return
    settings = services.settings
    token = new_reset_token()
    async with services.store.begin() as conn:
        user = _reachable(await find_user(conn, key))
        to, name = (user.login, user.name) if user else (typed, typed)
        portal = await portal_facts(conn, settings)  # the branding's name and URL (auth/mail.py)
        link = f"{portal['portal_url'].rstrip('/')}/reset-password?{urlencode({'token': token})}"
        mail = services.templates.render(
            "reset", caller.language, to, **portal, name=name, login=to, link=link, minutes=settings.reset_minutes,
        )  # fmt: skip
        await _email_secret(services, conn, user, RESET, token, settings.reset_minutes, mail)
        await store.audit(conn, "RESET_REQUESTED", "QUEUED" if user else "UNKNOWN_LOGIN", login=typed,
                          user_id=user.id if user else None, ip=caller.ip)  # fmt: skip
    services.outbox.wake()


async def reset_password(
    services: AccessServices, source: Source, token: str, new_password: str, caller: Caller
) -> SignedIn:
    """A3: the link's token sets a new password once, then signs in; every other session ends."""
    check_new_password(services, new_password)
    async with services.store.begin() as conn:
        row = await store.secret_by_hash(conn, RESET, services.hash(RESET, token.strip()))
        live = row is not None and not row.used and row.expires_at > store.now()
        if row is None or not live or not await store.use_secret(conn, row.id):
            outcome = "EXPIRED" if row and not row.used else ErrorCode.INVALID_RESET_LINK.value
            await store.audit(conn, "PASSWORD_RESET", outcome, user_id=row.user_id if row else None, ip=caller.ip)
            user = None
        else:
            await set_password(conn, row.user_id, new_password)
            await store.revoke_user_sessions(conn, row.user_id)
            user = await user_by_id(conn, row.user_id)
    if user is None:
        raise ApiError(ErrorCode.INVALID_RESET_LINK, field=["token"])
    # The link proved the mailbox: the login's failed sign-ins are forgotten (no address was counted).
    # The password is set by now: without Redis they stay counted until their window ends, and the
    # reset still signs in.
    try:
        await services.limiter.succeeded(SIGN_IN, LoginKey(EMAIL, user.login).counter, None)
    except StoreUnavailable as outage:
        log.warning("failed sign-ins of a reset login not forgotten: %s", outage)
    return await _enter(services, source, user, False, caller, "PASSWORD_RESET", user.login)


async def change_password(
    services: AccessServices, principal: Principal, current: str, new_password: str, caller: Caller
) -> Principal:
    """A4, A6: with the current password; the caller's other sessions end."""
    if principal.user_id is None:
        raise ApiError(ErrorCode.FORBIDDEN)
    async with services.store.connect() as conn:
        user = await user_by_id(conn, principal.user_id)
    if user is None or not await verify_password(user.password_hash, current):
        await services.audit("PASSWORD_CHANGED", ErrorCode.INVALID_CREDENTIALS.value, caller,
                             user_id=principal.user_id)  # fmt: skip
        raise ApiError(ErrorCode.INVALID_CREDENTIALS, field=["currentPassword"])
    check_new_password(services, new_password, current)
    async with services.store.begin() as conn:
        await set_password(conn, user.id, new_password)
        await store.revoke_user_sessions(conn, user.id, keep=principal.session_id)
        await store.audit(conn, "PASSWORD_CHANGED", "OK", login=user.login, user_id=user.id, ip=caller.ip)
        changed = await user_by_id(conn, user.id)
    assert changed is not None
    return principal_of(changed, principal.session_id)


async def request_sign_in_code(services: AccessServices, email: str, caller: Caller) -> None:
    """A5: email a 6-digit code valid `code_minutes`; the same answer, at once, for an unknown
    email or one past its limit (see request_password_reset)."""
    address = normalise_email(email)
    if await _emails_refused(services, LoginKey(EMAIL, address), address, caller, "CODE_REQUESTED"):
        return
    settings = services.settings
    code = new_code()
    async with services.store.begin() as conn:
        user = _reachable(await user_by_login(conn, address))
        to, name = (user.login, user.name) if user else (address, address)
        mail = services.templates.render(
            "code", caller.language, to, **await portal_facts(conn, settings),
            name=name, login=to, code=code, minutes=settings.code_minutes,
        )  # fmt: skip
        user_id = user.id if user else NOBODY
        await _email_secret(services, conn, user, CODE, f"{user_id}:{code}", settings.code_minutes, mail)
        await store.audit(conn, "CODE_REQUESTED", "QUEUED" if user else "UNKNOWN_LOGIN", login=address,
                          user_id=user.id if user else None, ip=caller.ip)  # fmt: skip
    services.outbox.wake()


async def sign_in_with_code(
    services: AccessServices, source: Source, email: str, code: str, caller: Caller
) -> SignedIn:
    """A5: the latest code of that email, unexpired, unspent; `code_attempts` wrong tries spend it."""
    address = normalise_email(email)
    key = LoginKey(EMAIL, address)
    await _limited(services, key, address, caller, "CODE_SIGN_IN")
    async with services.store.begin() as conn:
        user = await user_by_login(conn, address)
        row = await store.latest_secret(conn, user.id, CODE) if user else None
        ok = False
        if user is not None and row is not None and not row.used and row.expires_at > store.now():
            expected = services.hash(CODE, f"{user.id}:{code.strip()}")
            if hmac.compare_digest(expected, row.secret_hash):
                ok = await store.use_secret(conn, row.id)
            else:
                await store.count_failure(conn, row.id, services.settings.code_attempts)
        if not ok:
            await store.audit(conn, "CODE_SIGN_IN", ErrorCode.INVALID_CODE.value, login=address,
                              user_id=user.id if user else None, ip=caller.ip)  # fmt: skip
    if not ok or user is None:
        _failed("CODE_SIGN_IN", "unknown_login" if user is None else "bad_code")
        raise ApiError(ErrorCode.INVALID_CODE, field=["code"])
    await services.limiter.succeeded(SIGN_IN, key.counter, caller.ip)
    return await _enter(services, source, user, False, caller, "CODE_SIGN_IN", address)
