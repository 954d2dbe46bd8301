"""Online payments through the business's payment providers (FEATURES.md B9, README "Payments").

`base.py` is what a provider is to the gateway; one module per provider kind (`mercadopago.py`,
`stripe_checkout.py`, `redsys.py`) speaks that provider's documented HTTP API; `standin.py` is a
local stand-in of the three that the tests and `ventanilla demo` run on 127.0.0.1. Nothing here
knows GraphQL or the store: the resolvers (resolvers/payments.py) and the notification endpoint
(web/payments.py) record what a provider confirms, once (store/payments.py).
"""

from __future__ import annotations

from ..settings import MercadoPagoProvider, RedsysProvider, Settings, StripeProvider, secret_value
from .base import Provider, Providers

__all__ = ["build_providers"]


def _secret(name: str, config: MercadoPagoProvider | StripeProvider | RedsysProvider, key: str) -> str:
    value = secret_value(config, key)
    if value:
        return value
    variable = getattr(config, f"{key}_env", None)
    where = f"the environment variable {variable} ({key}_env)" if variable else f"`{key}` or `{key}_env`"
    raise ValueError(f"[payments.providers.{name}] needs its {key}: set {where}")


def build_providers(settings: Settings) -> Providers:
    """One adapter per [payments.providers.<name>], by its kind. A missing secret is a ValueError
    that names the setting (never a value)."""
    by_name: dict[str, Provider] = {}
    for name, config in settings.payment_providers.items():
        by_name[name] = _build(name, config)
    return Providers(by_name=by_name)


def _build(name: str, config: MercadoPagoProvider | StripeProvider | RedsysProvider) -> Provider:
    if isinstance(config, MercadoPagoProvider):
        from .mercadopago import MercadoPago

        return MercadoPago(
            name,
            config,
            access_token=_secret(name, config, "access_token"),
            webhook_secret=_secret(name, config, "webhook_secret"),
        )
    if isinstance(config, StripeProvider):
        from .stripe_checkout import StripeCheckout

        return StripeCheckout(
            name,
            config,
            api_key=_secret(name, config, "api_key"),
            webhook_secret=_secret(name, config, "webhook_secret"),
        )
    from .redsys import Redsys

    secret_key = _secret(name, config, "secret_key")
    try:
        return Redsys(name, config, secret_key=secret_key)
    except ValueError as error:
        raise ValueError(f"[payments.providers.{name}] {error}") from None
