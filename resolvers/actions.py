"""Every portal action goes through `perform`: its switch, its idempotency key, the write, its events, the audit.

A resolver of an action authorizes (the field's permission, the guard on the account or object),
checks its input, keeps its files, and hands `perform` the work: a function of the store's
transaction that writes (in the store's own tables, or in the legacy system the mapping says
takes the write) and returns what it did (`Done`). `perform` then, in that one transaction:

1. takes the idempotency key, if the caller gave one: a repeated key answers the first answer
   again and does nothing more; the same key with another input is IDEMPOTENCY_KEY_REUSED;
2. runs the work;
3. records the work's domain events in the outbox (store/events.py), owed to every sink;
4. keeps the answer under the key, and audits the action.

An action whose work needs a call that must not hold the store (a payment provider's checkout,
which may take seconds) gives `perform` a `prepare` step too: it runs first, outside the
transaction, once the switch is on and a key given is known not to be taken (a repeat answers
the first answer without preparing again); the work then only writes what `prepare` got.

A refusal (an ApiError of the work or before it) changes nothing, and is audited with its code
in a transaction of its own; if that audit fails (the store went down meanwhile) the caller still
gets the refusal, and the log says the audit was lost. The switch is read from the store once per
request (`Context.features`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from ..errors import ApiError, ErrorCode
from ..rules.features import require_feature
from ..settings import Feature
from ..store import idempotency
from ..store.access import audit
from ..store.events import DomainEvent, record_event
from .access import caller
from .context import Context

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])

MAX_KEY_LENGTH = 200
log = logging.getLogger("ventanilla.actions")


@dataclass(frozen=True, slots=True)
class Done:
    """What an action did: its answer (JSON-able ids and values the payload is built from; replayed
    for a repeated key), its events, and the object it acted on (for the audit)."""

    answer: dict[str, Any]
    events: Sequence[DomainEvent] = ()
    object_id: str | None = None


Work = Callable[[AsyncConnection], Awaitable[Done]]
Prepare = Callable[[], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Action:
    """One call of a portal action, as the audit and the idempotency key know it."""

    mutation: str  # the mutation's name: createTicket
    customer_id: str | None  # on whose behalf (canonical id), when known
    request: Mapping[str, Any]  # its input as JSON-able values (files by SHA-256), without the key
    idempotency_key: str | None = None
    feature: Feature | None = None
    detail: str | None = None  # a short fact for the audit row (never a secret), e.g. "on"

    @property
    def event(self) -> str:
        """The audit log's name of it: createTicket -> CREATE_TICKET."""
        return re.sub(r"(?<!^)(?=[A-Z])", "_", self.mutation).upper()


