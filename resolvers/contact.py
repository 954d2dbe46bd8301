"""updateContactInfo (FEATURES.md E1-E2): a customer's e-mails and phones, the business's kept as they are.

The e-mails and phones a read shows are the source's (what the business registered: read-only,
`editable: false`) followed by those added in the portal (`portal_contacts` in the store, for any
source: `editable: true`). updateContactInfo takes the whole list of each kind the customer wants:

- every entry must be valid (rules/contact.py: e-mails by syntax, phones in E.164 with the
  business's country as default region), else BAD_INPUT naming it (`field: ["input","emails",2]`);
- a list that leaves out one of the business's entries is READ_ONLY_FIELD naming it: they are
  never changed or removed from the portal;
- the portal's entries become exactly the rest: new ones appended, ones left out removed (to
  edit one, send the list with it changed). A kind not sent (null) is left as it is.

Event ContactInfoUpdated. An added e-mail is a contact address, never a sign-in login.

A new sign-in e-mail (E1). A customer user's login (`users.login`) is an e-mail that signs in:
with the password where `[portal] login_field` is EMAIL, and everywhere for sign-in codes and
password-reset links. So it never changes on the customer's word alone: `signInEmail` (only a
customer user, for themself) checks the address, stores a one-time token's keyed hash (it expires
after `[access] reset_minutes`, as a reset link does) and queues, through the mail outbox, a link
to the NEW address: `<portal URL>/confirm-email?token=...`. The portal opens it and calls
`confirmEmail(token)` signed in as that same user (a leaked link alone changes nothing); only
then does the login change, once (a second use, an expired, replaced or unknown token is
INVALID_CONFIRMATION_LINK), the former address gets a notice (template email_changed), and the
event SignInEmailChanged tells the business. Asking again replaces the earlier link.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from aiodataloader import DataLoader
from sqlalchemy.ext.asyncio import AsyncConnection

from ..auth.mail import portal_facts
from ..auth.onetime import new_reset_token
from ..auth.ownership import acting_account, authorize
from ..auth.principals import PrincipalKind
from ..connectors.records import Customer
from ..errors import ApiError, ErrorCode, not_found
from ..rules.contact import MAX_ENTRIES, missing_fixed, normal_email, normal_phone, same_phone
from ..store import contacts as store_contacts
from ..store.access import now
from ..store.contacts import added_contacts, replace_contacts
from ..store.events import DomainEvent
from ..store.users import user_by_id
from .actions import Action, Done, audited, perform
from .context import Context

EMAIL, PHONE = "EMAIL", "PHONE"
CONFIRM = "EMAIL_CONFIRM"  # the purpose the confirmation token is hashed under


@dataclass(frozen=True, slots=True)
class Entry:
    """One e-mail or phone as the API shows it."""

    value: str  # the address, or the number
    kind: str | None  # phones: MOBILE, LANDLINE
    primary: bool
    editable: bool  # added in the portal; False for what the business registered


_LOADERS: weakref.WeakKeyDictionary[Any, DataLoader] = weakref.WeakKeyDictionary()


def _added_loader(ctx: Context) -> DataLoader:
    loader = _LOADERS.get(ctx.loaders)
    if loader is None:
        store = ctx.services.store

        async def batch(ids: Sequence[str]) -> list[list[Any]]:
            rows = await store.read(lambda conn: added_contacts(conn, ids))
            return [[r for r in rows if r.customer_id == i] for i in ids]

        loader = _LOADERS[ctx.loaders] = DataLoader(batch_load_fn=batch, max_batch_size=500)
    return loader


async def emails(ctx: Context, customer: Customer, registered: Sequence[Any]) -> list[Entry]:
    """The source's e-mails (`registered`), then the portal's."""
    added = await _added_loader(ctx).load(customer.id)
    return [Entry(e.address, None, e.primary, False) for e in registered] + [
        Entry(r.value, None, False, True) for r in added if r.kind == EMAIL
    ]


async def phones(ctx: Context, customer: Customer, registered: Sequence[Any]) -> list[Entry]:
    """The source's phones (`registered`), then the portal's (E.164)."""
    added = await _added_loader(ctx).load(customer.id)
    return [Entry(p.number, p.kind, p.primary, False) for p in registered] + [
        Entry(r.value, r.phone_kind, False, True) for r in added if r.kind == PHONE
    ]


@audited("updateContactInfo")
async def update_contact_info(
    ctx: Context, customer_id: str | None, wanted_emails: Sequence[str] | None,
    wanted_phones: Sequence[str] | None, idempotency_key: str | None, sign_in_email: str | None = None,
) -> Customer:  # fmt: skip
    """E1-E2 (see the module's text); the customer, whose reads show the new lists."""
    account = acting_account(ctx.principal, customer_id)
    new_login = None if sign_in_email is None else _sign_in_email(ctx, sign_in_email)
    (customer,) = await ctx.loaders.source.customers_by_id([account])
    if customer is None:
        raise not_found("Customer")
    authorize(ctx.principal, customer)
    region = ctx.settings.country
    changes: dict[str, list[tuple[str, str | None]]] = {}
    if wanted_emails is not None:
        (registered,) = await ctx.loaders.source.emails_of([account])
        fixed = {e.address.strip().lower(): e.address for e in registered}
        kept: list[str] = []
        added: list[tuple[str, str | None]] = []
        for i, text in enumerate(wanted_emails):
            if text.strip().lower() in fixed:  # the business's own, as registered: not checked again
                kept.append(fixed[text.strip().lower()])
            else:
                added.append((normal_email(text, ["input", "emails", str(i)]), None))
        _refuse_missing(missing_fixed(kept, list(fixed.values())), "emails")
        changes[EMAIL] = [(v, k) for v, k in _distinct(added) if v.lower() not in fixed]
    if wanted_phones is not None:
        (registered_phones,) = await ctx.loaders.source.phones_of([account])
        as_written = {p.number.strip(): p.number for p in registered_phones}
        as_e164 = {same_phone(p.number, region): p.number for p in registered_phones}
        kept, added = [], []
        for i, text in enumerate(wanted_phones):
            own = as_written.get(text.strip()) or as_e164.get(same_phone(text, region))
            if own is not None:
                kept.append(own)
            else:
                added.append(normal_phone(text, region, ["input", "phones", str(i)]))
        _refuse_missing(missing_fixed(kept, [p.number for p in registered_phones]), "phones")
        changes[PHONE] = [(v, k) for v, k in _distinct(added) if v not in as_e164]
    for kind, entries in changes.items():
        if len(entries) > MAX_ENTRIES:
            raise ApiError(ErrorCode.LIMIT_REACHED, field=["input", "emails" if kind == EMAIL else "phones"],
                           detail=f"hasta {MAX_ENTRIES} agregados", detail_en=f"at most {MAX_ENTRIES} added")  # fmt: skip

    async def work(conn: AsyncConnection) -> Done:
        added: dict[str, list[str]] = {}
        removed: dict[str, list[str]] = {}
        moment = datetime.now(UTC)
        for kind, entries in changes.items():
            added[kind.lower()], removed[kind.lower()] = await replace_contacts(conn, account, kind, entries, moment)
        told: list[DomainEvent] = []
        if changes or new_login is None:
            told.append(DomainEvent("ContactInfoUpdated", account, {"customerId": account, "added": added,
                                                                    "removed": removed}))  # fmt: skip
        if new_login is not None:
            await _ask_confirmation(ctx, conn, account, customer.name, new_login)
        return Done({"id": account}, told, account)

    request = {"customerId": account, **{kind: [v for v, _ in e] for kind, e in changes.items()}}
    if new_login is not None:
        request["signInEmail"] = new_login
    await perform(ctx, Action("updateContactInfo", account, request, idempotency_key), work)
    if new_login is not None:
        ctx.services.access.outbox.wake()
    _added_loader(ctx).clear(account)
    return customer


def _sign_in_email(ctx: Context, text: str) -> str:
    """The new sign-in address, checked: only a customer user changes their own."""
    principal = ctx.principal
    if principal.kind is not PrincipalKind.CUSTOMER or principal.user_id is None:
        raise ApiError(ErrorCode.FORBIDDEN, field=["input", "signInEmail"])
    return normal_email(text, ["input", "signInEmail"]).lower()


async def _ask_confirmation(ctx: Context, conn: AsyncConnection, account: str, name: str, address: str) -> None:
    """Store the link's token (hashed) and queue its mail to `address`, in the action's transaction."""
    user_id = ctx.principal.user_id
    assert user_id is not None
    user = await user_by_id(conn, user_id)
    if user is not None and user.login == address:
        raise ApiError(ErrorCode.BAD_INPUT, field=["input", "signInEmail"], detail="ya es tu correo de ingreso",
                       detail_en="it is your sign-in e-mail already")  # fmt: skip
    if await store_contacts.login_taken(conn, address, user_id):
        raise ApiError(ErrorCode.BAD_INPUT, field=["input", "signInEmail"], detail="otro usuario ingresa con ese correo",
                       detail_en="another user signs in with that e-mail")  # fmt: skip
    access, settings = ctx.services.access, ctx.settings
    token = new_reset_token()
    expires = now() + timedelta(minutes=settings.reset_minutes)
    await store_contacts.ask_confirmation(conn, user_id=user_id, customer_id=account, new_email=address,
                                          token_hash=access.hash(CONFIRM, token), expires_at=expires)  # fmt: skip
    portal = await portal_facts(conn, settings)
    link = f"{portal['portal_url'].rstrip('/')}/confirm-email?{urlencode({'token': token})}"
    mail = access.templates.render("confirm_email", ctx.language, address, **portal, name=name, login=address,
                                   link=link, minutes=settings.reset_minutes)  # fmt: skip
    await access.outbox.queue(conn, mail, user_id, expires)


@audited("confirmEmail")
async def confirm_email(ctx: Context, token: str) -> str:
    """E1: the emailed link's token makes its address the caller's login (see the module's text);
    the new login."""
    user_id = ctx.principal.user_id
    if ctx.principal.kind is not PrincipalKind.CUSTOMER or user_id is None:
        raise ApiError(ErrorCode.FORBIDDEN)
    access = ctx.services.access
    token_hash = access.hash(CONFIRM, (token or "").strip())
    refused = ApiError(ErrorCode.INVALID_CONFIRMATION_LINK, field=["input", "token"])

    async def work(conn: AsyncConnection) -> Done:
        found = await store_contacts.confirmation_by_hash(conn, token_hash)
        if found is None or found.user_id != user_id or found.used or found.expires_at <= now():
            raise refused
        if not await store_contacts.use_confirmation(conn, found.id):  # another request used it first
            raise refused
        if await store_contacts.login_taken(conn, found.new_email, user_id):
            raise ApiError(ErrorCode.BAD_INPUT, field=["input", "token"], detail="otro usuario ingresa con ese correo",
                           detail_en="another user signs in with that e-mail")  # fmt: skip
        user = await user_by_id(conn, user_id)
        assert user is not None
        await store_contacts.change_login(conn, user_id, found.new_email)
        portal = await portal_facts(conn, ctx.settings)
        notice = access.templates.render("email_changed", ctx.language, user.login, **portal, name=user.name,
                                         login=found.new_email)  # fmt: skip
        await access.outbox.queue(conn, notice, user_id)
        event = DomainEvent("SignInEmailChanged", found.customer_id,
                            {"customerId": found.customer_id, "email": found.new_email})  # fmt: skip
        return Done({"id": str(user_id), "login": found.new_email}, [event], f"User:{user_id}")

    answer = await perform(ctx, Action("confirmEmail", None, {"token": token_hash}), work)
    access.outbox.wake()
    return str(answer["login"])


def _distinct(entries: list[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
    seen: set[str] = set()
    kept = []
    for value, kind in entries:
        if value.lower() not in seen:
            seen.add(value.lower())
            kept.append((value, kind))
    return kept


def _refuse_missing(missing: list[str], field: str) -> None:
    if missing:
        raise ApiError(ErrorCode.READ_ONLY_FIELD, field=["input", field], detail=", ".join(missing))
