"""Business rules without GraphQL or SQL: invoice status, account summary, statement aging."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from ventanilla.connectors.records import AccountTotals, Invoice, InvoiceKind, LedgerEntryKind, OpenItem
from ventanilla.rules.billing import account_summary, invoice_status, statement

TODAY = date(2026, 3, 31)


def invoice(total: str, balance: str, due: date | None, kind=InvoiceKind.INVOICE, void=False) -> Invoice:
    return Invoice(
        id="1", customer_id="1", company_id="1", number="B 0003-00000001", kind=kind, issue_date=date(2026, 3, 1),
        due_date=due, currency="ARS", subtotal=Decimal(total), tax=Decimal("0"), total=Decimal(total),
        balance_due=Decimal(balance), void=void,
    )


def item(amount: str, due: date, kind=LedgerEntryKind.INVOICE) -> OpenItem:
    value = Decimal(amount)
    return OpenItem(id=f"{kind.value}:{due}", customer_id="1", company_id="1", kind=kind, document_id="1",
                    document_number="X", posted_on=due - timedelta(days=10), due_date=due,
                    original_amount=value, open_amount=value, currency="ARS")


def test_invoice_status_follows_balance_and_due_date():
    assert invoice_status(invoice("100", "100", TODAY + timedelta(days=1)), TODAY).value == "OPEN"
    assert invoice_status(invoice("100", "100", TODAY), TODAY).value == "OPEN"  # due today is not overdue
    assert invoice_status(invoice("100", "100", TODAY - timedelta(days=1)), TODAY).value == "OVERDUE"
    assert invoice_status(invoice("100", "40", TODAY + timedelta(days=5)), TODAY).value == "PARTIALLY_PAID"
    assert invoice_status(invoice("100", "0", TODAY - timedelta(days=50)), TODAY).value == "PAID"
    assert invoice_status(invoice("100", "100", TODAY - timedelta(days=5), void=True), TODAY).value == "VOID"


def test_account_summary_balance_is_negative_when_the_customer_owes():
    totals = AccountTotals(customer_id="1", currency="ARS", unpaid_total=Decimal("2300.00"), debits=Decimal("5000.00"),
                           credits=Decimal("2700.00"), overdue=Decimal("700.00"), credit_limit=Decimal("10000.00"))
    summary = account_summary(totals)
    assert summary.balance == Decimal("-2300.00")
    assert summary.available_credit == Decimal("7700.00")
    no_limit = account_summary(AccountTotals("1", "ARS", Decimal(0), Decimal(0), Decimal(0), Decimal(0), None))
    assert no_limit.available_credit is None and no_limit.credit_limit is None


def test_aging_buckets_have_exact_boundaries():
    # given items exactly on each boundary of days overdue
    items = [item("1", TODAY - timedelta(days=d)) for d in (0, 1, 30, 31, 60, 61, 90, 91, 400)]
    items.append(item("-5", TODAY - timedelta(days=3), LedgerEntryKind.PAYMENT))  # payment on account
    # when
    figures = statement(items, TODAY, "ARS", credit_limit=Decimal("10"))
    # then
    assert [(b.label, b.amount, b.items) for b in figures.aging] == [
        ("1-30", Decimal("-3"), 3), ("31-60", Decimal("2"), 2), ("61-90", Decimal("2"), 2), ("90+", Decimal("2"), 2)
    ]
    assert figures.not_yet_due == Decimal("1")  # due on the cut-off day itself
    assert figures.overdue == Decimal("3") and figures.total == Decimal("4")
    assert figures.available_credit == Decimal("6")


def test_available_credit_never_goes_below_zero():
    figures = statement([item("500", TODAY)], TODAY, "ARS", credit_limit=Decimal("100"))
    assert figures.available_credit == Decimal("0.00")
