"""updateBillingInfo and decideBillingInfoChange (FEATURES.md B13): billing data changes and their state.

Who may call each is the field's (schema/root.py: customers and partners with billing:write ask;
agents and admins decide); the rest is resolvers/billing_data.py's, answered as `errors`.
"""

from __future__ import annotations

import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from ..errors import ApiError
from ..resolvers import billing_data as write
from .errors import UserError
from .relay import from_global_id


@strawberry.enum(description="Where a billing data change stands.")
class BillingInfoChangeState(Enum):
    APPLIED = strawberry.enum_value("APPLIED", description="In force: the business's system was told.")
    PENDING_REVIEW = strawberry.enum_value("PENDING_REVIEW", description="Waiting for the business's staff.")
    REJECTED = strawberry.enum_value("REJECTED", description="Refused by staff; `reason` says why.")


@strawberry.type(description="A change of billing data a customer asked for (FEATURES.md B13).")
class BillingInfoChange:
    id: strawberry.ID = strawberry.field(description="The change's id (decideBillingInfoChange takes it).")
    name: str | None = strawberry.field(description="The new billing name; null: unchanged.")
    tax_id: str | None = strawberry.field(description="The new tax id, compact (digits and letters); null: unchanged.")
    tax_id_kind: str | None = strawberry.field(description="CUIT, DNI, NIF, NIE, CIF, RFC or NIT.")
    tax_condition: str | None = strawberry.field(description="The new VAT condition; null: unchanged.")
    address: str | None = strawberry.field(description="The new billing address; null: unchanged.")
    state: BillingInfoChangeState = strawberry.field(description="Applied, pending review or rejected.")
    reason: str | None = strawberry.field(description="Why staff rejected it.")
    requested_at: datetime.datetime = strawberry.field(description="When it was asked for.")
    decided_at: datetime.datetime | None = strawberry.field(description="When it was applied or rejected.")


def change_type(r: write.BillingChange) -> BillingInfoChange:
    return BillingInfoChange(
        id=strawberry.ID(r.id), name=r.name, tax_id=r.tax_id, tax_id_kind=r.tax_kind, tax_condition=r.tax_condition,
        address=r.address, state=BillingInfoChangeState(r.state), reason=r.reason, requested_at=r.requested_at,
        decided_at=r.decided_at,
    )  # fmt: skip


@strawberry.input(description="New billing data: only what is given changes.")
class UpdateBillingInfoInput:
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Global id of the account; default: the caller's default account."
    )
    name: str | None = strawberry.field(default=None, description="Billing name (razón social).")
    tax_id: str | None = strawberry.field(
        default=None, description="Tax id of the business's country, checked with its check digits "
        "(AR: CUIT/CUIL/DNI, ES: NIF/NIE/CIF, MX: RFC, CO: NIT); placeholders are refused.",
    )  # fmt: skip
    tax_condition: str | None = strawberry.field(default=None, description="VAT condition, e.g. Monotributo.")
    address: str | None = strawberry.field(default=None, description="Billing address, one line.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="A key of the caller's choice: a repeated request with it answers the first answer."
    )


@strawberry.input(description="A staff decision on a billing data change waiting for review.")
class DecideBillingInfoChangeInput:
    change_id: strawberry.ID = strawberry.field(description="The change's id.")
    approve: bool = strawberry.field(description="True applies it; false rejects it (with a reason).")
    reason: str | None = strawberry.field(default=None, description="Why it is rejected (required then).")
    idempotency_key: str | None = strawberry.field(
        default=None, description="A key of the caller's choice: a repeated request with it answers the first answer."
    )


@strawberry.type(description="Result of updateBillingInfo.")
class UpdateBillingInfoPayload:
    change: BillingInfoChange | None = strawberry.field(description="The change and its state; null when refused.")
    errors: list[UserError] = strawberry.field(description="Why nothing was asked; empty on success.")


@strawberry.type(description="Result of decideBillingInfoChange.")
class DecideBillingInfoChangePayload:
    change: BillingInfoChange | None = strawberry.field(description="The change, now applied or rejected.")
    errors: list[UserError] = strawberry.field(description="Why it was not decided; empty on success.")


async def update_billing_info(
    info: Info, input: Annotated[UpdateBillingInfoInput, strawberry.argument(description="The new data.")]
) -> UpdateBillingInfoPayload:
    from .access import user_error  # schema/access.py imports Customer, which shows these changes

    ctx = info.context
    try:
        customer_id = None if input.customer_id is None else from_global_id(input.customer_id, "Customer")[1]
        found = await write.update_billing_info(ctx, customer_id, input.name, input.tax_id, input.tax_condition,
                                                input.address, input.idempotency_key)  # fmt: skip
    except ApiError as error:
        return UpdateBillingInfoPayload(change=None, errors=[user_error(error, ctx.language)])
    return UpdateBillingInfoPayload(change=change_type(found), errors=[])


async def decide_billing_info_change(
    info: Info, input: Annotated[DecideBillingInfoChangeInput, strawberry.argument(description="The decision.")]
) -> DecideBillingInfoChangePayload:
    from .access import user_error  # schema/access.py imports Customer, which shows these changes

    ctx = info.context
    try:
        found = await write.decide_billing_info_change(ctx, str(input.change_id), input.approve, input.reason,
                                                       input.idempotency_key)  # fmt: skip
    except ApiError as error:
        return DecideBillingInfoChangePayload(change=None, errors=[user_error(error, ctx.language)])
    return DecideBillingInfoChangePayload(change=change_type(found), errors=[])
