"""What a customer may pay online (FEATURES.md B9): the amount of each option, and every refusal.

Plain functions of the figures the API shows (`Customer.account`: rules/billing.py account totals,
and the customer's unpaid invoices); nothing here reads a database or knows GraphQL. A refusal is
an `ApiError` with its own code, so a frontend can say why in the customer's words:

- PAYMENT_AMOUNT_INVALID: zero, negative, more than two decimals, below `[payments] min_amount`
  or above `max_amount` (CUSTOM_AMOUNT), above what is owed when `allow_overpay` is off;
- NOTHING_TO_PAY: an option whose amount is zero (nothing is owed);
- PAYMENT_CURRENCY_MISMATCH: the invoices are in a currency the provider does not take, or the
  chosen invoices are in more than one currency;
- INVOICE_ALREADY_PAID: INVOICES naming a paid or void invoice (NOT_FOUND for another account's);
- PAYMENT_OPTION_UNAVAILABLE: an option the provider does not offer; PAYMENT_PROVIDER_UNKNOWN.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from ..connectors.records import AccountTotals, Invoice, InvoiceKind
from ..errors import ApiError, ErrorCode
from ..settings import PaymentOption
from .billing import ZERO

CENT = Decimal("0.01")
MAX_INVOICES = 50
REFERENCE_LENGTH = 12  # Redsys' Ds_Order: 4..12 characters, the first 4 digits; fits the others too
_REFERENCE_TAIL = string.digits + string.ascii_uppercase


@dataclass(frozen=True, slots=True)
class PaymentLimits:
    """[payments] min_amount, max_amount, allow_overpay."""

    min_amount: Decimal = Decimal("1")
    max_amount: Decimal | None = None
    allow_overpay: bool = False


@dataclass(frozen=True, slots=True)
class Charge:
    """What one attempt collects: its amount and currency, and the invoices it pays (none: oldest first)."""

    amount: Decimal
    currency: str
    invoice_ids: tuple[str, ...]
    description: str


def new_reference() -> str:
    """A fresh attempt reference: 4 digits then 8 of [0-9A-Z], 12 in all (Redsys' Ds_Order rule)."""
    head = "".join(secrets.choice(string.digits) for _ in range(4))
    tail = "".join(secrets.choice(_REFERENCE_TAIL) for _ in range(REFERENCE_LENGTH - 4))
    return head + tail


def parse_amount(value: object) -> Decimal:
    """A typed amount as a Decimal of cents; PAYMENT_AMOUNT_INVALID when it is not one."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise _bad_amount("not a number", "no es un número") from None
    if not amount.is_finite():
        raise _bad_amount("not a number", "no es un número")
    if amount <= ZERO:
        raise _bad_amount("more than 0", "mayor que 0")
    if amount != amount.quantize(CENT):
        raise _bad_amount("at most 2 decimals", "con 2 decimales como máximo")
    return amount


def _bad_amount(detail_en: str, detail: str) -> ApiError:
    return ApiError(
        ErrorCode.PAYMENT_AMOUNT_INVALID, field=["input", "amount"], detail=detail, detail_en=detail_en
    )


def unpaid(invoice: Invoice) -> bool:
    return not invoice.void and invoice.kind is not InvoiceKind.CREDIT_NOTE and invoice.balance_due > ZERO


def charge(
    option: PaymentOption,
    totals: AccountTotals,
    owed: Sequence[Invoice],
    chosen: Sequence[Invoice | None],
    typed: object | None,
    limits: PaymentLimits,
) -> Charge:
    """The amount `option` collects for an account with `totals` and unpaid invoices `owed` (any
    order); `chosen` are the invoices INVOICES names, looked up (None: not the account's or not
    found), `typed` the amount CUSTOM_AMOUNT names. Raises the refusals of the module's text."""
    currency = totals.currency
    invoice_ids: tuple[str, ...] = ()
    if option is PaymentOption.DEBT_BALANCE:
        amount, description = totals.overdue, "Deuda vencida"
    elif option is PaymentOption.TOTAL:
        amount, description = totals.unpaid_total, "Saldo total"
    elif option is PaymentOption.LAST_INVOICE:
        open_ = [i for i in owed if unpaid(i)]
        if not open_:
            raise ApiError(ErrorCode.NOTHING_TO_PAY)
        last = max(open_, key=lambda i: (i.issue_date, i.id))
        amount, currency, invoice_ids = last.balance_due, last.currency, (last.id,)
        description = f"Factura {last.number}"
    elif option is PaymentOption.INVOICES:
        amount, currency, invoice_ids = _chosen(chosen)
        description = "Facturas " + ", ".join(i.number for i in chosen if i is not None)
    else:
        if typed is None:
            raise ApiError(ErrorCode.BAD_INPUT, field=["input", "amount"], detail="amount (CUSTOM_AMOUNT)")
        amount = parse_amount(typed)
        if amount < limits.min_amount:
            raise _bad_amount(f"at least {limits.min_amount}", f"de al menos {limits.min_amount}")
        if limits.max_amount is not None and amount > limits.max_amount:
            raise _bad_amount(f"at most {limits.max_amount}", f"de como máximo {limits.max_amount}")
        if not limits.allow_overpay and amount > totals.unpaid_total:
            raise _bad_amount(f"at most what is owed, {totals.unpaid_total}",
                              f"de como máximo lo adeudado, {totals.unpaid_total}")  # fmt: skip
        description = "Pago a cuenta"
    if amount <= ZERO:
        raise ApiError(ErrorCode.NOTHING_TO_PAY)
    return Charge(amount.quantize(CENT), currency, invoice_ids, description)


def _chosen(chosen: Sequence[Invoice | None]) -> tuple[Decimal, str, tuple[str, ...]]:
    if not chosen:
        raise ApiError(ErrorCode.BAD_INPUT, field=["input", "invoiceIds"], detail="invoiceIds (INVOICES)")
    if len(chosen) > MAX_INVOICES:
        raise ApiError(
            ErrorCode.BAD_INPUT, field=["input", "invoiceIds"], detail=f"invoiceIds (at most {MAX_INVOICES})"
        )
    currencies = set()
    for index, invoice in enumerate(chosen):
        if invoice is None:
            raise ApiError(ErrorCode.NOT_FOUND, field=["input", "invoiceIds", str(index)], what="Invoice")
        if not unpaid(invoice):
            raise ApiError(ErrorCode.INVOICE_ALREADY_PAID, field=["input", "invoiceIds", str(index)],
                           number=invoice.number)  # fmt: skip
        currencies.add(invoice.currency)
    if len(currencies) > 1:
        raise ApiError(ErrorCode.PAYMENT_CURRENCY_MISMATCH, field=["input", "invoiceIds"],
                       currency=" / ".join(sorted(currencies)))  # fmt: skip
    ids = tuple(dict.fromkeys(i.id for i in chosen if i is not None))
    # the same invoice named twice counts once
    amount = sum((next(i for i in chosen if i is not None and i.id == k).balance_due for k in ids), ZERO)
    return amount, currencies.pop(), ids


def check_provider_takes(option: PaymentOption, options: frozenset[PaymentOption], currencies: frozenset[str],
                         currency: str) -> None:  # fmt: skip
    """The provider offers `option` and takes `currency` (empty `currencies`: any)."""
    if option not in options:
        raise ApiError(ErrorCode.PAYMENT_OPTION_UNAVAILABLE, field=["input", "option"], option=option.value)
    if currencies and currency not in currencies:
        raise ApiError(ErrorCode.PAYMENT_CURRENCY_MISMATCH, field=["input", "provider"], currency=currency)


def origin_of(url: str) -> str | None:
    """scheme://host[:port] of an absolute http(s) URL, lower-cased; None for anything else."""
    if any(c in url for c in "\\\r\n\t ") or not url.isprintable():
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or parts.username
        or parts.password
    ):
        return None
    host = parts.hostname.lower()
    default = {"http": 80, "https": 443}[parts.scheme.lower()]
    return f"{parts.scheme.lower()}://{host}" + ("" if port in (None, default) else f":{port}")


def return_url_allowed(url: str, portal_url: str, partner_origins: set[str]) -> bool:
    """`url` is on the portal's origin or a registered partner's: no open redirect (`//evil.com`,
    `https://portal.example.com.evil.com`, `javascript:` ... are not)."""
    origin = origin_of(url)
    if origin is None:
        return False
    allowed = {o for o in (origin_of(portal_url), *(origin_of(p) for p in partner_origins)) if o}
    return origin in allowed
