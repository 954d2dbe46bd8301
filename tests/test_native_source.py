"""NativeSource on real SQLite and PostgreSQL databases holding a small hand-made business."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import event, insert, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from ventanilla.connectors.base import InvalidCursor, SourceTimeout, SourceUnavailable
from ventanilla.connectors.native import tables as t
from ventanilla.connectors.native.source import NativeSource
from ventanilla.connectors.not_read import AttributeNotRead
from ventanilla.connectors.records import (
    AccountTotals,
    Address,
    Contract,
    Customer,
    CustomerFilter,
    CustomerStatus,
    Invoice,
    InvoiceFilter,
    InvoiceKind,
    InvoiceStatus,
    Page,
    PageOf,
    Payment,
    PlanSubscription,
    TaxId,
    TicketFilter,
)
from ventanilla.schema.selection import always_read
from ventanilla.store.schema import migrate

from .conftest import BACKENDS, fresh_database

D = Decimal
TODAY = date(2024, 4, 15)
CUT_OFF = date(2024, 3, 31)
ANA, BRUNO, CARLA = "1", "2", "3"  # customers; Bruno has no documents at all
NETWORKS = ("Rapipago", "Pago Fácil", "Link", "PagoMisCuentas")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def invoice(
    id: int,
    kind: str,
    number: int,
    issued: date,
    due: date | None,
    total: str,
    paid: str = "0",
    *,
    customer: int = 1,
    void: bool = False,
    payment_code: str | None = None,
) -> dict:
    amount = D(total)
    subtotal = (amount / D("1.21")).quantize(D("0.01"))
    return {
        "id": id, "customer_id": customer, "company_id": 1, "kind": kind, "letter": "B",
        "point_of_sale": 3, "number": number, "issue_date": issued, "due_date": due,
        "currency": "ARS", "subtotal": subtotal, "tax": amount - subtotal, "total": amount,
        "paid_amount": D(paid), "void": void, "cae": None, "cae_due_date": None,
        "payment_code": payment_code, "barcode": payment_code and f"2999{payment_code}",
    }  # fmt: skip


def payment(
    id: int, receipt: int, paid_on: date, amount: str, method: str, customer: int = 1
) -> dict:
    return {
        "id": id, "customer_id": customer, "company_id": 1, "number": f"RC 0001-{receipt:08d}",
        "paid_on": paid_on, "amount": D(amount), "currency": "ARS", "method": method,
        "reference": None,
    }  # fmt: skip


def allocation(
    id: int, invoice_id: int, amount: str, cleared: date, *, payment: int | None = None,
    credit_note: int | None = None,
) -> dict:
    return {
        "id": id, "invoice_id": invoice_id, "payment_id": payment, "credit_note_id": credit_note,
        "amount": D(amount), "cleared_on": cleared,
    }  # fmt: skip


def customer(id: int, code: str, name: str, **columns: object) -> dict:
    row = {
        "id": id, "code": code, "name": name, "tax_id_kind": None, "tax_id": None,
        "tax_condition": "Consumidor Final", "status": "ACTIVE", "company_id": 1, "street": None,
        "city": None, "province": None, "postal_code": None, "country": None, "currency": "ARS",
        "credit_limit": None, "created_on": date(2023, 6, 1),
    }  # fmt: skip
    return row | columns


# Ana's account, by hand (B = letter, point of sale 3):
#   11 invoice 1000.00  01-10, paid by receipt 21 on 01-15
#   12 invoice 1500.00  02-10 due 02-20, 600.00 paid by receipt 22 on 02-25
#   13 debit note 50.00 03-05 due 03-12, unpaid
#   14 invoice 999.00   03-01, VOID
#   15 invoice 2000.00  03-10 due 03-20, paid by receipt 24 on 04-05 (after the cut-off)
#   16 credit note 300.00 03-15, 100.00 of it applied to 17 on 04-12 (after the cut-off)
#   23 receipt 250.00   03-28, on account (never applied)
#   17 invoice 1200.00  04-05 due 04-20, on the same day as receipt 24
BUSINESS: list[tuple] = [
    (t.companies, [
        {"id": 1, "code": "ACME", "name": "Acme Telecomunicaciones S.A.", "tax_id_kind": "CUIT",
         "tax_id": "30712345678", "currency": "ARS", "country": "AR"},
        {"id": 2, "code": "ACUY", "name": "Acme Uruguay S.A.", "tax_id_kind": None, "tax_id": None,
         "currency": "UYU", "country": "UY"},
    ]),
    (t.customers, [
        customer(1, "000101", "Ana Pérez", tax_id_kind="CUIT", tax_id="27123456784",
                 street="Av. Corrientes 1234", city="CABA", province="Buenos Aires",
                 postal_code="C1043", country="AR"),
        customer(2, "000102", "Bruno Díaz", currency="USD", credit_limit=D("50000.00")),
        customer(3, "000103", "Carla Gómez", status="SUSPENDED"),
    ]),
    (t.customer_emails, [
        {"id": 1, "customer_id": 1, "address": "ana@trabajo.com.ar", "is_primary": False},
        {"id": 2, "customer_id": 1, "address": "ana@example.com", "is_primary": True},
    ]),
    (t.customer_phones, [
        {"id": 1, "customer_id": 1, "number": "+54 11 5555-0101", "kind": "MOBILE", "is_primary": True},
    ]),
    (t.invoices, [
        invoice(11, "INVOICE", 1001, date(2024, 1, 10), date(2024, 1, 20), "1000.00", "1000.00"),
        invoice(12, "INVOICE", 1002, date(2024, 2, 10), date(2024, 2, 20), "1500.00", "600.00"),
        invoice(13, "DEBIT_NOTE", 201, date(2024, 3, 5), date(2024, 3, 12), "50.00"),
        invoice(14, "INVOICE", 1003, date(2024, 3, 1), date(2024, 3, 11), "999.00", void=True),
        invoice(15, "INVOICE", 1004, date(2024, 3, 10), date(2024, 3, 20), "2000.00", "2000.00"),
        invoice(16, "CREDIT_NOTE", 51, date(2024, 3, 15), None, "300.00", "100.00"),
        invoice(17, "INVOICE", 1005, date(2024, 4, 5), date(2024, 4, 20), "1200.00", "100.00",
                payment_code="0004000017"),
        invoice(18, "INVOICE", 1006, date(2024, 3, 1), date(2024, 3, 31), "500.00", customer=3),
    ]),
    (t.invoice_lines, [
        {"id": 1, "invoice_id": 11, "position": 2, "description": "Instalación", "quantity": D("1"),
         "unit_price": D("200.00"), "tax_rate": D("21"), "subtotal": D("165.29"), "tax": D("34.71"),
         "total": D("200.00"), "plan_id": None},
        {"id": 2, "invoice_id": 11, "position": 1, "description": "Abono Fibra 300", "quantity": D("1"),
         "unit_price": D("800.00"), "tax_rate": D("21"), "subtotal": D("661.16"), "tax": D("138.84"),
         "total": D("800.00"), "plan_id": None},
    ]),
    (t.payments, [
        payment(21, 45, date(2024, 1, 15), "1000.00", "Rapipago"),
        payment(22, 46, date(2024, 2, 25), "600.00", "Transferencia"),
        payment(23, 47, date(2024, 3, 28), "250.00", "Pago Fácil"),
        payment(24, 48, date(2024, 4, 5), "2000.00", "Débito automático"),
    ]),
    (t.allocations, [
        allocation(1, 11, "1000.00", date(2024, 1, 15), payment=21),
        allocation(2, 12, "600.00", date(2024, 2, 25), payment=22),
        allocation(3, 15, "2000.00", date(2024, 4, 5), payment=24),
        allocation(4, 17, "100.00", date(2024, 4, 12), credit_note=16),
    ]),
    (t.tickets, [
        {"id": 31, "customer_id": 1, "number": "T-0031", "subject": "Sin conexión desde ayer",
         "status": "OPEN", "priority": "HIGH", "area": "Soporte", "category": "Conectividad",
         "assignee": None, "created_at": utc(2024, 4, 1, 10), "updated_at": utc(2024, 4, 1, 10, 10),
         "closed_at": None},
        {"id": 32, "customer_id": 1, "number": "T-0032", "subject": "Cambio de plan",
         "status": "CLOSED", "priority": None, "area": "Ventas", "category": None,
         "assignee": "Marta", "created_at": utc(2024, 3, 1, 9), "updated_at": utc(2024, 3, 2, 9),
         "closed_at": utc(2024, 3, 2, 9)},
    ]),
    (t.ticket_messages, [
        {"id": 41, "ticket_id": 31, "author_name": "Ana Pérez", "from_customer": True,
         "body": "No tengo internet", "internal": False, "created_at": utc(2024, 4, 1, 10)},
        {"id": 43, "ticket_id": 31, "author_name": "Soporte", "from_customer": False,
         "body": "Ya debería funcionar", "internal": False, "created_at": utc(2024, 4, 1, 10, 10)},
        {"id": 42, "ticket_id": 31, "author_name": "Soporte", "from_customer": False,
         "body": "Reinicio la ONU en remoto", "internal": True, "created_at": utc(2024, 4, 1, 10, 5)},
    ]),
    (t.attachments, [
        {"id": 51, "owner_kind": "TicketMessage", "owner_id": 41, "filename": "router.jpg",
         "content_type": "image/jpeg", "size": 2048, "sha256": "ab" * 32},
        {"id": 52, "owner_kind": "Document", "owner_id": 41, "filename": "otro.pdf",
         "content_type": "application/pdf", "size": 100, "sha256": None},
    ]),
    (t.plans, [
        {"id": 1, "code": "FIBRA100", "name": "Fibra 100", "description": None, "download_mbps": 100,
         "upload_mbps": 50, "price": D("15000.00"), "currency": "ARS", "available_in_portal": True},
        {"id": 2, "code": "FIBRA300", "name": "Fibra 300", "description": None, "download_mbps": 300,
         "upload_mbps": 150, "price": D("22000.00"), "currency": "ARS", "available_in_portal": True},
        {"id": 3, "code": "CORP1G", "name": "Corporativo 1G", "description": "SLA 99,9 %",
         "download_mbps": 1000, "upload_mbps": 1000, "price": D("9000.00"), "currency": "ARS",
         "available_in_portal": False},
    ]),
    (t.promotions, [
        {"id": 1, "plan_id": 2, "name": "3 meses al 50 %", "discount_percent": D("50"),
         "fixed_price": None, "months": 3},
    ]),
    (t.subscriptions, [
        {"id": 61, "customer_id": 1, "plan_id": 2, "status": "ACTIVE", "price": D("22000.00"),
         "currency": "ARS", "street": "Av. Corrientes 1234", "city": "CABA", "province": None,
         "postal_code": None, "started_on": date(2023, 6, 1)},
    ]),
    (t.subscription_promotions, [
        {"id": 1, "subscription_id": 61, "promotion_id": 1, "valid_from": date(2023, 6, 1),
         "valid_to": date(2023, 8, 31)},
    ]),
    (t.contracts, [
        {"id": 71, "customer_id": 1, "number": "CT-0071", "title": "Contrato de servicio",
         "status": "SIGNED", "issued_at": utc(2023, 6, 1, 12), "signed_at": utc(2023, 6, 2, 8),
         "valid_from": date(2023, 6, 1), "valid_to": None, "body": "Cláusulas ..."},
    ]),
    (t.quotes, [
        {"id": 81, "customer_id": 1, "number": "PR-0081", "issue_date": date(2024, 2, 1),
         "valid_until": date(2024, 2, 15), "status": "ACCEPTED", "subtotal": D("100.00"),
         "tax": D("21.00"), "total": D("121.00"), "currency": "ARS"},
    ]),
    (t.orders, [
        {"id": 91, "customer_id": 1, "quote_id": 81, "number": "OC-0091",
         "ordered_on": date(2024, 2, 16), "status": "DELIVERED",
         "expected_delivery": date(2024, 2, 20), "delivered_on": date(2024, 2, 19),
         "total": D("121.00"), "currency": "ARS"},
    ]),
    (t.delivery_notes, [
        {"id": 95, "customer_id": 1, "order_id": 91, "number": "RM-0095",
         "issued_on": date(2024, 2, 19), "delivered_on": date(2024, 2, 19)},
    ]),
    (t.commercial_lines, [
        {"id": 1, "document_kind": "QUOTE", "document_id": 81, "position": 2,
         "description": "Instalación", "quantity": D("1"), "unit_price": None, "total": None},
        {"id": 2, "document_kind": "QUOTE", "document_id": 81, "position": 1,
         "description": "Router Wi-Fi 6", "quantity": D("2.5"), "unit_price": D("40.00"),
         "total": D("100.00")},
        {"id": 3, "document_kind": "ORDER", "document_id": 81, "position": 1,
         "description": "de otro documento", "quantity": D("1"), "unit_price": None, "total": None},
    ]),
    (t.documents, [
        {"id": 101, "customer_id": 1, "title": "DNI frente", "category": "Identidad",
         "filename": "dni.jpg", "content_type": "image/jpeg", "size": 1000,
         "uploaded_at": utc(2023, 6, 1, 12)},
    ]),
    (t.comments, [
        {"id": 2, "customer_id": 1, "subject_kind": "Invoice", "subject_id": 11,
         "author_name": "Cobranzas", "from_customer": False, "body": "Pago registrado",
         "created_at": utc(2024, 1, 15, 12)},
        {"id": 1, "customer_id": 1, "subject_kind": "Invoice", "subject_id": 11,
         "author_name": "Ana Pérez", "from_customer": True, "body": "¿Puedo pagar en Rapipago?",
         "created_at": utc(2024, 1, 11, 12)},
        {"id": 3, "customer_id": 1, "subject_kind": "Quote", "subject_id": 11,
         "author_name": "Ana Pérez", "from_customer": True, "body": "otro documento",
         "created_at": utc(2024, 1, 11, 12)},
    ]),
    (t.payment_methods, [
        {"id": 111, "customer_id": 1, "kind": "CARD", "label": "Visa terminada en 4242",
         "holder": "ANA PEREZ", "expires": "08/27", "is_default": False},
        {"id": 112, "customer_id": 1, "kind": "BANK_ACCOUNT", "label": "CBU ...0458",
         "holder": None, "expires": None, "is_default": True},
    ]),
    (t.payment_commitments, [
        {"id": 121, "customer_id": 1, "requested_at": utc(2024, 4, 1, 9), "days": 7,
         "promised_date": date(2024, 4, 8), "amount": D("900.00"), "currency": "ARS",
         "status": "BROKEN"},
        {"id": 122, "customer_id": 1, "requested_at": utc(2024, 4, 10, 9), "days": 10,
         "promised_date": date(2024, 4, 20), "amount": D("950.00"), "currency": "ARS",
         "status": "ACTIVE"},
    ]),
]  # fmt: skip


async def load(engine: AsyncEngine, rows_by_table: list[tuple]) -> None:
    async with engine.begin() as conn:
        await migrate(conn)
        for table, rows in rows_by_table:
            await conn.execute(insert(table), rows)


async def load_more(engine: AsyncEngine, rows_by_table: list[tuple]) -> None:
    async with engine.begin() as conn:
        for table, rows in rows_by_table:
            await conn.execute(insert(table), rows)


@pytest.fixture(scope="module", params=BACKENDS)
async def source(request, tmp_path_factory) -> AsyncIterator[NativeSource]:
    """The business, loaded once per backend for the tests that only read it."""
    async with fresh_database(request.param, tmp_path_factory.mktemp("native")) as url:
        engine = create_async_engine(url)
        try:
            await load(engine, BUSINESS)
            yield NativeSource(engine)
        finally:
            await engine.dispose()


@pytest.fixture
async def own_source(empty_engine: AsyncEngine) -> NativeSource:
    """The business on a database of this test's own, which it may add rows to or lock."""
    await load(empty_engine, BUSINESS)
    return NativeSource(empty_engine)


