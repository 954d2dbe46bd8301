"""The online payments' HTTP doors (docs/payments.md): provider notifications, the form checkout page.

- `POST /payments/{provider}/notifications`: the provider's verify (signature, and the follow-up
  fetch where its documentation says so) then `resolvers.payments.record` for each confirmation,
  once. A notification that does not verify changes nothing, is answered as the provider expects
  (`InvalidNotification.reply`), logged without secrets and audited. One for an unknown attempt,
  or whose amount or currency does not match the attempt, is acknowledged with the provider's
  usual answer (so it does not retry forever), changes nothing, and is audited. The provider's API
  failing during verify answers 503, so the provider sends it again.
- `GET /payments/checkout/{attempt}?sig=`: for a provider whose checkout is a signed form posted
  to its gateway (Redsys), the page startPayment's `redirectUrl` points at: it submits the form by
  itself (a button without JavaScript). Signed with the gateway's secret: no one else's page.
"""

from __future__ import annotations

import hmac
import html
import logging
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from ..payments.base import InvalidNotification, Notification, ProviderUnavailable
from ..resolvers import payments as pay
from ..resolvers.context import Services
from ..store import payments as store

log = logging.getLogger("ventanilla.payments")
MAX_NOTIFICATION_BYTES = 256 * 1024


def payment_routes(services: Services) -> list[Route]:
    async def notifications(request: Request) -> Response:
        name = request.path_params["provider"]
        provider = services.payment_providers.get(name)
        if provider is None:
            return JSONResponse({"error": "unknown payment provider"}, status_code=404)
        body = await request.body()
        if len(body) > MAX_NOTIFICATION_BYTES:
            return JSONResponse({"error": "too large"}, status_code=413)
        notification = Notification(
            headers={key.lower(): value for key, value in request.headers.items()},
            query=dict(request.query_params),
            body=body,
            content_type=request.headers.get("content-type", ""),
        )
        try:
            confirmations = await provider.verify(notification)
        except InvalidNotification as refused:
            log.warning("payment notification of %s refused: %s", name, refused.reason)
            await pay.refused_notification(services, name, refused.reason)
            reply = refused.reply
            return Response(reply.body, status_code=reply.status, media_type=reply.content_type)
        except ProviderUnavailable as failure:
            log.warning(
                "payment notification of %s not verified now (provider unavailable): %s", name, failure
            )
            return JSONResponse({"error": "provider unavailable, send it again"}, status_code=503)
        for confirmation in confirmations:
            await pay.record(services, provider, confirmation, "notification")
        reply = provider.reply(confirmations)
        return Response(reply.body, status_code=reply.status, media_type=reply.content_type)

    async def checkout(request: Request) -> Response:
        attempt_id = request.path_params["attempt"]
        given = request.query_params.get("sig", "")
        attempt = await services.store.read(lambda conn: store.attempt_by_id(conn, attempt_id))
        if (
            attempt is None
            or attempt.form is None
            or not hmac.compare_digest(
                given, pay.form_signature(services.secret, attempt.id, attempt.reference)
            )
        ):
            return HTMLResponse("<!doctype html><title>404</title><p>No such checkout.</p>", status_code=404)
        return _form_page(attempt.redirect_url, dict(attempt.form))

    return [
        Route("/payments/{provider}/notifications", notifications, methods=["POST"]),
        Route("/payments/checkout/{attempt}", checkout, methods=["GET"]),
    ]


def _form_page(action: str, fields: dict[str, str]) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    inputs = "\n".join(
        f'<input type="hidden" name="{html.escape(k, quote=True)}" value="{html.escape(v, quote=True)}">'
        for k, v in fields.items()
    )
    parts = urlsplit(action)
    gateway = f"{parts.scheme}://{parts.netloc}"
    page = f"""<!doctype html>
<html lang="es"><head><meta charset="utf-8"><title>Pago / Payment</title></head>
<body>
<form id="pay" method="post" action="{html.escape(action, quote=True)}">
{inputs}
<p>Te llevamos a la pasarela de pago… / Taking you to the payment gateway…</p>
<button type="submit">Continuar / Continue</button>
</form>
<script nonce="{nonce}">document.getElementById("pay").submit();</script>
</body></html>"""
    policy = f"default-src 'none'; script-src 'nonce-{nonce}'; form-action {gateway}; frame-ancestors 'none'"
    return HTMLResponse(page, headers={"Content-Security-Policy": policy})
