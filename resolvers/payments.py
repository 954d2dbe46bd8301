"""Online payments (FEATURES.md B8, B9; docs/payments.md): startPayment, recording what providers
confirm (once), the reads around them.

- `start_payment`: through `perform` (switch ONLINE_PAYMENT, idempotency key, audit). The amount is
  rules/payments.py's from the figures the API shows; the provider is asked for its checkout in
  the action's `prepare` step, before the attempt is written and outside the store's
  transaction (a provider may take longer than the store's timeout, and holds no store
  connection meanwhile): a provider that fails raises the retryable PAYMENT_PROVIDER_UNAVAILABLE
  and no attempt is written. A repeated idempotency key answers the first attempt without asking
  the provider again; two requests with the same key at the very same moment may each make a
  checkout, and only the first is recorded and shown (the other is never paid: nobody is sent
  to it). A PaymentStarted event tells the business.
- `record`: what a verified notification (web/payments.py) or `ventanilla payments reconcile`
  says about an attempt. The confirmation's row is taken once per provider payment
  (store/payments.py); the one call that makes it APPROVED posts the payment: on the native store
  into the customer's account, allocated to the attempt's invoices, else oldest first; over a
  legacy ERP nothing is written there and the PaymentConfirmed event tells the ERP to post it.
  An unknown attempt, or an amount or currency that does not match it, changes nothing and is
  audited (PAYMENT_NOTIFICATION with its reason).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncConnection

from ..auth.ownership import acting_account, authorize, may_see
from ..connectors.native import payments as native_payments
from ..connectors.records import Customer, InvoiceFilter, Page
from ..connectors.routing import STORE
from ..errors import ApiError, ErrorCode
from ..payments.base import (
    Checkout,
    CheckoutRequest,
    Confirmation,
    Outcome,
    Provider,
    Providers,
    ProviderUnavailable,
)
from ..rules.billing import allocate, oldest_first
from ..rules.payments import (
    Charge,
    PaymentLimits,
    charge,
    check_provider_takes,
    new_reference,
    return_url_allowed,
)
from ..settings import Feature, PaymentOption
from ..store import payments as store
from ..store.access import audit, now
from ..store.events import DomainEvent, record_event
from ..store.partners import allowed_origins
from ..store.payments import AttemptStatus, NewAttempt, PaymentAttempt
from .actions import Action, Done, audited, perform
from .context import Context, Services

log = logging.getLogger("ventanilla.payments")
NOTIFICATION_EVENT = "PAYMENT_NOTIFICATION"  # the audit's name of what providers said


def limits(ctx: Context) -> PaymentLimits:
    s = ctx.settings
    return PaymentLimits(s.payments_min_amount, s.payments_max_amount, s.payments_allow_overpay)


def base_url(services: Services, request_base: str | None) -> str:
    """Where providers and customers reach this API: [api] public_url, else the request's origin."""
    configured = services.settings.public_url
    if configured:
        return configured.rstrip("/")
    return (request_base or "").rstrip("/")


def notification_url(base: str, provider: str) -> str:
    return f"{base}/payments/{provider}/notifications"


def form_signature(secret: str, attempt_id: str, reference: str) -> str:
    """What the auto-submitting form page of an attempt (web/payments.py) is signed with."""
    return hmac.new(
        secret.encode(), f"payment-form:{attempt_id}:{reference}".encode(), hashlib.sha256
    ).hexdigest()


def form_url(services: Services, base: str, attempt_id: str, reference: str) -> str:
    return f"{base}/payments/checkout/{attempt_id}?" + urlencode(
        {"sig": form_signature(services.secret, attempt_id, reference)}
    )


def _with_result(url: str, reference: str, result: str) -> str:
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}" + urlencode({"payment": reference, "result": result})


async def free_reference(conn: AsyncConnection) -> str:
    """A new attempt's reference that no attempt has yet."""
    reference = new_reference()
    while await store.reference_taken(conn, reference):
        reference = new_reference()
    return reference


@dataclass(frozen=True, slots=True)
class Started:
    attempt: PaymentAttempt
    redirect_url: str


def billing_is_native(services: Services) -> bool:
    """Invoices are the store's own tables (no `[routes] invoices` to a legacy source)."""
    routes = getattr(services.source, "routes", None)
    return routes is None or routes.get("invoices", STORE) == STORE