@contextmanager
def count_statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """The SQL statements the engine sends while the block runs."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


def ids(page: PageOf) -> list[str]:
    return [item.id for item in page.items]


# --- statement at a cut-off ----------------------------------------------------------------


async def test_open_items_at_cut_off_keep_what_was_cleared_later(source: NativeSource) -> None:
    # given Ana's account and a cut-off before receipt 24 and the credit note's application
    # when
    (items,) = await source.open_items_of([ANA], CUT_OFF, None)
    # then: 11 and receipts 21/22 cleared each other; 12 partly paid; 15 paid only after
    # the cut-off; the credit note and receipt 23 are open credits (negative); 17 is not
    # posted yet and the void 14 never counts
    assert [(i.id, i.due_date, i.original_amount, i.open_amount) for i in items] == [
        ("INVOICE:12", date(2024, 2, 20), D("1500.00"), D("900.00")),
        ("DEBIT_NOTE:13", date(2024, 3, 12), D("50.00"), D("50.00")),
        ("CREDIT_NOTE:16", date(2024, 3, 15), D("-300.00"), D("-300.00")),
        ("INVOICE:15", date(2024, 3, 20), D("2000.00"), D("2000.00")),
        ("PAYMENT:23", date(2024, 3, 28), D("-250.00"), D("-250.00")),
    ]
    assert sum(i.open_amount for i in items) == D("2400.00")
    assert [i.document_number for i in items][:3] == [
        "B 0003-00001002",
        "B 0003-00000201",
        "B 0003-00000051",
    ]
    assert items[-1].document_number == "RC 0001-00000047"
    assert items[-1].posted_on == date(2024, 3, 28)
    assert {i.customer_id for i in items} == {ANA}


async def test_open_items_today_add_up_to_the_ledger_balance(source: NativeSource) -> None:
    # when
    (items,) = await source.open_items_of([ANA], TODAY, None)
    # then: 15 is settled, 17 owes 1200 - 100 of credit note, the credit note keeps 200
    assert [(i.id, i.open_amount) for i in items] == [
        ("INVOICE:12", D("900.00")),
        ("DEBIT_NOTE:13", D("50.00")),
        ("CREDIT_NOTE:16", D("-200.00")),
        ("PAYMENT:23", D("-250.00")),
        ("INVOICE:17", D("1100.00")),
    ]
    assert sum(i.open_amount for i in items) == D("1600.00")  # = -(last ledger balance)


async def test_open_items_by_company_and_per_customer(source: NativeSource) -> None:
    # when
    by_company = await source.open_items_of([ANA], CUT_OFF, "1")
    other_company = await source.open_items_of([ANA], CUT_OFF, "2")
    bad_company = await source.open_items_of([ANA], CUT_OFF, "acme")
    several = await source.open_items_of([BRUNO, CARLA, "nope", ANA], CUT_OFF, None)
    # then
    assert len(by_company[0]) == 5
    assert other_company == [[]] and bad_company == [[]]
    assert [[i.id for i in items] for items in several[:3]] == [[], ["INVOICE:18"], []]
    assert len(several[3]) == 5


# --- account totals ------------------------------------------------------------------------


async def test_account_totals(source: NativeSource) -> None:
    # when
    totals = await source.account_totals([ANA, BRUNO, CARLA, "999", "abc"], TODAY)
    # then: Ana owes 900 (12) + 50 (13) + 1100 (17); 12 and 13 are past due
    assert totals[0] == AccountTotals(
        customer_id=ANA,
        currency="ARS",
        unpaid_total=D("2050.00"),
        debits=D("5750.00"),  # 1000 + 1500 + 50 + 2000 + 1200, not the void 999
        credits=D("4150.00"),  # credit note 300 + receipts 1000 + 600 + 250 + 2000
        overdue=D("950.00"),
        credit_limit=None,
    )
    nothing = D("0.00")
    assert totals[1] == AccountTotals(BRUNO, "USD", *[nothing] * 4, credit_limit=D("50000.00"))
    assert totals[2] == AccountTotals(
        CARLA, "ARS", D("500.00"), D("500.00"), nothing, D("500.00"), credit_limit=None
    )
    for key, unknown in zip(["999", "abc"], totals[3:]):
        assert unknown == AccountTotals(key, "ARS", *[nothing] * 4, credit_limit=None)
    assert [x.customer_id for x in totals] == [ANA, BRUNO, CARLA, "999", "abc"]


# --- ledger --------------------------------------------------------------------------------


async def test_ledger_running_balance_and_next_page(source: NativeSource) -> None:
    # when: the newest four entries, then the four before them
    (first,) = await source.ledger_of([ANA], Page(first=4), None, None)
    (second,) = await source.ledger_of([ANA], Page(first=4, after=first.cursors[-1]), None, None)
    # then: balances run over the whole history (negative = Ana owes); on 04-05 invoice 17
    # goes before receipt 24, so newest first the receipt comes first
    assert [(e.id, e.debit, e.credit, e.balance) for e in first.items] == [
        ("PAYMENT:24", D("0.00"), D("2000.00"), D("-1600.00")),
        ("INVOICE:17", D("1200.00"), D("0.00"), D("-3600.00")),
        ("PAYMENT:23", D("0.00"), D("250.00"), D("-2400.00")),
        ("CREDIT_NOTE:16", D("0.00"), D("300.00"), D("-2650.00")),
    ]
    assert first.has_next
    assert [(e.id, e.balance) for e in second.items] == [
        ("INVOICE:15", D("-2950.00")),
        ("DEBIT_NOTE:13", D("-950.00")),
        ("PAYMENT:22", D("-900.00")),
        ("INVOICE:12", D("-1500.00")),
    ]
    assert second.has_next
    assert first.items[0].description == "Pago RC 0001-00000048 (Débito automático)"
    assert first.items[1].description == "Factura B 0003-00001005"
    assert first.items[3].description == "Nota de crédito B 0003-00000051"
    assert second.items[1].description == "Nota de débito B 0003-00000201"


async def test_ledger_by_dates_keeps_the_balance_of_all_history(source: NativeSource) -> None:
    # when: March only
    (march,) = await source.ledger_of([ANA], Page(first=10), date(2024, 3, 1), date(2024, 3, 31))
    # then
    assert [(e.id, e.balance) for e in march.items] == [
        ("PAYMENT:23", D("-2400.00")),
        ("CREDIT_NOTE:16", D("-2650.00")),
        ("INVOICE:15", D("-2950.00")),
        ("DEBIT_NOTE:13", D("-950.00")),
    ]
    assert not march.has_next


async def test_ledger_last_page_and_other_customers(source: NativeSource) -> None:
    # given the first eight entries
    (eight,) = await source.ledger_of([ANA], Page(first=8), None, None)
    # when
    ana, bruno, carla = await source.ledger_of(
        [ANA, BRUNO, CARLA], Page(first=8, after=eight.cursors[-1]), None, None
    )
    # then
    assert [(e.id, e.balance) for e in ana.items] == [
        ("PAYMENT:21", D("0.00")),
        ("INVOICE:11", D("-1000.00")),
    ]
    assert not ana.has_next
    assert bruno == PageOf()
    assert carla == PageOf()  # Carla's only entry (03-01) is not past Ana's cursor (02-10)


# --- invoices ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "status", "expected"),
    [
        (TODAY, InvoiceStatus.OVERDUE, ["13", "12"]),
        (date(2024, 3, 1), InvoiceStatus.OVERDUE, ["12"]),  # 13 is not due until 03-12
        (TODAY, InvoiceStatus.PARTIALLY_PAID, ["17"]),
        (TODAY, InvoiceStatus.OPEN, []),
        (date(2024, 3, 1), InvoiceStatus.OPEN, ["13"]),
        (TODAY, InvoiceStatus.VOID, ["14"]),
        (TODAY, InvoiceStatus.PAID, ["16", "15", "11"]),  # a credit note is never owed
    ],
)
async def test_invoices_by_status_on_a_day(
    source: NativeSource, today: date, status: InvoiceStatus, expected: list[str]
) -> None:
    # when
    (page,) = await source.invoices_of([ANA], InvoiceFilter(status=status), Page(first=20), today)
    # then
    assert ids(page) == expected


async def test_invoice_filters(source: NativeSource) -> None:
    # when
    async def of(filter: InvoiceFilter) -> list[str]:
        (page,) = await source.invoices_of([ANA], filter, Page(first=20), TODAY)
        return ids(page)

    # then
    assert await of(InvoiceFilter(unpaid_only=True)) == ["17", "13", "12"]
    assert await of(InvoiceFilter(kind=InvoiceKind.CREDIT_NOTE)) == ["16"]
    assert await of(InvoiceFilter(issued_from=date(2024, 3, 1), issued_to=date(2024, 3, 10))) == [
        "15",
        "13",
        "14",
    ]
    paid_invoices = InvoiceFilter(status=InvoiceStatus.PAID, kind=InvoiceKind.INVOICE)
    assert await of(paid_invoices) == ["15", "11"]
    assert await of(InvoiceFilter(company_id="2")) == []
    assert len(await of(InvoiceFilter(company_id="1"))) == 7


async def test_invoice_record_and_pages(source: NativeSource) -> None:
    # when
    (first,) = await source.invoices_of([ANA], InvoiceFilter(), Page(first=3), TODAY)
    (second,) = await source.invoices_of(
        [ANA], InvoiceFilter(), Page(first=3, after=first.cursors[-1]), TODAY
    )
    latest, credit_note, void, missing = await source.invoices_by_id(["17", "16", "14", "18x"])
    # then
    assert ids(first) == ["17", "16", "15"] and first.has_next
    assert ids(second) == ["13", "14", "12"] and second.has_next
    assert latest is not None and credit_note is not None and void is not None
    assert latest.number == "B 0003-00001005"
    assert (latest.total, latest.subtotal + latest.tax, latest.balance_due) == (
        D("1200.00"),
        D("1200.00"),
        D("1100.00"),
    )
    assert latest.payment_code is not None
    assert latest.payment_code.code == "0004000017"
    assert latest.payment_code.networks == NETWORKS
    assert (latest.issue_date, latest.due_date) == (date(2024, 4, 5), date(2024, 4, 20))
    assert latest.company_id == "1"
    assert credit_note.kind is InvoiceKind.CREDIT_NOTE and credit_note.balance_due == D("0.00")
    assert credit_note.payment_code is None
    assert void.void and void.balance_due == D("0.00")
    assert missing is None


async def test_lines_and_payments(source: NativeSource) -> None:
    # when
    lines, none = await source.lines_of(["11", "12"])
    (page,) = await source.payments_of([ANA], Page(first=2))
    by_id = await source.payments_by_id(["21", "23", "x"])
    # then
    assert [(line.position, line.description, line.total) for line in lines] == [
        (1, "Abono Fibra 300", D("800.00")),
        (2, "Instalación", D("200.00")),
    ]
    assert lines[0].quantity == D("1.000") and lines[0].tax_rate == D("21.00") and none == []
    assert [(p.id, p.amount, p.invoice_ids) for p in page.items] == [
        ("24", D("2000.00"), ("15",)),
        ("23", D("250.00"), ()),
    ]
    assert page.has_next
    assert [p.invoice_ids if p else None for p in by_id] == [("11",), (), None]
    assert by_id[0] is not None and by_id[0].method == "Rapipago"


# A request that reads an invoice's number and total only, as if a field using the due date,
# the tax or the issue date had forgotten its `reads` declaration (schema/selection.py).
NUMBER_AND_TOTAL = {Invoice: always_read(Invoice) | {"number", "total"}}
USES = {
    "str": str,
    "format": lambda value: f"{value}",
    "an attribute": lambda value: value.isoformat(),
    "a comparison": lambda value: value < date(2100, 1, 1),
    "arithmetic": lambda value: value + 1,
    "truth": bool,
}


@pytest.mark.parametrize("use", USES.values(), ids=USES.keys())
async def test_an_attribute_the_request_did_not_read_is_an_error_when_used(source: NativeSource, use) -> None:
    # given a request that reads only an invoice's number and total
    narrowed = source.reading(NUMBER_AND_TOTAL)
    # when the invoice is read, by id and in a page
    (whole,) = await source.invoices_by_id(["17"])
    (by_id,) = await narrowed.invoices_by_id(["17"])
    (page,) = await narrowed.invoices_of([ANA], InvoiceFilter(), Page(first=3), TODAY)
    # then what was read is the invoice's, and using what was not fails, naming it
    assert whole is not None and by_id is not None and page.items
    for invoice in (by_id, *page.items):
        assert invoice.number.startswith("B 0003-")
    assert (by_id.number, by_id.total, by_id.customer_id) == (whole.number, whole.total, whole.customer_id)
    for invoice in (by_id, *page.items):
        for name in ("due_date", "issue_date", "tax", "cae"):
            with pytest.raises(AttributeNotRead, match=f"Invoice.{name} was not read"):
                use(getattr(invoice, name))


@pytest.mark.parametrize(
    "record, read",
    [
        (Customer, lambda s: s.customers_by_id([ANA, CARLA])),
        (Customer, lambda s: _items(s.customer_page(CustomerFilter(), Page(first=5), TODAY))),
        (Payment, lambda s: s.payments_by_id(["21", "23"])),
        (Payment, lambda s: _first_items(s.payments_of([ANA], Page(first=2)))),
        (Contract, lambda s: _first_items(s.contracts_of([ANA], Page(first=2)))),
        (PlanSubscription, lambda s: _first(s.subscriptions_of([ANA]))),
    ],
    ids=["customers", "customer-page", "payments", "payment-pages", "contracts", "subscriptions"],
)
async def test_every_narrowed_read_marks_what_it_did_not_read(source: NativeSource, record, read) -> None:
    # given a request that reads only the keys of a record (no field of its own)
    narrowed = source.reading({record: always_read(record)})
    # when read
    items = await read(narrowed)
    # then its keys are there, and its dates, amounts and texts fail when shown
    assert items and all(item.id for item in items)
    left_out = sorted({f for f in record.__slots__ if f not in always_read(record)} - _NESTED_RECORDS)
    for item in items:
        for name in left_out:
            with pytest.raises(AttributeNotRead, match=f"{record.__name__}.{name} "):
                str(getattr(item, name))


_NESTED_RECORDS = {"tax_id", "billing_address", "service_address", "payment_code"}


async def _items(page) -> list:
    return (await page).items


async def _first_items(pages) -> list:
    return (await pages)[0].items


async def _first(lists) -> list:
    return (await lists)[0]


# --- customers -----------------------------------------------------------------------------


async def test_customers_by_id_and_misses(source: NativeSource) -> None:
    # when
    found = await source.customers_by_id([ANA, "abc", "999", "", "01", "99999999999", BRUNO])
    # then
    ana, *misses, bruno = found
    assert misses == [None] * 5
    assert ana is not None and bruno is not None
    assert ana.tax_id == TaxId("CUIT", "27123456784")
    assert ana.billing_address == Address(
        "Av. Corrientes 1234", "CABA", "Buenos Aires", "C1043", "AR"
    )
    assert (ana.status, ana.company_id) == (CustomerStatus.ACTIVE, "1")
    assert ana.created_on == date(2023, 6, 1)
    assert (bruno.billing_address, bruno.tax_id, bruno.credit_limit) == (None, None, D("50000.00"))
    (company, nothing) = await source.companies_by_id(["1", "3"])
    assert company is not None and company.tax_id == TaxId("CUIT", "30712345678")
    assert nothing is None


async def test_customer_page_search_and_filters(source: NativeSource) -> None:
    # when
    async def names(filter: CustomerFilter) -> list[str]:
        page = await source.customer_page(filter, Page(first=10), TODAY)
        return [c.name for c in page.items]

    first = await source.customer_page(CustomerFilter(), Page(first=2), TODAY)
    after = Page(first=2, after=first.cursors[-1])
    rest = await source.customer_page(CustomerFilter(), after, TODAY)
    # then
    assert [c.name for c in first.items] == ["Ana Pérez", "Bruno Díaz"] and first.has_next
    assert [c.name for c in rest.items] == ["Carla Gómez"] and not rest.has_next
    assert await names(CustomerFilter(search="PÉREZ")) == ["Ana Pérez"]
    assert await names(CustomerFilter(search="000102")) == ["Bruno Díaz"]
    assert await names(CustomerFilter(search="27-12345678-4")) == ["Ana Pérez"]
    assert await names(CustomerFilter(search="Ana%")) == []  # % is a character, not a wildcard
    assert await names(CustomerFilter(status=CustomerStatus.SUSPENDED)) == ["Carla Gómez"]
    assert await names(CustomerFilter(overdue_only=True)) == ["Ana Pérez", "Carla Gómez"]
    assert await names(CustomerFilter(company_id="2")) == []


async def test_contacts(source: NativeSource) -> None:
    # when
    emails, no_emails = await source.emails_of([ANA, BRUNO])
    (phones,) = await source.phones_of([ANA])
    # then: the primary address first
    assert [(e.address, e.primary) for e in emails] == [
        ("ana@example.com", True),
        ("ana@trabajo.com.ar", False),
    ]
    assert no_emails == [] and phones[0].primary and phones[0].kind == "MOBILE"


# --- support -------------------------------------------------------------------------------


async def test_tickets_and_messages(source: NativeSource) -> None:
    # when
    (open_only,) = await source.tickets_of([ANA], TicketFilter(open_only=True), Page(first=10))
    (by_subject,) = await source.tickets_of([ANA], TicketFilter(search="PLAN"), Page(first=10))
    (by_number,) = await source.tickets_of([ANA], TicketFilter(search="t-0031"), Page(first=10))
    (everything,) = await source.tickets_of([ANA], TicketFilter(), Page(first=10))
    (newest,) = await source.tickets_of([ANA], TicketFilter(), Page(first=1))
    (nothing,) = await source.tickets_of([ANA], TicketFilter(), Page(first=0))
    (older,) = await source.tickets_of([ANA], TicketFilter(), Page(1, after=newest.cursors[0]))
    public, none = await source.messages_of(["31", "32"], include_internal=False)
    (staff_view,) = await source.messages_of(["31"], include_internal=True)
    # then
    assert ids(open_only) == ["31"] and ids(by_subject) == ["32"] and ids(by_number) == ["31"]
    assert ids(everything) == ["31", "32"]
    assert (ids(newest), newest.has_next, ids(older), older.has_next) == (["31"], True, ["32"], False)
    assert (ids(nothing), nothing.has_next) == ([], True)  # first: 0 is an empty page of a list that has some
    assert everything.items[1].closed_at == utc(2024, 3, 2, 9)
    assert everything.items[0].created_at.tzinfo is not None
    assert [m.id for m in public] == ["41", "43"] and none == []
    assert [m.id for m in staff_view] == ["41", "42", "43"]
    assert [(a.id, a.filename, a.sha256) for a in public[0].attachments] == [("51", "router.jpg", "ab" * 32)]
    assert public[1].attachments == ()


# --- contracts, plans, commerce, documents -------------------------------------------------


async def test_contracts_plans_and_promotions(source: NativeSource) -> None:
    # when
    (contracts,) = await source.contracts_of([ANA], Page(first=5))
    (contract, _) = await source.contracts_by_id(["71", "72"])
    cheapest = await source.plan_page(Page(first=1), portal_only=True)
    next_plan = await source.plan_page(Page(first=1, after=cheapest.cursors[0]), portal_only=True)
    every_plan = await source.plan_page(Page(first=10), portal_only=False)
    (subscriptions,) = await source.subscriptions_of([ANA])
    (promotions, none) = await source.promotions_of(["61", "62"])
    # then
    assert ids(contracts) == ["71"]
    assert contract is not None and contract.signed_at == utc(2023, 6, 2, 8)
    assert [p.code for p in cheapest.items] == ["FIBRA100"] and cheapest.has_next
    assert [p.code for p in next_plan.items] == ["FIBRA300"] and not next_plan.has_next
    assert [p.code for p in every_plan.items] == ["CORP1G", "FIBRA100", "FIBRA300"]
    assert [(s.id, s.plan_id, s.price) for s in subscriptions] == [("61", "2", D("22000.00"))]
    assert [(p.name, p.discount_percent, p.valid_to, p.currency) for p in promotions] == [
        ("3 meses al 50 %", D("50.00"), date(2023, 8, 31), "ARS")
    ]
    assert none == []


async def test_commerce_documents_and_payment_methods(source: NativeSource) -> None:
    # when
    (quotes,) = await source.quotes_of([ANA], Page(first=5))
    (orders,) = await source.orders_of([ANA], Page(first=5))
    (notes,) = await source.delivery_notes_of([ANA], Page(first=5))
    (lines,) = await source.commercial_lines_of("QUOTE", ["81"])
    (documents,) = await source.documents_of([ANA], Page(first=5))
    (comments,) = await source.comments_of("Invoice", ["11"])
    (methods,) = await source.payment_methods_of([ANA])
    (commitments,) = await source.payment_commitments_of([ANA])
    # then
    assert ids(quotes) == ["81"] and quotes.items[0].total == D("121.00")
    assert ids(orders) == ["91"] and ids(notes) == ["95"] and notes.items[0].order_id == "91"
    assert [(line.position, line.quantity) for line in lines] == [(1, D("2.500")), (2, D("1.000"))]
    assert ids(documents) == ["101"]
    assert [c.id for c in comments] == ["1", "2"]  # oldest first
    assert [m.id for m in methods] == ["112", "111"]  # the default first
    assert [c.id for c in commitments] == ["122", "121"]  # newest first
    assert (await source.quotes_by_id(["81"]))[0] == quotes.items[0]
    assert (await source.payment_methods_by_id(["111"]))[0] == methods[1]


# --- batching, cursors, failures -----------------------------------------------------------

CROWD = range(1001, 1031)  # thirty more customers, two invoices and a receipt each


def crowd() -> list[tuple]:
    return [
        (t.customers, [customer(c, f"{c:06d}", f"Cliente {c}") for c in CROWD]),
        (t.invoices, [
            invoice(c * 10 + n, "INVOICE", c * 10 + n, date(2024, n, 1), date(2024, n, 10), "100.00",
                    customer=c)
            for c in CROWD for n in (1, 2)
        ]),
        (t.payments, [
            payment(c, c, date(2024, 1, 5), "100.00", "Rapipago", customer=c) for c in CROWD
        ]),
        (t.allocations, [
            allocation(c, c * 10 + 1, "100.00", date(2024, 1, 5), payment=c) for c in CROWD
        ]),
    ]  # fmt: skip


BATCHED_CALLS = {
    "invoices_of": (1, lambda s, keys: s.invoices_of(keys, InvoiceFilter(), Page(first=1), TODAY)),
    "payments_of": (2, lambda s, keys: s.payments_of(keys, Page(first=5))),
    "ledger_of": (1, lambda s, keys: s.ledger_of(keys, Page(first=5), None, None)),
    "open_items_of": (1, lambda s, keys: s.open_items_of(keys, TODAY, None)),
    "account_totals": (1, lambda s, keys: s.account_totals(keys, TODAY)),
    "customers_by_id": (1, lambda s, keys: s.customers_by_id(keys)),
    "tickets_of": (1, lambda s, keys: s.tickets_of(keys, TicketFilter(), Page(first=5))),
}


@pytest.mark.parametrize("method", BATCHED_CALLS)
async def test_statements_do_not_grow_with_the_keys(
    own_source: NativeSource, empty_engine: AsyncEngine, method: str
) -> None:
    # given thirty customers more, and a connection already made (its set-up is not ours)
    await load_more(empty_engine, crowd())
    expected, call = BATCHED_CALLS[method]
    await own_source.customers_by_id([ANA])
    keys = [str(c) for c in CROWD]
    # when
    with count_statements(empty_engine) as for_one:
        one = await call(own_source, keys[:1])
    with count_statements(empty_engine) as for_thirty:
        thirty = await call(own_source, keys)
    # then
    assert len(for_one) == len(for_thirty) == expected
    assert len(one) == 1 and len(thirty) == 30
    assert thirty[29] == (await call(own_source, keys[29:]))[0]  # same answer batched or alone


async def test_batched_pages_are_per_customer(
    own_source: NativeSource, empty_engine: AsyncEngine
) -> None:
    # given
    await load_more(empty_engine, crowd())
    # when
    keys = ["1001", ANA, "x", "1030"]
    pages = await own_source.invoices_of(keys, InvoiceFilter(), Page(first=1), TODAY)
    # then
    assert [ids(p) for p in pages] == [["10012"], ["17"], [], ["10302"]]
    assert [p.has_next for p in pages] == [True, True, False, True]


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        "2024-13-45|1",
        "2024-03-01|x",
        "2024-03-01|1|2",
        "|",
        "2024-03-01|99999999999",  # no INTEGER id is that large
    ],
)
async def test_a_cursor_we_did_not_make_is_invalid(source: NativeSource, cursor: str) -> None:
    # when / then
    with pytest.raises(InvalidCursor):
        await source.invoices_of([ANA], InvoiceFilter(), Page(first=5, after=cursor), TODAY)


async def test_invalid_cursors_of_other_listings(source: NativeSource) -> None:
    # when / then
    with pytest.raises(InvalidCursor):
        await source.ledger_of([ANA], Page(first=5, after="2024-03-01|0"), None, None)
    with pytest.raises(InvalidCursor):
        naive = Page(first=5, after="2024-04-01T10:00:00|31")  # instants carry their offset
        await source.tickets_of([ANA], TicketFilter(), naive)
    with pytest.raises(InvalidCursor):
        await source.plan_page(Page(first=5, after="cheap|1"), portal_only=False)
    with pytest.raises(InvalidCursor):
        await source.customer_page(CustomerFilter(), Page(first=5, after="Ana Pérez"), TODAY)
    with pytest.raises(InvalidCursor):
        await source.payments_of(["nope"], Page(first=5, after="?"))


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+asyncpg://postgres@127.0.0.1:1/ventanilla",  # nothing listens on port 1
        "sqlite+aiosqlite:////nonexistent-directory/ventanilla.db",
    ],
)
async def test_an_unreachable_database_is_unavailable(url: str) -> None:
    # given
    engine = create_async_engine(url)
    source = NativeSource(engine)
    # when / then
    try:
        with pytest.raises(SourceUnavailable):
            await source.customers_by_id([ANA])
        with pytest.raises(SourceUnavailable):
            await source.ledger_of([ANA], Page(first=5), None, None)
    finally:
        await engine.dispose()


async def test_a_database_without_the_tables_is_unavailable(empty_engine: AsyncEngine) -> None:
    # when / then: the driver's own error does not leak
    with pytest.raises(SourceUnavailable):
        await NativeSource(empty_engine).invoices_by_id(["1"])


async def test_a_slow_database_times_out(own_source: NativeSource, empty_engine: AsyncEngine) -> None:
    if empty_engine.dialect.name != "postgresql":
        pytest.skip("a held table lock is how PostgreSQL is made to stall")
    # given a transaction elsewhere holding the customers table
    async with empty_engine.connect() as locker:
        await locker.execute(text("LOCK TABLE customers IN ACCESS EXCLUSIVE MODE"))
        impatient = NativeSource(empty_engine, timeout=0.3)
        # when / then
        with pytest.raises(SourceTimeout):
            await impatient.customers_by_id([ANA])
        await locker.rollback()
    # and the source answers again once the lock is gone
    assert (await impatient.customers_by_id([ANA]))[0] is not None
