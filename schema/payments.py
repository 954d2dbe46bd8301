"""Online payments in GraphQL (FEATURES.md B8, B9): startPayment, Customer.paymentAttempts,
PortalInfo.paymentProviders. The rules are resolvers/payments.py's and rules/payments.py's."""

from __future__ import annotations

import datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from ..connectors import records
from ..errors import ApiError
from ..payments.base import Provider
from ..resolvers import payments as resolve
from ..settings import PaymentOption as Option
from ..store import payments as store
from .common import Money, money
from .errors import UserError
from .relay import from_global_id, to_global_id


@strawberry.enum(description="What a customer may choose to pay online (B9).")
class PaymentOption(Enum):
    DEBT_BALANCE = strawberry.enum_value(
        "DEBT_BALANCE", description="What is owed and overdue (Customer.account)."
    )
    LAST_INVOICE = strawberry.enum_value(
        "LAST_INVOICE", description="The balance of the newest unpaid invoice."
    )
    TOTAL = strawberry.enum_value("TOTAL", description="Everything owed, due or not.")
    INVOICES = strawberry.enum_value(
        "INVOICES", description="The balances of the invoices chosen (invoiceIds)."
    )
    CUSTOM_AMOUNT = strawberry.enum_value(
        "CUSTOM_AMOUNT", description="An amount typed in (amount), within the business's bounds."
    )


@strawberry.enum(description="Where a payment attempt stands.")
class PaymentAttemptStatus(Enum):
    PENDING = strawberry.enum_value("PENDING", description="Started; the provider has not confirmed it yet.")
    APPROVED = strawberry.enum_value(
        "APPROVED", description="Paid: recorded on the account (or told to the ERP)."
    )
    REJECTED = strawberry.enum_value("REJECTED", description="Refused by the provider or the bank.")
    EXPIRED = strawberry.enum_value(
        "EXPIRED", description="Ended unpaid (given up, or nothing at the provider)."
    )


@strawberry.type(description="One online payment a customer started, and how it ended (B8).")
class PaymentAttempt:
    id: strawberry.ID = strawberry.field(description="Global id of the attempt.")
    reference: str = strawberry.field(description="The reference the provider shows (12 characters).")
    status: PaymentAttemptStatus = strawberry.field(description="Pending, approved, rejected or expired.")
    amount: Money = strawberry.field(description="The amount to pay, in the invoices' currency.")
    provider: str = strawberry.field(
        description="The provider's configured name, as startPayment's `provider`."
    )
    option: PaymentOption = strawberry.field(description="What the customer chose to pay.")
    created_at: datetime.datetime = strawberry.field(description="When it was started.")
    updated_at: datetime.datetime = strawberry.field(description="When it last changed.")
    settled_at: datetime.datetime | None = strawberry.field(
        description="When it was approved, rejected or expired."
    )
    record: strawberry.Private[store.PaymentAttempt]

    @strawberry.field(description="Global ids of the invoices it pays; empty: the oldest unpaid first.")
    def invoice_ids(self) -> list[strawberry.ID]:
        return [strawberry.ID(to_global_id("Invoice", i)) for i in self.record.invoice_ids]


def attempt_type(a: store.PaymentAttempt) -> PaymentAttempt:
    return PaymentAttempt(
        id=strawberry.ID(to_global_id("PaymentAttempt", a.id)), reference=a.reference,
        status=PaymentAttemptStatus(a.status.value), amount=money(a.amount, a.currency), provider=a.provider,
        option=PaymentOption(a.option), created_at=a.created_at, updated_at=a.updated_at, settled_at=a.settled_at,
        record=a,
    )  # fmt: skip


@strawberry.type(description="A payment provider the portal shows a button for (B9).")
class PaymentProvider:
    name: str = strawberry.field(description="Its configured name: pass it as startPayment's `provider`.")
    display_name: str = strawberry.field(description='The button\'s text, e.g. "Mercado Pago".')
    options: list[PaymentOption] = strawberry.field(description="What it may be used to pay.")
    currencies: list[str] = strawberry.field(description="ISO 4217 currencies it takes; empty: any.")


def provider_type(p: Provider) -> PaymentProvider:
    return PaymentProvider(
        name=p.name, display_name=p.display_name, options=[PaymentOption(o.value) for o in Option if o in p.options],
        currencies=sorted(p.currencies),
    )  # fmt: skip


def payment_providers(info: Info) -> list[PaymentProvider]:
    """PortalInfo.paymentProviders (anyone may read it: the portal's buttons before sign-in)."""
    return [provider_type(p) for p in resolve.providers_shown(info.context)]


async def customer_payment_attempts(info: Info, customer: records.Customer) -> list[PaymentAttempt]:
    return [attempt_type(a) for a in await resolve.attempts_of(info.context, customer)]


@strawberry.input(
    description="An online payment to start: what to pay, through which provider, where to come back."
)
class StartPaymentInput:
    customer_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Global id of the account; default: the caller's own (partners must name one).",
    )
    option: PaymentOption = strawberry.field(description="What to pay.")
    invoice_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="With INVOICES: global ids of the account's unpaid invoices to pay."
    )
    amount: Decimal | None = strawberry.field(
        default=None,
        description='With CUSTOM_AMOUNT: the amount, e.g. "1500.00", within the business\'s bounds.',
    )
    provider: str = strawberry.field(description="The provider's name (PortalInfo.paymentProviders).")
    return_url: str | None = strawberry.field(
        default=None,
        description="Where the provider sends the customer back: under the portal URL or a registered partner "
        "origin; default: the portal URL. `payment` and `result` (success, failure) are added to it.",
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="A key of the caller's choosing: a repeated request with it answers the first answer.",
    )


@strawberry.type(description="The answer to startPayment.")
class StartPaymentPayload:
    redirect_url: str | None = strawberry.field(
        description="Send the customer here to pay; null when refused."
    )
    attempt: PaymentAttempt | None = strawberry.field(
        description="The attempt started (PENDING); null when refused."
    )
    errors: list[UserError] = strawberry.field(
        description="Why it was refused: FEATURE_DISABLED, PAYMENT_PROVIDER_UNKNOWN, PAYMENT_OPTION_UNAVAILABLE, "
        "PAYMENT_AMOUNT_INVALID, NOTHING_TO_PAY, PAYMENT_CURRENCY_MISMATCH, INVOICE_ALREADY_PAID, NOT_FOUND, "
        "RETURN_URL_NOT_ALLOWED, PAYMENT_PROVIDER_UNAVAILABLE (retryable), BAD_INPUT, IDEMPOTENCY_KEY_REUSED; "
        "empty when started."
    )


async def start_payment(
    info: Info, input: Annotated[StartPaymentInput, strawberry.argument(description="What to pay, and how.")]
) -> StartPaymentPayload:
    from .access import user_error  # schema/access imports schema/customer, which imports this module

    ctx = info.context
    try:
        customer_id = None if input.customer_id is None else from_global_id(input.customer_id, "Customer")[1]
        invoice_ids = [from_global_id(i, "Invoice")[1] for i in input.invoice_ids or ()]
        started = await resolve.start_payment(
            ctx, customer_id, Option(input.option.value), invoice_ids, input.amount, input.provider,
            input.return_url, input.idempotency_key,
        )  # fmt: skip
    except ApiError as error:
        return StartPaymentPayload(redirect_url=None, attempt=None, errors=[user_error(error, ctx.language)])
    return StartPaymentPayload(
        redirect_url=started.redirect_url, attempt=attempt_type(started.attempt), errors=[]
    )