@audited("startPayment")
async def start_payment(
    ctx: Context,
    customer_id: str | None,
    option: PaymentOption,
    invoice_ids: Sequence[str] | None,
    amount: Any,
    provider_name: str,
    return_url: str | None,
    idempotency_key: str | None,
) -> Started:
    """Start paying through `provider_name`; the attempt and where to send the customer."""
    try:
        account = acting_account(ctx.principal, customer_id)
        refused: ApiError | None = None
    except ApiError as refusal:  # refused in the work, so that perform audits it like every refusal
        account, refused = customer_id or "", refusal
    named = list(dict.fromkeys(invoice_ids or ()))
    action = Action(
        mutation="startPayment",
        customer_id=account or None,
        request={
            "customerId": account,
            "option": option.value,
            "invoiceIds": named,
            "amount": str(amount),
            "provider": provider_name,
            "returnUrl": return_url,
        },  # fmt: skip
        idempotency_key=idempotency_key,
        feature=Feature.ONLINE_PAYMENT,
    )
    providers: Providers = ctx.services.payment_providers
    base = base_url(ctx.services, str(ctx.request.base_url) if ctx.request is not None else None)

    started: list[tuple[Provider, CheckoutRequest, Checkout, Charge]] = []  # what prepare got

    async def prepare() -> None:  # outside the store's transaction: the provider may take seconds
        if refused is not None:
            raise refused
        provider = providers.get(provider_name)
        if provider is None:
            raise ApiError(ErrorCode.PAYMENT_PROVIDER_UNKNOWN, field=["input", "provider"])
        back = return_url or ctx.settings.portal_url
        if return_url is not None and not return_url_allowed(
            return_url, ctx.settings.portal_url, await ctx.services.store.read(allowed_origins)
        ):
            raise ApiError(ErrorCode.RETURN_URL_NOT_ALLOWED, field=["input", "returnUrl"])
        if option is not PaymentOption.INVOICES and named:
            raise ApiError(
                ErrorCode.BAD_INPUT, field=["input", "invoiceIds"], detail="invoiceIds (only with INVOICES)"
            )
        if option is not PaymentOption.CUSTOM_AMOUNT and amount is not None:
            raise ApiError(
                ErrorCode.BAD_INPUT, field=["input", "amount"], detail="amount (only with CUSTOM_AMOUNT)"
            )
        if option not in provider.options:
            raise ApiError(
                ErrorCode.PAYMENT_OPTION_UNAVAILABLE, field=["input", "option"], option=option.value
            )
        totals = await ctx.loaders.account_by_customer.load(account)
        owed: list = []
        if option is PaymentOption.LAST_INVOICE:
            page = await ctx.loaders.invoices_by_customer.load(
                (account, InvoiceFilter(unpaid_only=True), Page(first=50))
            )
            owed = list(page.items)
        chosen = []
        if option is PaymentOption.INVOICES:
            found = await ctx.loaders.invoice_by_id.load_many(named)
            chosen = [i if i is not None and i.customer_id == account else None for i in found]
        due = charge(option, totals, owed, chosen, amount, limits(ctx))
        check_provider_takes(option, provider.options, provider.currencies, due.currency)
        reference = await ctx.services.store.read(free_reference)
        request = CheckoutRequest(
            reference=reference, amount=due.amount, currency=due.currency, description=due.description,
            notification_url=notification_url(base, provider.name),
            success_url=_with_result(back, reference, "success"), failure_url=_with_result(back, reference, "failure"),
            customer_email=None,
        )  # fmt: skip
        try:
            checkout = await provider.start(request)
        except ProviderUnavailable as failure:
            log.warning("payment provider %s did not start a checkout: %s", provider.name, failure)
            raise ApiError(ErrorCode.PAYMENT_PROVIDER_UNAVAILABLE, field=["input", "provider"]) from None
        started.append((provider, request, checkout, due))

    async def work(conn: AsyncConnection) -> Done:
        ((provider, request, checkout, due),) = started
        reference = request.reference
        new = NewAttempt(
            reference=reference, customer_id=account, provider=provider.name, option=option.value, amount=due.amount,
            currency=due.currency, invoice_ids=due.invoice_ids, provider_reference=checkout.provider_reference,
            redirect_url=checkout.redirect_url, form=checkout.form, return_url=return_url,
        )  # fmt: skip
        attempt_id = await store.insert_attempt(conn, new)
        redirect = (
            checkout.redirect_url
            if checkout.form is None
            else form_url(ctx.services, base, attempt_id, reference)
        )
        event = DomainEvent("PaymentStarted", account, {
            "attemptId": attempt_id, "reference": reference, "provider": provider.name, "option": option.value,
            "amount": str(due.amount), "currency": due.currency, "invoiceIds": list(due.invoice_ids),
        })  # fmt: skip
        return Done(
            {"id": attempt_id, "redirectUrl": redirect}, [event], object_id=f"PaymentAttempt:{attempt_id}"
        )

    answer = await perform(ctx, action, work, prepare)
    attempt = await ctx.services.store.read(lambda conn: store.attempt_by_id(conn, answer["id"]))
    assert attempt is not None
    return Started(attempt, answer["redirectUrl"])


