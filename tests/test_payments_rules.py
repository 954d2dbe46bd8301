"""rules/payments.py without a schema: what each option charges, the refusals, the return URL check."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from ventanilla.connectors.records import AccountTotals, Invoice, InvoiceKind
from ventanilla.errors import ApiError
from ventanilla.rules.payments import PaymentLimits, charge, new_reference, return_url_allowed
from ventanilla.settings import PaymentOption

TOTALS = AccountTotals("7", "ARS", unpaid_total=Decimal("300.00"), debits=Decimal("900.00"),
                       credits=Decimal("600.00"), overdue=Decimal("200.00"), credit_limit=None)  # fmt: skip


def invoice(id_: str, balance: str, issued: date, currency: str = "ARS", void: bool = False) -> Invoice:
    return Invoice(id=id_, customer_id="7", company_id=None, number=f"B 0001-{int(id_):08d}", kind=InvoiceKind.INVOICE,
                   issue_date=issued, due_date=issued, currency=currency, subtotal=Decimal(balance),
                   tax=Decimal("0"), total=Decimal("100.00"), balance_due=Decimal(balance), void=void)  # fmt: skip


OWED = [invoice("1", "100.00", date(2026, 9, 1)), invoice("2", "100.00", date(2026, 10, 1)),
        invoice("3", "100.00", date(2026, 11, 1))]  # fmt: skip


DEFAULT = PaymentLimits()


def code(option, chosen=(), typed=None, limits=DEFAULT) -> str:
    with pytest.raises(ApiError) as refused:
        charge(option, TOTALS, OWED, list(chosen), typed, limits)
    return refused.value.code.value


def test_each_option_charges_the_figures_the_api_shows():
    assert charge(PaymentOption.DEBT_BALANCE, TOTALS, OWED, [], None, PaymentLimits()).amount == Decimal(
        "200.00"
    )
    assert charge(PaymentOption.TOTAL, TOTALS, OWED, [], None, PaymentLimits()).amount == Decimal("300.00")
    last = charge(PaymentOption.LAST_INVOICE, TOTALS, OWED, [], None, PaymentLimits())
    assert (last.amount, last.invoice_ids) == (Decimal("100.00"), ("3",))
    two = charge(PaymentOption.INVOICES, TOTALS, OWED, [OWED[2], OWED[0], OWED[2]], None, PaymentLimits())
    assert (two.amount, two.invoice_ids) == (Decimal("200.00"), ("3", "1"))  # named twice: counted once
    typed = charge(PaymentOption.CUSTOM_AMOUNT, TOTALS, OWED, [], "150.50", PaymentLimits())
    assert (typed.amount, typed.currency, typed.invoice_ids) == (Decimal("150.50"), "ARS", ())


def test_refusals_have_their_codes():
    assert code(PaymentOption.CUSTOM_AMOUNT, typed="0") == "PAYMENT_AMOUNT_INVALID"
    assert code(PaymentOption.CUSTOM_AMOUNT, typed="-1") == "PAYMENT_AMOUNT_INVALID"
    assert code(PaymentOption.CUSTOM_AMOUNT, typed="NaN") == "PAYMENT_AMOUNT_INVALID"
    assert code(PaymentOption.CUSTOM_AMOUNT, typed="300.01") == "PAYMENT_AMOUNT_INVALID"  # above the debt
    assert (
        charge(PaymentOption.CUSTOM_AMOUNT, TOTALS, OWED, [], "400", PaymentLimits(allow_overpay=True)).amount
        == 400
    )
    assert code(PaymentOption.CUSTOM_AMOUNT, typed="50", limits=PaymentLimits(max_amount=Decimal("49"))) == (
        "PAYMENT_AMOUNT_INVALID"
    )
    assert code(PaymentOption.CUSTOM_AMOUNT, typed="5", limits=PaymentLimits(min_amount=Decimal("10"))) == (
        "PAYMENT_AMOUNT_INVALID"
    )
    assert code(PaymentOption.INVOICES, chosen=[None]) == "NOT_FOUND"  # another account's
    assert (
        code(PaymentOption.INVOICES, chosen=[invoice("4", "0.00", date(2026, 8, 1))])
        == "INVOICE_ALREADY_PAID"
    )
    assert code(PaymentOption.INVOICES, chosen=[invoice("5", "10.00", date(2026, 8, 1), void=True)]) == (
        "INVOICE_ALREADY_PAID"
    )
    assert code(PaymentOption.INVOICES, chosen=[OWED[0], invoice("6", "10.00", date(2026, 8, 1), "USD")]) == (
        "PAYMENT_CURRENCY_MISMATCH"
    )
    nothing = AccountTotals("7", "ARS", Decimal("0"), Decimal("0"), Decimal("0"), Decimal("0"), None)
    with pytest.raises(ApiError) as refused:
        charge(PaymentOption.DEBT_BALANCE, nothing, [], [], None, PaymentLimits())
    assert refused.value.code.value == "NOTHING_TO_PAY"


def test_references_fit_redsys():
    made = {new_reference() for _ in range(500)}
    assert len(made) == 500 and all(re.fullmatch(r"\d{4}[0-9A-Z]{8}", r) for r in made)


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://portal.example.com/pagos?x=1", True),
        ("https://PORTAL.example.com:443/", True),
        ("https://socio.example.org/vuelta", True),  # a partner's registered origin
        ("//evil.com", False),
        ("https://portal.example.com.evil.com/", False),
        ("javascript:alert(1)", False),
        ("http://portal.example.com/", False),  # another scheme
        ("https://portal.example.com:8443/", False),  # another port
        ("https://portal.example.com@evil.com/", False),
        ("https://evil.com/https://portal.example.com", False),
        ("/pagos", False),
        ("https://portal.example.com\\@evil.com", False),
    ],
)
def test_return_urls(url, allowed):
    assert return_url_allowed(url, "https://portal.example.com", {"https://socio.example.org"}) is allowed
