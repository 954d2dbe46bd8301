"""The demo generator: deterministic, valid Argentine identifiers, money that adds up, working sign-ins."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from ventanilla.connectors.native import tables as t
from ventanilla.demo.argentina import (
    PLACEHOLDER_TAX_ID,
    collector_check_digit,
    is_valid_cuit,
    with_two_check_digits,
)
from ventanilla.demo.business import (
    ANALYST_LOGIN,
    CUSTOMER_LOGIN,
    DemoSummary,
    generate_demo,
    is_demo_database,
)
from ventanilla.store.tables import user_customers, users

TODAY = date(2026, 3, 15)
CENT = Decimal("0.01")


def _sqlite_engine(folder: Path, name: str) -> AsyncEngine:
    return create_async_engine(f"sqlite+aiosqlite:///{folder / name}")


@pytest.fixture(scope="module")
async def demo(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[AsyncEngine, DemoSummary]]:
    """One 40-customer demo on SQLite, shared by the read-only checks below."""
    engine = _sqlite_engine(tmp_path_factory.mktemp("demo"), "demo.db")
    summary = await generate_demo(engine, customers=40, seed=11, today=TODAY)
    yield engine, summary
    await engine.dispose()


async def _rows(conn: AsyncConnection, table: Table) -> list[tuple]:
    return [tuple(r) for r in (await conn.execute(select(table).order_by(table.c.id))).all()]


# --- helpers -----------------------------------------------------------------------------


def test_cuit_check_digit_matches_afip_examples() -> None:
    # given CUITs printed in AFIP's own QR example (legacy-schemas.md §4.2)
    # then the mod-11 digit validates them and rejects a changed last digit
    assert is_valid_cuit("20409378472")
    assert is_valid_cuit("20111111112")
    assert not is_valid_cuit("20111111113")
    assert not is_valid_cuit("2011111111")


def test_collector_check_digits_follow_the_weights() -> None:
    # weights 1,3,5,7,9,3,5,7,9…; DV = floor(sum / 2) mod 10
    assert collector_check_digit("1") == 0  # 1*1 = 1 -> 0
    assert collector_check_digit("11") == 2  # 1 + 3 = 4 -> 2
    assert collector_check_digit("111111") == 4  # 1+3+5+7+9+3 = 28 -> 14 -> 4
    digits = with_two_check_digits("123")
    assert digits[:3] == "123"
    assert int(digits[3]) == collector_check_digit("123")
    assert int(digits[4]) == collector_check_digit(digits[:4])


# --- on every backend --------------------------------------------------------------------


async def test_generates_every_table_consistently(empty_engine: AsyncEngine) -> None:
    # given an empty database
    assert not await is_demo_database(empty_engine)

    # when the demo is generated
    summary = await generate_demo(empty_engine, customers=25, seed=3, today=TODAY)

    # then it is recognised, the summary counts what was stored, and the money adds up
    assert await is_demo_database(empty_engine)
    async with empty_engine.connect() as conn:
        for field, table in (
            ("customers", t.customers), ("invoices", t.invoices), ("invoice_lines", t.invoice_lines),
            ("payments", t.payments), ("tickets", t.tickets), ("ticket_messages", t.ticket_messages),
            ("contracts", t.contracts), ("subscriptions", t.subscriptions), ("documents", t.documents),
        ):  # fmt: skip
            stored = (await conn.execute(select(func.count()).select_from(table))).scalar_one()
            assert stored == getattr(summary, field) > 0, field
        await _assert_money_adds_up(conn)


async def test_new_rows_get_fresh_ids_after_generation(empty_engine: AsyncEngine) -> None:
    # given a generated demo (ids were inserted explicitly)
    await generate_demo(empty_engine, customers=20, seed=5, today=TODAY)
    async with empty_engine.begin() as conn:
        highest = (await conn.execute(select(func.max(t.invoices.c.id)))).scalar_one()
        # when the application inserts an invoice without an id
        result = await conn.execute(
            insert(t.invoices).values(
                customer_id=1, company_id=1, kind="INVOICE", letter="B", point_of_sale=99, number=1,
                issue_date=TODAY, due_date=TODAY, currency="ARS", subtotal=Decimal("100"), tax=Decimal("21"),
                total=Decimal("121"), paid_amount=Decimal("0"), void=False,
            )
        )  # fmt: skip
        # then its id follows the generated ones (PostgreSQL's sequence was moved past them)
        assert result.inserted_primary_key[0] == highest + 1


async def _assert_money_adds_up(conn: AsyncConnection) -> None:
    lines_by_invoice: dict[int, list] = defaultdict(list)
    for line in (await conn.execute(select(t.invoice_lines))).all():
        assert line.tax == (line.subtotal * line.tax_rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        assert line.total == line.subtotal + line.tax
        lines_by_invoice[line.invoice_id].append(line)
    allocated: dict[int, Decimal] = defaultdict(Decimal)
    by_payment: dict[int, Decimal] = defaultdict(Decimal)
    for allocation in (await conn.execute(select(t.allocations))).all():
        allocated[allocation.invoice_id] += allocation.amount
        if allocation.payment_id is not None:
            by_payment[allocation.payment_id] += allocation.amount
    for invoice in (await conn.execute(select(t.invoices))).all():
        lines = lines_by_invoice[invoice.id]
        assert lines, invoice.id
        assert invoice.subtotal == sum(ln.subtotal for ln in lines)
        assert invoice.tax == sum(ln.tax for ln in lines)
        assert invoice.total == sum(ln.total for ln in lines) == invoice.subtotal + invoice.tax
        assert invoice.paid_amount == allocated.get(invoice.id, Decimal("0"))
        assert invoice.paid_amount <= invoice.total
    for payment in (await conn.execute(select(t.payments))).all():
        assert payment.amount == by_payment[payment.id]


# --- determinism -------------------------------------------------------------------------


async def test_same_seed_gives_the_same_rows_and_another_seed_does_not(tmp_path: Path) -> None:
    engines = [_sqlite_engine(tmp_path, f"{name}.db") for name in ("a", "b", "c")]
    try:
        # given two generations with the same seed and day, and one with another seed
        for engine, seed in zip(engines, (7, 7, 8)):
            await generate_demo(engine, customers=20, seed=seed, today=TODAY)
        compared = (t.customers, t.invoices, t.invoice_lines, t.payments, t.allocations, t.tickets)
        contents = []
        for engine in engines:
            async with engine.connect() as conn:
                contents.append({table.name: await _rows(conn, table) for table in compared})
        # then the same seed gives identical rows, another seed different ones
        assert contents[0] == contents[1]
        assert contents[0]["invoices"] != contents[2]["invoices"]
        assert contents[0]["customers"] != contents[2]["customers"]
    finally:
        for engine in engines:
            await engine.dispose()


async def test_progress_bar_goes_to_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    engine = _sqlite_engine(tmp_path, "progress.db")
    try:
        await generate_demo(engine, customers=4, seed=1, today=TODAY, progress=True)
    finally:
        await engine.dispose()
    captured = capsys.readouterr()
    assert "Clientes" in captured.err and captured.out == ""


# --- content (one shared demo) ------------------------------------------------------------


async def test_tax_ids_are_valid(demo: tuple[AsyncEngine, DemoSummary]) -> None:
    engine, _ = demo
    async with engine.connect() as conn:
        customers = (await conn.execute(select(t.customers))).all()
        companies = (await conn.execute(select(t.companies))).all()
    for company in companies:
        assert company.tax_id_kind == "CUIT" and is_valid_cuit(company.tax_id)
        assert company.tax_id[:2] in ("30", "33")
    kinds = defaultdict(int)
    for customer in customers:
        kinds[customer.tax_id_kind] += 1
        if customer.tax_id_kind in ("CUIT", "CUIL"):
            assert is_valid_cuit(customer.tax_id), customer.tax_id
            people = customer.tax_id_kind == "CUIL" or customer.tax_condition == "Monotributo"
            assert customer.tax_id[:2] in (("20", "23", "27") if people else ("30", "33")), customer
        else:
            assert customer.tax_id_kind == "DNI"
            placeholder = customer.tax_id == PLACEHOLDER_TAX_ID
            assert placeholder or (len(customer.tax_id) == 8 and customer.tax_id.isdigit())
        assert len(customer.code) == 6 and customer.code.isdigit()
    assert kinds["CUIT"] and kinds["CUIL"] and kinds["DNI"]


async def test_letters_and_numbering_follow_afip(demo: tuple[AsyncEngine, DemoSummary]) -> None:
    engine, _ = demo
    async with engine.connect() as conn:
        conditions = dict((await conn.execute(select(t.customers.c.id, t.customers.c.tax_condition))).all())
        invoices = (await conn.execute(select(t.invoices))).all()
    sequences: dict[tuple, list] = defaultdict(list)
    for invoice in invoices:
        expected = "A" if conditions[invoice.customer_id] in ("Responsable Inscripto", "Monotributo") else "B"
        assert invoice.letter == expected
        assert invoice.cae is not None and len(invoice.cae) == 14 and invoice.cae.isdigit()
        sequences[(invoice.company_id, invoice.kind, invoice.letter, invoice.point_of_sale)].append(invoice)
        if invoice.kind != "CREDIT_NOTE":
            assert (invoice.due_date - invoice.issue_date).days == 10
        if invoice.barcode is not None:
            assert len(invoice.barcode) == 44
            assert invoice.barcode == with_two_check_digits(invoice.barcode[:42])
            assert int(invoice.barcode[20:28]) == int(invoice.total * 100)
    for rows in sequences.values():
        rows.sort(key=lambda r: r.number)
        assert [r.number for r in rows] == list(range(rows[0].number, rows[0].number + len(rows)))
        assert [r.issue_date for r in rows] == sorted(r.issue_date for r in rows)
    kinds = {invoice.kind for invoice in invoices}
    assert {"INVOICE", "CREDIT_NOTE"} <= kinds


async def test_collections_show_every_state(demo: tuple[AsyncEngine, DemoSummary]) -> None:
    engine, _ = demo
    debit_documents = select(t.invoices).where(t.invoices.c.kind != "CREDIT_NOTE", ~t.invoices.c.void)
    async with engine.connect() as conn:
        invoices = (await conn.execute(debit_documents)).all()
        allocations = (await conn.execute(select(t.allocations))).all()
        contracts = (await conn.execute(select(t.contracts.c.status))).scalars().all()
        suspended = (
            await conn.execute(select(t.customers.c.id).where(t.customers.c.status == "SUSPENDED"))
        ).scalars().all()
    payments_per_invoice: dict[int, int] = defaultdict(int)
    for allocation in allocations:
        if allocation.payment_id is not None:
            payments_per_invoice[allocation.invoice_id] += 1
    credit_allocations = [a for a in allocations if a.credit_note_id is not None]
    overdue = [i for i in invoices if i.paid_amount < i.total and i.due_date < TODAY]
    partial = [i for i in invoices if 0 < i.paid_amount < i.total]
    paid = [i for i in invoices if i.paid_amount == i.total]
    assert overdue and partial
    assert len(paid) > len(invoices) * 0.8  # most bills are paid
    assert any(count >= 2 for count in payments_per_invoice.values())  # paid in two instalments
    assert credit_allocations
    assert "PENDING_SIGNATURE" in contracts and contracts.count("SIGNED") > len(contracts) / 2
    for customer_id in suspended:  # suspended for long overdue debt
        assert any(i.customer_id == customer_id for i in overdue)


async def test_demo_customer_signs_in_for_two_companies(demo: tuple[AsyncEngine, DemoSummary]) -> None:
    engine, summary = demo
    login, password = CUSTOMER_LOGIN
    assert (login, password) in {(s[0], s[1]) for s in summary.sign_ins}
    async with engine.connect() as conn:
        user = (await conn.execute(select(users).where(users.c.login == login))).one()
        links = (await conn.execute(select(user_customers).where(user_customers.c.user_id == user.id))).all()
        ids = [int(link.customer_id) for link in links]
        customers = await conn.execute(select(t.customers).where(t.customers.c.id.in_(ids)))
        linked = {row.id: row for row in customers}
        default = next(int(link.customer_id) for link in links if link.is_default)
        contracts = (await conn.execute(select(t.contracts).where(t.contracts.c.customer_id.in_(ids)))).all()
        invoices = (await conn.execute(select(t.invoices).where(t.invoices.c.customer_id.in_(ids)))).all()
        quotes = (await conn.execute(select(t.quotes).where(t.quotes.c.customer_id.in_(ids)))).all()
        analyst = (await conn.execute(select(users).where(users.c.login == ANALYST_LOGIN[0]))).one()
    overdue = [i for i in invoices if i.kind == "INVOICE" and i.paid_amount < i.total and i.due_date < TODAY]

    # the password is stored as an Argon2id hash that verifies
    assert user.kind == "CUSTOMER" and user.password_hash != password
    assert user.password_hash.startswith("$argon2id$")
    assert PasswordHasher().verify(user.password_hash, password)
    # two accounts of different companies, one of them the default
    assert len(links) == 2 and len({c.company_id for c in linked.values()}) == 2
    assert default == min(linked)
    # realistic: debt past due, a contract to sign, a quote to answer
    assert overdue
    assert "PENDING_SIGNATURE" in {c.status for c in contracts}
    assert "PENDING" in {q.status for q in quotes}
    assert analyst.kind == "STAFF" and analyst.role == "analyst"
    assert PasswordHasher().verify(analyst.password_hash, ANALYST_LOGIN[1])


async def test_ticket_times_are_consistent(demo: tuple[AsyncEngine, DemoSummary]) -> None:
    engine, _ = demo
    async with engine.connect() as conn:
        messages = (await conn.execute(select(t.ticket_messages.c.created_at))).scalars().all()
        tickets = (await conn.execute(select(t.tickets))).all()
    end_of_today = datetime(TODAY.year, TODAY.month, TODAY.day, 23, 59)
    assert all(m.replace(tzinfo=None) <= end_of_today for m in messages)
    for ticket in tickets:
        assert ticket.created_at <= ticket.updated_at
        assert (ticket.closed_at is not None) == (ticket.status == "CLOSED")
