"""The payment method mutations (FEATURES.md B12): setDefaultPaymentMethod, removePaymentMethod.

Who may call each is the field's (schema/root.py); the method's owner, the switch and the rule
for removing the default method are resolvers/payment_methods.py's.
"""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from ..connectors import records
from ..errors import ApiError
from ..resolvers import payment_methods as write
from .access import user_error
from .billing import PaymentMethod, payment_method_type
from .errors import UserError
from .relay import from_global_id, to_global_id

# What a change reads of the method (the event's facts), whatever the payload selects of it.
CHANGING = ("kind", "label", "is_default", "customer_id")
_KEY = "A key of the caller's choice: sending the same request again with it answers the first answer (24 h)."


@strawberry.input(description="The saved payment method to use by default (for automatic debits).")
class SetDefaultPaymentMethodInput:
    payment_method_id: strawberry.ID = strawberry.field(description="Global id of one of the caller's methods.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="The saved payment method to remove.")
class RemovePaymentMethodInput:
    payment_method_id: strawberry.ID = strawberry.field(
        description="Global id of one of the caller's methods. If it is the default one, the most recently added "
        "other method becomes the default; the last one may be removed too."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.type(description="Result of setDefaultPaymentMethod.")
class SetDefaultPaymentMethodPayload:
    payment_method: PaymentMethod | None = strawberry.field(
        description="The method, now the default one.", metadata={"reads": CHANGING}
    )
    payment_methods: list[PaymentMethod] | None = strawberry.field(
        description="The customer's methods now, the default one first; null when nothing changed."
    )
    errors: list[UserError] = strawberry.field(description="Why nothing changed; empty on success.")
    record: strawberry.Private[records.PaymentMethod] = None  # type: ignore[assignment]


@strawberry.type(description="Result of removePaymentMethod.")
class RemovePaymentMethodPayload:
    removed_payment_method_id: strawberry.ID | None = strawberry.field(description="Global id of the removed method.")
    payment_methods: list[PaymentMethod] | None = strawberry.field(
        description="The customer's methods left, the default one first; null when nothing changed.",
        metadata={"reads": CHANGING},
    )
    errors: list[UserError] = strawberry.field(description="Why nothing changed; empty on success.")
    record: strawberry.Private[records.PaymentMethod] = None  # type: ignore[assignment]


async def set_default_payment_method(
    info: Info, input: Annotated[SetDefaultPaymentMethodInput, strawberry.argument(description="The method.")]
) -> SetDefaultPaymentMethodPayload:
    ctx = info.context
    try:
        _, method_id = from_global_id(input.payment_method_id, "PaymentMethod")
        changed = await write.set_default_payment_method(ctx, method_id, input.idempotency_key)
    except ApiError as error:
        return SetDefaultPaymentMethodPayload(payment_method=None, payment_methods=None,
                                              errors=[user_error(error, ctx.language)])  # fmt: skip
    return SetDefaultPaymentMethodPayload(
        payment_method=None if changed.method is None else payment_method_type(changed.method),
        payment_methods=[payment_method_type(m) for m in changed.methods], errors=[],
    )  # fmt: skip


async def remove_payment_method(
    info: Info, input: Annotated[RemovePaymentMethodInput, strawberry.argument(description="The method.")]
) -> RemovePaymentMethodPayload:
    ctx = info.context
    try:
        _, method_id = from_global_id(input.payment_method_id, "PaymentMethod")
        changed = await write.remove_payment_method(ctx, method_id, input.idempotency_key)
    except ApiError as error:
        return RemovePaymentMethodPayload(removed_payment_method_id=None, payment_methods=None,
                                          errors=[user_error(error, ctx.language)])  # fmt: skip
    removed = None if changed.removed_id is None else to_global_id("PaymentMethod", changed.removed_id)
    return RemovePaymentMethodPayload(removed_payment_method_id=removed,
                                      payment_methods=[payment_method_type(m) for m in changed.methods], errors=[])  # fmt: skip
