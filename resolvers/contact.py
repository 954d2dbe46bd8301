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

Event ContactInfoUpdated. No confirmation link is sent to a new e-mail (not built yet): an added
e-mail is a contact address, never a sign-in login.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiodataloader import DataLoader
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..auth.ownership import acting_account, authorize
from ..connectors.records import Customer
from ..errors import ApiError, ErrorCode, not_found
from ..rules.contact import MAX_ENTRIES, missing_fixed, normal_email, normal_phone, same_phone
from ..store.events import DomainEvent
from ..store.tables import portal_contacts
from .actions import Action, Done, perform
from .context import Context

EMAIL, PHONE = "EMAIL", "PHONE"


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
            async def read(conn: AsyncConnection) -> list[Any]:
                statement = select(portal_contacts).where(portal_contacts.c.customer_id.in_(list(ids)))
                return list(await conn.execute(statement.order_by(portal_contacts.c.id)))

            rows = await store.read(read)
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


async def update_contact_info(
    ctx: Context, customer_id: str | None, wanted_emails: Sequence[str] | None,
    wanted_phones: Sequence[str] | None, idempotency_key: str | None,
) -> Customer:  # fmt: skip
    """E1-E2 (see the module's text); the customer, whose reads show the new lists."""
    account = acting_account(ctx.principal, customer_id)
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
            rows = (await conn.execute(select(portal_contacts).where(
                portal_contacts.c.customer_id == account, portal_contacts.c.kind == kind))).all()  # fmt: skip
            have = {r.value for r in rows}
            want = {v for v, _ in entries}
            gone = sorted(have - want)
            if gone:
                await conn.execute(delete(portal_contacts).where(
                    portal_contacts.c.customer_id == account, portal_contacts.c.kind == kind,
                    portal_contacts.c.value.in_(gone)))  # fmt: skip
            new = [(v, k) for v, k in entries if v not in have]
            for value, phone_kind in new:
                await conn.execute(insert(portal_contacts).values(
                    customer_id=account, kind=kind, value=value, phone_kind=phone_kind, created_at=moment))  # fmt: skip
            added[kind.lower()], removed[kind.lower()] = [v for v, _ in new], gone
        event = DomainEvent("ContactInfoUpdated", account, {"customerId": account, "added": added, "removed": removed})
        return Done({"id": account}, [event], account)

    request = {"customerId": account, **{kind: [v for v, _ in e] for kind, e in changes.items()}}
    await perform(ctx, Action("updateContactInfo", account, request, idempotency_key), work)
    _added_loader(ctx).clear(account)
    return customer


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
