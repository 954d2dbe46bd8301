"""setDefaultPaymentMethod and removePaymentMethod (FEATURES.md B12): the caller's saved methods.

Only the caller's own method (another customer's answers NOT_FOUND like a missing one). Methods
are Ventanilla's own (`payment_methods` is the store's domain: native tables, also for the
customers of a legacy ERP, by canonical id); a configuration that routes them to a legacy source
answers BAD_INPUT (no mapping writes them there). Removing the default method makes the most
recently added other one the default (connectors/native/payment_methods.py); removing the last
one is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from ..auth.ownership import authorize
from ..connectors.native import payment_methods as native
from ..connectors.records import PaymentMethod
from ..connectors.routing import RoutedSource
from ..errors import ApiError, ErrorCode, not_found
from ..settings import Feature
from ..store.events import DomainEvent
from .actions import Action, Done, perform
from .context import Context


@dataclass(frozen=True, slots=True)
class Changed:
    """What a payment method mutation did: the method (None when removed), the customer's methods now."""

    method: PaymentMethod | None
    methods: list[PaymentMethod]
    removed_id: str | None = None


async def set_default_payment_method(ctx: Context, method_id: str, idempotency_key: str | None) -> Changed:
    method = await _method(ctx, method_id)
    _writable(ctx)

    async def work(conn: AsyncConnection) -> Done:
        if not await native.set_default(conn, method.customer_id, method.id):
            raise not_found("PaymentMethod")
        event = DomainEvent("PaymentMethodDefaultSet", method.customer_id, {"paymentMethodId": method.id,
                            "kind": method.kind, "label": method.label})  # fmt: skip
        return Done({"id": method.id, "customerId": method.customer_id}, [event], method.id)

    action = Action("setDefaultPaymentMethod", method.customer_id, {"paymentMethodId": method.id}, idempotency_key,
                    Feature.PAYMENT_METHODS)  # fmt: skip
    await perform(ctx, action, work)
    methods = await _methods(ctx, method.customer_id)
    return Changed(next((m for m in methods if m.id == method.id), None), methods)


async def remove_payment_method(ctx: Context, method_id: str, idempotency_key: str | None) -> Changed:
    method = await _method(ctx, method_id)
    _writable(ctx)

    async def work(conn: AsyncConnection) -> Done:
        removed, successor = await native.remove(conn, method.customer_id, method.id)
        if not removed:
            raise not_found("PaymentMethod")
        event = DomainEvent("PaymentMethodRemoved", method.customer_id, {"paymentMethodId": method.id,
                            "kind": method.kind, "label": method.label, "wasDefault": method.is_default,
                            "newDefaultId": successor})  # fmt: skip
        return Done({"id": method.id, "customerId": method.customer_id, "newDefaultId": successor}, [event], method.id)

    action = Action("removePaymentMethod", method.customer_id, {"paymentMethodId": method.id}, idempotency_key,
                    Feature.PAYMENT_METHODS)  # fmt: skip
    await perform(ctx, action, work)
    return Changed(None, await _methods(ctx, method.customer_id), removed_id=method.id)


def _writable(ctx: Context) -> None:
    source = ctx.services.source
    if isinstance(source, RoutedSource) and not source.takes_natively("payment_methods"):
        raise ApiError(ErrorCode.BAD_INPUT, field=["input", "paymentMethodId"],
                       detail="los medios de pago se administran en el sistema de gestión / payment methods are "
                       "managed in the business's ERP")  # fmt: skip


async def _method(ctx: Context, method_id: str) -> PaymentMethod:
    method = await ctx.loaders.payment_method_by_id.load(method_id)
    if method is None:
        raise not_found("PaymentMethod")
    return authorize(ctx.principal, method, "PaymentMethod")


async def _methods(ctx: Context, customer_id: str) -> list[PaymentMethod]:
    ctx.loaders.payment_methods_by_customer.clear(customer_id)
    return await ctx.loaders.payment_methods_by_customer.load(customer_id)