# --- what providers confirm ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Recorded:
    """What one confirmation did: its outcome in the audit's words, and the payment it posted."""

    reference: str
    outcome: str  # POSTED, CONFIRMED_FOR_ERP, REJECTED, REPEATED, PENDING, UNKNOWN_ATTEMPT, MISMATCH
    payment_id: str | None = None


async def record(services: Services, provider: Provider, confirmation: Confirmation, via: str) -> Recorded:
    """Record what `provider` verifiably said about one of its payments (see the module's text);
    `via` is "notification" or "reconcile" (the audit's detail)."""
    actor = f"provider:{provider.name}"
    posted: Recorded | None = None
    wake = False
    async with services.store.begin() as conn:
        attempt = await store.attempt_by_reference(conn, confirmation.reference, lock=True)

        async def noted(
            outcome: str, detail: str, customer: str | None = None, object_id: str | None = None
        ) -> Recorded:
            await audit(conn, NOTIFICATION_EVENT, outcome, actor=actor, customer_id=customer, object_id=object_id,
                        detail=f"{via}: {detail}"[:200])  # fmt: skip
            return Recorded(confirmation.reference, outcome)

        if attempt is None or attempt.provider != provider.name:
            log.warning("%s confirmed payment %s for unknown reference %r: nothing recorded", provider.name,
                        confirmation.provider_payment_id, confirmation.reference)  # fmt: skip
            return await noted("UNKNOWN_ATTEMPT", f"reference {confirmation.reference[:20]!r}")
        object_id = f"PaymentAttempt:{attempt.id}"
        if confirmation.amount != attempt.amount or confirmation.currency.upper() != attempt.currency:
            log.warning("%s confirmed %s %s for attempt %s of %s %s: nothing recorded", provider.name,
                        confirmation.amount, confirmation.currency, attempt.reference, attempt.amount,
                        attempt.currency)  # fmt: skip
            return await noted("MISMATCH", f"{confirmation.amount} {confirmation.currency} for {attempt.amount} "
                               f"{attempt.currency}", attempt.customer_id, object_id)  # fmt: skip
        if confirmation.outcome is Outcome.PENDING:
            return await noted(
                "PENDING", confirmation.provider_status or "pending", attempt.customer_id, object_id
            )
        taken = await store.take_confirmation(
            conn, provider=provider.name, provider_payment_id=confirmation.provider_payment_id,
            attempt_id=attempt.id, outcome=confirmation.outcome.value, amount=confirmation.amount,
            currency=attempt.currency, provider_status=confirmation.provider_status,
        )  # fmt: skip
        if not taken.approved_now:
            if confirmation.outcome is Outcome.APPROVED or attempt.status is AttemptStatus.APPROVED:
                return await noted("REPEATED", confirmation.outcome.value, attempt.customer_id, object_id)
            status = (
                AttemptStatus.EXPIRED if confirmation.outcome is Outcome.EXPIRED else AttemptStatus.REJECTED
            )
            changed = await store.settle_attempt(conn, attempt.id, status)
            return await noted(status.value if changed else "REPEATED", confirmation.provider_status or status.value,
                               attempt.customer_id, object_id)  # fmt: skip
        await store.settle_attempt(conn, attempt.id, AttemptStatus.APPROVED)
        payment_id = None
        settled: list = []
        left = attempt.amount
        native = billing_is_native(services)
        if native:
            owed = await native_payments.owed_documents(
                conn, attempt.customer_id, list(attempt.invoice_ids) or None
            )
            if attempt.invoice_ids:
                order = {invoice: index for index, invoice in enumerate(attempt.invoice_ids)}
                owed.sort(key=lambda d: order.get(d.id, len(order)))
            else:
                owed = oldest_first(owed)
            settled, left = allocate(attempt.amount, owed)
            paid_on = (confirmation.occurred_at or now()).astimezone(services.zone).date()
            display = getattr(provider, "display_name", provider.name)
            payment_id = await native_payments.record_payment(
                conn, customer_id=attempt.customer_id, amount=attempt.amount, currency=attempt.currency,
                paid_on=paid_on, method=display[:40], reference=attempt.reference, settles=settled,
            )  # fmt: skip
            await store.set_confirmation_payment(conn, taken.confirmation_id, payment_id)
        event = DomainEvent("PaymentConfirmed", attempt.customer_id, {
            "attemptId": attempt.id, "reference": attempt.reference, "provider": provider.name,
            "providerPaymentId": confirmation.provider_payment_id, "amount": str(attempt.amount),
            "currency": attempt.currency, "invoiceIds": list(attempt.invoice_ids), "paymentId": payment_id,
            "recordedBy": "gateway" if native else "erp",
            "allocations": [{"invoiceId": a.document_id, "amount": str(a.amount)} for a in settled],
            "unallocated": str(left) if native else None,
        }, actor=actor)  # fmt: skip
        await record_event(conn, event, services.event_sinks)
        wake = True
        outcome = "POSTED" if native else "CONFIRMED_FOR_ERP"
        await audit(conn, NOTIFICATION_EVENT, outcome, actor=actor, customer_id=attempt.customer_id,
                    object_id=object_id, detail=f"{via}: {confirmation.provider_payment_id}"[:200])  # fmt: skip
        posted = Recorded(attempt.reference, outcome, payment_id)
    if wake:
        services.wake_relay()
    assert posted is not None
    return posted


