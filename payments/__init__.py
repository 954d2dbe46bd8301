"""Online payments through the business's payment providers (FEATURES.md B9, README "Payments").

`base.py` is what a provider is to the gateway; one module per provider kind (`mercadopago.py`,
`stripe_checkout.py`, `redsys.py`) speaks that provider's documented HTTP API; `standin.py` is a
local stand-in of the three that the tests and `ventanilla demo` run on 127.0.0.1. Nothing here
knows GraphQL or the store: the resolvers (resolvers/payments.py) and the notification endpoint
(web/payments.py) record what a provider confirms, once (store/payments.py).
"""