def request_hash(request: Mapping[str, Any]) -> str:
    """SHA-256 of the input, the same for the same values in any order."""
    canonical = json.dumps(request, sort_keys=True, default=str, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def perform(ctx: Context, action: Action, work: Work, prepare: Prepare | None = None) -> dict[str, Any]:
    """Run `work` as `action`, after `prepare` (see the module's text); its answer, or the first one
    for a repeated key."""
    try:
        if action.feature is not None:
            await require_feature(ctx, action.feature)
        key = action.idempotency_key
        if key is not None and not 0 < len(key) <= MAX_KEY_LENGTH:
            raise ApiError(ErrorCode.BAD_INPUT, field=["input", "idempotencyKey"],
                           detail=f"idempotencyKey (1..{MAX_KEY_LENGTH} characters)")  # fmt: skip
        digest = request_hash(action.request)
        if prepare is not None:
            first = None if key is None else await _earlier(ctx, action)
            if first is not None:
                return await _repeated(ctx, action, first, digest)
            await prepare()
        for _ in range(3):  # a first request that rolled back, or a key past its 24 h, frees it: take it then
            try:
                return await _run(ctx, action, digest, work)
            except idempotency.KeyTaken:
                first = await _earlier(ctx, action)
                if first is None:
                    await _free(ctx, action)
                    continue
                return await _repeated(ctx, action, first, digest)
        raise ApiError(ErrorCode.IDEMPOTENCY_KEY_REUSED, field=["input", "idempotencyKey"])
    except ApiError as refusal:
        if refusal.code is not ErrorCode.STORE_UNAVAILABLE:  # the store down cannot keep its own audit
            await _audit_refusal(ctx, action, refusal)
        refusal.audited = True
        raise


def audited(mutation: str) -> Callable[[F], F]:
    """An action's resolver whose checks before `perform` (its input, its account, its object, its
    files) are audited too: a refusal there lands in the audit log like one of `perform`'s, once."""

    def decorate(resolver: F) -> F:
        @functools.wraps(resolver)
        async def checked(ctx: Context, *args: Any, **kwargs: Any) -> Any:
            try:
                return await resolver(ctx, *args, **kwargs)
            except ApiError as refusal:
                if not refusal.audited and refusal.code is not ErrorCode.STORE_UNAVAILABLE:
                    await _audit_refusal(ctx, Action(mutation, None, {}), refusal)
                raise

        return checked  # type: ignore[return-value]

    return decorate


async def _run(ctx: Context, action: Action, digest: str, work: Work) -> dict[str, Any]:
    actor = ctx.principal.actor
    refusal: ApiError | None = None
    try:
        async with ctx.services.store.begin() as conn:
            try:
                claimed = None
                if action.idempotency_key is not None:
                    claimed = await idempotency.claim(conn, actor, action.mutation, action.idempotency_key, digest)
                done = await work(conn)
                for event in done.events:
                    await record_event(conn, replace(event, actor=event.actor or actor), ctx.services.event_sinks)
                if claimed is not None:
                    await idempotency.settle(conn, claimed, done.answer)
                await audit(conn, action.event, "OK", **_who(ctx, action, done.object_id))
            except ApiError as error:
                refusal = error
                raise
    except Exception:
        if refusal is None:
            raise
        # The rollback failed as well (the store went down meanwhile): nothing was committed, and
        # the caller is answered the refusal, not the outage that followed it.
        raise refusal from None
    if done.events:
        ctx.services.wake_relay()  # committed: the relay delivers them at once (events/relay.py)
    return done.answer


async def _repeated(ctx: Context, action: Action, first: idempotency.Earlier, digest: str) -> dict[str, Any]:
    """The first answer to a repeated key, if it came with the same input."""
    if first.request_hash != digest:
        raise ApiError(ErrorCode.IDEMPOTENCY_KEY_REUSED, field=["input", "idempotencyKey"])
    await _audit(ctx, action, "REPEATED", first.answer.get("id"))
    return first.answer


async def _earlier(ctx: Context, action: Action) -> idempotency.Earlier | None:
    assert action.idempotency_key is not None
    async with ctx.services.store.connect() as conn:
        return await idempotency.earlier(conn, ctx.principal.actor, action.mutation, action.idempotency_key)


async def _free(ctx: Context, action: Action) -> None:
    assert action.idempotency_key is not None
    async with ctx.services.store.begin() as conn:
        await idempotency.free(conn, ctx.principal.actor, action.mutation, action.idempotency_key)


async def _audit_refusal(ctx: Context, action: Action, refusal: ApiError) -> None:
    """Audit a refusal; if the store fails meanwhile, the caller still gets the refusal, not that."""
    try:
        await _audit(ctx, action, refusal.code.value, None)
    except Exception:
        log.exception("could not audit %s refused with %s", action.event, refusal.code.value)


async def _audit(ctx: Context, action: Action, outcome: str, object_id: str | None) -> None:
    """An outcome other than the work's own (a refusal, a repeat), in its own transaction."""
    async with ctx.services.store.begin() as conn:
        await audit(conn, action.event, outcome, **_who(ctx, action, object_id))


def _who(ctx: Context, action: Action, object_id: str | None) -> dict[str, Any]:
    principal = ctx.principal
    return {
        "login": principal.name if principal.kind.value == "CUSTOMER" else None,
        "user_id": principal.user_id,
        "actor": principal.actor,
        "ip": caller(ctx).ip,
        "customer_id": action.customer_id,
        "object_id": object_id,
        "detail": action.detail,
    }
