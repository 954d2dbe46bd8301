"""The business's side (FEATURES.md A7, A9, A12): grant and revoke portal access, reset, staff users."""

from __future__ import annotations

from dataclasses import dataclass

from ..connectors.base import Source
from ..errors import ApiError, ErrorCode, not_found
from ..store import access as store
from ..store.users import (
    add_identifiers,
    create_user,
    link_account,
    remove_identifiers,
    set_disabled,
    set_password,
    unlink_account,
    user_by_id,
    user_by_login,
)
from .logins import identifiers_of, normalise_email
from .mail import portal_facts
from .onetime import generate_password
from .principals import StaffRole
from .services import AccessServices, Caller


@dataclass(frozen=True, slots=True)
class Granted:
    user_id: int
    login: str
    created: bool
    temporary_password: str | None  # for the business to hand over; None when the user kept theirs
    message_id: str | None  # of the access email queued (auth/outbox.py), None when none was asked for

    @property
    def emailed(self) -> bool:
        return self.message_id is not None


async def _primary_email(source: Source, customer_id: str) -> str | None:
    emails = (await source.emails_of([customer_id]))[0]
    ordered = sorted(emails, key=lambda e: not e.primary)
    return ordered[0].address if ordered else None


async def grant_access(
    services: AccessServices, source: Source, customer_id: str, login: str | None,
    send_email: bool, actor: str, caller: Caller,
) -> Granted:  # fmt: skip
    """Give a customer account a portal user: an existing login gains the account (A10), a new one
    gets a generated temporary password it must change on first access (A4, A8)."""
    customer = (await source.customers_by_id([customer_id]))[0]
    if customer is None:
        raise not_found("Customer")
    address = normalise_email(login) if login else await _primary_email(source, customer_id)
    if not address or "@" not in address:
        raise ApiError(ErrorCode.BAD_INPUT, field=["login"], detail="login (email)")
    identifiers = identifiers_of(customer.tax_id.number if customer.tax_id else None, customer.code)
    password: str | None = None
    message_id: str | None = None
    async with services.store.begin() as conn:
        user = await user_by_login(conn, address)
        if user is not None and user.kind != "CUSTOMER":
            raise ApiError(ErrorCode.BAD_INPUT, field=["login"], detail="login (staff)")
        if user is None:
            password = generate_password()
            user_id = await create_user(conn, login=address, name=customer.name, password=password,
                                        kind="CUSTOMER", customer_ids=[customer_id], must_change_password=True)  # fmt: skip
        else:
            user_id = user.id
            await link_account(conn, user_id, customer_id)
            if user.disabled:  # access had been revoked: back with a fresh temporary password
                password = generate_password()
                await set_password(conn, user_id, password, must_change=True)
                await set_disabled(conn, user_id, False)
        await add_identifiers(conn, user_id, identifiers)
        if send_email:  # queued with the user it tells of: both or neither
            settings = services.settings
            mail = services.templates.render(
                "access", caller.language, address, **await portal_facts(conn, settings),
                name=customer.name, login=address, password=password if settings.send_password_by_email else None,
            )  # fmt: skip
            message_id = await services.outbox.queue(conn, mail, user_id)
        await store.audit(conn, "ACCESS_GRANTED", "OK", login=address, user_id=user_id, actor=actor,
                          ip=caller.ip, detail=f"customer {customer_id}" + (", email queued" if send_email else ""))  # fmt: skip
    services.outbox.wake()
    return Granted(user_id, address, user is None, password, message_id)


async def revoke_access(
    services: AccessServices, source: Source, customer_id: str, actor: str, caller: Caller
) -> int:
    """Unlink the account from every user; a user left without accounts is disabled and its
    sessions end. Takes effect on the next request of any open session. Users affected."""
    customer = (await source.customers_by_id([customer_id]))[0]
    lent = identifiers_of(customer.tax_id.number if customer and customer.tax_id else None,
                          customer.code if customer else None)  # fmt: skip
    async with services.store.begin() as conn:
        holders = await unlink_account(conn, customer_id)
        for user_id in holders:
            await remove_identifiers(conn, user_id, list(lent.values()))
            user = await user_by_id(conn, user_id)
            if user is not None and not user.customer_ids:
                await set_disabled(conn, user_id, True)
                await store.revoke_user_sessions(conn, user_id)
            await store.audit(conn, "ACCESS_REVOKED", "OK", login=user.login if user else None, user_id=user_id,
                              actor=actor, ip=caller.ip, detail=f"customer {customer_id}")  # fmt: skip
    if not holders and customer is None:
        raise not_found("Customer")
    return len(holders)


async def reset_to_temporary(services: AccessServices, login: str, actor: str) -> str:
    """A new generated temporary password (the business's "Restablecer contraseña"); sessions end."""
    async with services.store.begin() as conn:
        user = await user_by_login(conn, login)
        if user is None:
            raise not_found("object")
        password = generate_password()
        await set_password(conn, user.id, password, must_change=True)
        await store.revoke_user_sessions(conn, user.id)
        await store.audit(conn, "PASSWORD_RESET", "OK", login=user.login, user_id=user.id, actor=actor,
                          detail="temporary password")  # fmt: skip
    return password


async def add_staff(services: AccessServices, login: str, name: str, role: str, actor: str) -> str:
    """A staff user (A12) with a generated temporary password, returned once."""
    if role not in {r.value for r in StaffRole}:
        raise ApiError(ErrorCode.BAD_INPUT, field=["role"], detail="role (analyst, agent, admin)")
    password = generate_password()
    async with services.store.begin() as conn:
        if await user_by_login(conn, login) is not None:
            raise ApiError(ErrorCode.BAD_INPUT, field=["login"], detail="login (exists)")
        user_id = await create_user(conn, login=login, name=name, password=password, kind="STAFF", role=role,
                                    must_change_password=True)  # fmt: skip
        await store.audit(conn, "STAFF_ADDED", "OK", login=normalise_email(login), user_id=user_id, actor=actor,
                          detail=role)  # fmt: skip
    return password


async def disable_user(services: AccessServices, login: str, actor: str) -> None:
    async with services.store.begin() as conn:
        user = await user_by_login(conn, login)
        if user is None:
            raise not_found("object")
        await set_disabled(conn, user.id, True)
        await store.revoke_user_sessions(conn, user.id)
        await store.audit(conn, "USER_DISABLED", "OK", login=user.login, user_id=user.id, actor=actor)
