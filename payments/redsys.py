"""Redsys (Spanish banks' card gateway), HMAC_SHA256_V1: the signed redirect form and its notification.

Redsys' "conexión por redirección" documents it this way:

- The shop's page POSTs three fields to the gateway (`/sis/realizarPago`): `Ds_SignatureVersion`
  = `HMAC_SHA256_V1`, `Ds_MerchantParameters` = base64 of a JSON object (DS_MERCHANT_AMOUNT in
  cents as text, DS_MERCHANT_ORDER, DS_MERCHANT_MERCHANTCODE, DS_MERCHANT_TERMINAL,
  DS_MERCHANT_CURRENCY as the ISO 4217 number, DS_MERCHANT_TRANSACTIONTYPE `0` (authorisation),
  DS_MERCHANT_MERCHANTURL for the online notification, DS_MERCHANT_URLOK, DS_MERCHANT_URLKO)
  and `Ds_Signature`.
- The signature: the merchant's key, base64 (24 bytes), encrypts the order number (zero-padded
  to a multiple of 8) with 3DES in CBC mode and an IV of eight zero bytes; the result is the
  key of an HMAC-SHA256 over the `Ds_MerchantParameters` text as sent; `Ds_Signature` is its
  base64.
- The online notification POSTs (form-encoded) the same three fields back, the parameters now
  `Ds_Order`, `Ds_Amount`, `Ds_Currency`, `Ds_Response`, `Ds_Date`, `Ds_Hour` ..., the signature
  in URL-safe base64 (`-`, `_`), with the key derived from `Ds_Order`. Only `Ds_Response`
  0000–0099 is an authorised payment; anything else is a refusal.

The order number is our attempt's reference: Redsys wants 4 to 12 characters, the first 4 digits,
and unique per merchant; the payment core makes references that fit (12 characters, 4 digits
first), and `start` refuses one that does not. Redsys has no API to look a payment up here
(`can_look_up = False`): a missed notification is found in the bank's back office.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, unquote
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.ciphers import Cipher, modes

try:  # cryptography >= 43 keeps the old ciphers apart
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:  # pragma: no cover - older cryptography
    from cryptography.hazmat.primitives.ciphers.algorithms import TripleDES

from ..settings import PaymentOption, RedsysProvider
from .base import (
    Checkout,
    CheckoutRequest,
    Confirmation,
    InvalidNotification,
    Notification,
    Outcome,
    Reply,
)

GATEWAY_URL = "https://sis.redsys.es"  # production; Redsys' test gateway is https://sis-t.redsys.es:25443
PAYMENT_PATH = "/sis/realizarPago"
SIGNATURE_VERSION = "HMAC_SHA256_V1"

# ISO 4217 numeric codes of the currencies a Spanish acquirer commonly takes (all of two decimals).
CURRENCIES = {
    "EUR": "978",
    "USD": "840",
    "GBP": "826",
    "CHF": "756",
    "ARS": "032",
    "COP": "170",
    "MXN": "484",
    "BRL": "986",
    "CAD": "124",
    "AUD": "036",
}
_ALPHA = {number: alpha for alpha, number in CURRENCIES.items()}
_ORDER = re.compile(r"^[0-9]{4}[0-9A-Za-z]{0,8}$")
_MADRID = ZoneInfo("Europe/Madrid")


def decode_key(secret_key: str) -> bytes:
    """The merchant's key from its base64 text; ValueError (without the key) if it is not 24 bytes."""
    try:
        key = base64.b64decode(secret_key, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the Redsys secret key is not base64") from None
    if len(key) != 24:
        raise ValueError("the Redsys secret key must decode to 24 bytes")
    return key


def order_key(key: bytes, order: str) -> bytes:
    """The per-order key: the order, zero-padded to a multiple of 8, 3DES-CBC encrypted, IV zero."""
    data = order.encode()
    data += b"\0" * (-len(data) % 8)
    encryptor = Cipher(TripleDES(key), modes.CBC(b"\0" * 8)).encryptor()
    return encryptor.update(data) + encryptor.finalize()


def sign(key: bytes, order: str, merchant_parameters: str) -> bytes:
    """The raw HMAC-SHA256 of the parameters' text with the order's key (encode it as needed)."""
    return hmac.new(order_key(key, order), merchant_parameters.encode(), hashlib.sha256).digest()


def encode_parameters(parameters: dict[str, str]) -> str:
    return base64.b64encode(json.dumps(parameters, separators=(",", ":")).encode()).decode()


def decode_parameters(text: str) -> dict[str, Any]:
    """Ds_MerchantParameters in either base64 alphabet (the notification's is URL-safe)."""
    normal = text.replace("-", "+").replace("_", "/")
    normal += "=" * (-len(normal) % 4)
    try:
        decoded = json.loads(base64.b64decode(normal, validate=True))
    except (binascii.Error, ValueError):
        raise InvalidNotification("Ds_MerchantParameters is not base64 JSON") from None
    if not isinstance(decoded, dict):
        raise InvalidNotification("Ds_MerchantParameters is not a JSON object")
    return decoded


def _signature_bytes(text: str) -> bytes:
    normal = text.strip().replace(" ", "+").replace("-", "+").replace("_", "/")
    normal += "=" * (-len(normal) % 4)
    try:
        return base64.b64decode(normal, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidNotification("Ds_Signature is not base64") from None


def authorised(response_code: str) -> bool:
    """Ds_Response 0000–0099 authorises a payment; every other code refuses it."""
    return response_code.isdigit() and int(response_code) <= 99


def _field(parameters: dict[str, Any], name: str) -> str:
    # Redsys answers in CamelCase (Ds_Order); some gateways in capitals (DS_ORDER)
    value = parameters.get(name, parameters.get(name.upper()))
    return unquote(str(value)) if value is not None else ""


def _when(parameters: dict[str, Any]) -> datetime | None:
    date, hour = _field(parameters, "Ds_Date"), _field(parameters, "Ds_Hour")
    try:
        moment = datetime.strptime(f"{date} {hour}", "%d/%m/%Y %H:%M")
    except ValueError:
        return None
    return moment.replace(tzinfo=_MADRID)


class Redsys:
    """One [payments.providers.<name>] of kind "redsys"."""

    kind = "redsys"
    can_look_up = False

    def __init__(self, name: str, config: RedsysProvider, *, secret_key: str) -> None:
        self.name = name
        self.display_name = config.display_name
        self.options: frozenset[PaymentOption] = frozenset(config.options)
        given = frozenset(code.upper() for code in config.currencies)
        self.currencies = given or frozenset(CURRENCIES)  # only those it can name
        self.secrets: tuple[str, ...] = (secret_key,)
        self._key = decode_key(secret_key)
        self._merchant_code = config.merchant_code
        self._terminal = config.terminal
        self._gateway = (config.api_url or GATEWAY_URL).rstrip("/") + PAYMENT_PATH

    async def start(self, request: CheckoutRequest) -> Checkout:
        if not _ORDER.match(request.reference):
            raise ValueError("a Redsys order must be 4-12 characters, the first 4 digits")
        currency = CURRENCIES.get(request.currency.upper())
        if currency is None:
            raise ValueError(f"Redsys is not configured for {request.currency}")
        cents = request.amount.scaleb(2)
        if cents != cents.to_integral_value() or cents <= 0:
            raise ValueError("a Redsys amount is a positive amount of cents")
        parameters = encode_parameters(
            {
                "DS_MERCHANT_AMOUNT": str(int(cents)),
                "DS_MERCHANT_ORDER": request.reference,
                "DS_MERCHANT_MERCHANTCODE": self._merchant_code,
                "DS_MERCHANT_TERMINAL": self._terminal,
                "DS_MERCHANT_CURRENCY": currency,
                "DS_MERCHANT_TRANSACTIONTYPE": "0",
                "DS_MERCHANT_MERCHANTURL": request.notification_url,
                "DS_MERCHANT_URLOK": request.success_url,
                "DS_MERCHANT_URLKO": request.failure_url,
                "DS_MERCHANT_PRODUCTDESCRIPTION": request.description[:125],
            }
        )
        signature = base64.b64encode(sign(self._key, request.reference, parameters)).decode()
        return Checkout(
            redirect_url=self._gateway,
            provider_reference=request.reference,
            form={
                "Ds_SignatureVersion": SIGNATURE_VERSION,
                "Ds_MerchantParameters": parameters,
                "Ds_Signature": signature,
            },
        )

    async def verify(self, notification: Notification) -> list[Confirmation]:
        try:
            form = dict(parse_qsl(notification.body.decode("ascii"), keep_blank_values=True))
        except UnicodeDecodeError:
            raise InvalidNotification("the notification is not a form") from None
        version = form.get("Ds_SignatureVersion", "")
        text = form.get("Ds_MerchantParameters", "")
        given = form.get("Ds_Signature", "")
        if not text or not given:
            raise InvalidNotification("missing Ds_MerchantParameters or Ds_Signature")
        if version != SIGNATURE_VERSION:
            raise InvalidNotification(f"unknown Ds_SignatureVersion {version[:20]!r}")
        parameters = decode_parameters(text)
        order = _field(parameters, "Ds_Order")
        if not order:
            raise InvalidNotification("no Ds_Order in the parameters")
        if not hmac.compare_digest(sign(self._key, order, text), _signature_bytes(given)):
            raise InvalidNotification("Ds_Signature does not match")
        if _field(parameters, "Ds_MerchantCode") not in ("", self._merchant_code):
            raise InvalidNotification("the notification is for another merchant code")
        code = _field(parameters, "Ds_Response")
        currency = _ALPHA.get(_field(parameters, "Ds_Currency").zfill(3))
        amount = _field(parameters, "Ds_Amount")
        if currency is None or not amount.isdigit():
            raise InvalidNotification("the notification's amount or currency is not readable")
        return [
            Confirmation(
                provider_payment_id=order,
                reference=order,
                outcome=Outcome.APPROVED if authorised(code) else Outcome.REJECTED,
                amount=Decimal(int(amount)).scaleb(-2),
                currency=currency,
                occurred_at=_when(parameters),
                provider_status=f"Ds_Response {code}",
            )
        ]

    def reply(self, confirmations: list[Confirmation]) -> Reply:
        return Reply(status=200)

    async def look_up(self, reference: str, provider_reference: str | None) -> Confirmation | None:
        return None

    async def close(self) -> None:
        return None