async def refused_notification(services: Services, provider_name: str, reason: str) -> None:
    """A notification that did not verify (bad signature ...): audited; nothing else changes."""
    try:
        async with services.store.begin() as conn:
            await audit(conn, NOTIFICATION_EVENT, "INVALID", actor=f"provider:{provider_name}",
                        detail=f"notification: {reason}"[:200])  # fmt: skip
    except Exception:
        log.exception("could not audit a refused notification of %s", provider_name)


# --- reconcile (`ventanilla payments reconcile`) ----------------------------------------------------


@dataclass
class Reconciled:
    asked: int = 0
    recorded: list[Recorded] | None = None
    expired: int = 0
    unavailable: int = 0


async def reconcile(services: Services, minutes: int, at: datetime | None = None) -> Reconciled:
    """Ask the providers about attempts pending for more than `minutes`; record what they confirm,
    through the same once-only path as a notification; expire those past `[payments]
    attempt_minutes` the provider knows nothing of."""
    at = at or now()
    result = Reconciled(recorded=[])
    pending = await services.store.read(
        lambda conn: store.pending_since(conn, at - timedelta(minutes=minutes))
    )
    expiry = timedelta(minutes=services.settings.payments_attempt_minutes)
    for attempt in pending:
        provider = services.payment_providers.get(attempt.provider)
        found = None
        if provider is not None and provider.can_look_up:
            result.asked += 1
            try:
                found = await provider.look_up(attempt.reference, attempt.provider_reference)
            except ProviderUnavailable as failure:
                log.warning(
                    "reconcile: %s did not answer about %s: %s", attempt.provider, attempt.reference, failure
                )
                result.unavailable += 1
                continue
        if found is not None and found.outcome is not Outcome.PENDING:
            assert result.recorded is not None and provider is not None
            result.recorded.append(await record(services, provider, found, "reconcile"))
            continue
        if found is None and attempt.created_at + expiry < at:
            async with services.store.begin() as conn:
                if await store.settle_attempt(conn, attempt.id, AttemptStatus.EXPIRED):
                    result.expired += 1
                    await audit(conn, NOTIFICATION_EVENT, "EXPIRED", actor="cli", customer_id=attempt.customer_id,
                                object_id=f"PaymentAttempt:{attempt.id}", detail="reconcile: nothing at the provider")  # fmt: skip
    return result


# --- reads ---------------------------------------------------------------------------------------


async def attempts_of(ctx: Context, customer: Customer) -> list[PaymentAttempt]:
    """The customer's payment attempts, newest first (the caller's own account only)."""
    authorize(ctx.principal, customer)
    found = await ctx.services.store.read(lambda conn: store.attempts_of(conn, [customer.id]))
    return [a for a in found[0] if may_see(ctx.principal, a)]


def providers_shown(ctx: Context) -> list[Provider]:
    """The configured providers, in the configuration's order (the portal's buttons)."""
    return list(ctx.services.payment_providers.by_name.values())
