"""What a portal shows before sign-in: branding, login field, enabled features (F1-F4)."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from ..resolvers import branding as resolve
from ..rules.branding import Branding
from ..settings import Feature as Switch
from ..settings import Settings
from .enums import LoginField

if TYPE_CHECKING:
    from .payments import PaymentProvider


@strawberry.enum(description="Optional portal features the business can switch off (FEATURES.md F1).")
class Feature(Enum):
    CURRENT_ACCOUNT = strawberry.enum_value("CURRENT_ACCOUNT", description="Current account list (B6).")
    STATEMENT = strawberry.enum_value("STATEMENT", description="Account statement at a cut-off (B7).")
    INVOICE_DOWNLOAD = strawberry.enum_value("INVOICE_DOWNLOAD", description="Invoice PDF download (B4).")
    ONLINE_PAYMENT = strawberry.enum_value("ONLINE_PAYMENT", description="Pay online (B9).")
    PAYMENT_RECEIPTS = strawberry.enum_value("PAYMENT_RECEIPTS", description="Upload payment receipts (B10).")
    PAYMENT_COMMITMENTS = strawberry.enum_value(
        "PAYMENT_COMMITMENTS", description="Payment commitments (B11)."
    )
    PAYMENT_METHODS = strawberry.enum_value("PAYMENT_METHODS", description="Saved payment methods (B12).")
    BILLING_DATA_UPDATE = strawberry.enum_value(
        "BILLING_DATA_UPDATE", description="Customers update their billing data (B13)."
    )
    TICKETS = strawberry.enum_value("TICKETS", description="See support tickets (C1).")
    TICKET_CREATION = strawberry.enum_value("TICKET_CREATION", description="Create tickets (C2).")
    TICKET_REPLIES = strawberry.enum_value(
        "TICKET_REPLIES", description="Customers reply to and close their tickets (C3, C4)."
    )
    CONTRACTS = strawberry.enum_value("CONTRACTS", description="See contracts (D1).")
    CONTRACT_SIGNING = strawberry.enum_value("CONTRACT_SIGNING", description="Sign contracts (D2).")
    PLANS = strawberry.enum_value("PLANS", description="My plans and the plan catalogue (D3).")
    PLAN_REQUESTS = strawberry.enum_value("PLAN_REQUESTS", description="Request a plan or a change (D4).")
    QUOTES = strawberry.enum_value("QUOTES", description="Quotes (D5).")
    ORDERS = strawberry.enum_value("ORDERS", description="Orders (D6).")
    DELIVERY_NOTES = strawberry.enum_value("DELIVERY_NOTES", description="Delivery notes (D7).")
    DOCUMENTS = strawberry.enum_value("DOCUMENTS", description="Shared documents (D8).")
    COMMENTS = strawberry.enum_value("COMMENTS", description="Comments on documents (D9).")
    SIGN_IN_CODES = strawberry.enum_value("SIGN_IN_CODES", description="Passwordless sign-in codes (A5).")


@strawberry.type(description="The label of one payment provider's button (F2).")
class PaymentButtonLabel:
    provider: str = strawberry.field(description="The provider's name, as the business configured it (mercadopago).")
    label: str = strawberry.field(description='What its button says, e.g. "Pagar con Mercado Pago".')


@strawberry.type(
    description="Public facts of the portal: branding, how to sign in, what is enabled. The branding is an "
    "admin's (updatePortalBranding) over the configuration's `[portal]`, in force on every instance at once."
)
class PortalInfo:
    name: str = strawberry.field(description="Name of the portal or the business.")
    logo_url: str | None = strawberry.field(
        description="URL of the logo: the uploaded one (public, on this API), else the configured one."
    )
    primary_color: str = strawberry.field(description='Main colour, "#rrggbb", e.g. "#1f6feb".')
    portal_url: str = strawberry.field(description="The portal's address handed to customers (F3); e-mails link to it.")
    login_field: LoginField = strawberry.field(description="What customers type as their user name.")
    login_hint: str | None = strawberry.field(description="Hint under the user field, e.g. DNI, CUIT o CUIL.")
    password_hint: str | None = strawberry.field(description="Hint under the password field.")
    payment_buttons_title: str | None = strawberry.field(description='Title beside the payment buttons, e.g. "Pagá con:".')
    payment_button_labels: list[PaymentButtonLabel] = strawberry.field(
        description="Custom labels of payment buttons, by provider name; a provider not listed shows its own name."
    )

    @strawberry.field(
        description="The optional features that are switched on: an admin's switch (setFeature) over the "
        "configuration's `[portal] features`, in force on every instance at once. Read from the store: null, "
        "with a STORE_UNAVAILABLE error, while it does not answer."
    )
    async def features(self, info: Info) -> list[Feature] | None:
        return features_list(await info.context.features())

    languages: list[str] = strawberry.field(description="Languages of messages and emails, e.g. es, en.")

    @strawberry.field(
        description="The online payment providers to show buttons for, in the configuration's order (B9); "
        "empty when none is configured or ONLINE_PAYMENT is off; null, with STORE_UNAVAILABLE, while the "
        "store (which keeps the switches) does not answer."
    )
    async def payment_providers(
        self, info: Info
    ) -> list[Annotated[PaymentProvider, strawberry.lazy("ventanilla.schema.payments")]] | None:
        from .payments import payment_providers  # schema/payments reaches resolvers, which read settings

        if Switch.ONLINE_PAYMENT not in await info.context.features():
            return []
        return payment_providers(info)


def features_list(on: frozenset[Switch]) -> list[Feature]:
    """The schema's list of the features `on`, in the enum's order."""
    return [Feature(f.value) for f in Switch if f in on]


def portal_info(settings: Settings, branding: Branding, logo_url: str | None) -> PortalInfo:
    """The portal's facts: the `branding` in force (rules/branding.py), the rest of `settings`."""
    return PortalInfo(
        name=branding.name,
        logo_url=logo_url,
        primary_color=branding.primary_color,
        portal_url=branding.portal_url,
        login_field=LoginField(settings.login_field.value),
        login_hint=branding.login_hint,
        password_hint=branding.password_hint,
        payment_buttons_title=branding.payment_buttons_title,
        payment_button_labels=[PaymentButtonLabel(provider=p, label=label)
                               for p, label in sorted(branding.payment_button_labels.items())],  # fmt: skip
        languages=list(settings.languages),
    )


async def portal_of(info: Info) -> PortalInfo:
    """`portal`: the branding in force for this request, with the logo's URL."""
    ctx = info.context
    branding = await ctx.branding()
    return portal_info(ctx.settings, branding, resolve.logo_url(ctx, branding))
