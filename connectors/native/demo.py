"""Believable Argentine billing data for `ventanilla demo`: two companies, customers, three years of history, sign-ins."""

from __future__ import annotations

import random
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from faker import Faker
from sqlalchemy import Table, insert, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from tqdm import tqdm

from ...store import tables as store_tables
from ...store.users import create_user
from . import tables as t
from .demo_billing import add_invoices, assign_numbers
from .demo_commerce import add_commerce, add_contracts, add_documents, add_invoice_comments, assign_commerce_numbers
from .demo_context import CustomerSpec, DemoContext, RowSink
from .demo_customers import add_companies, add_customers, add_plans
from .demo_payments import add_commitments, add_payment_methods, add_payments, assign_receipt_numbers
from .demo_support import add_tickets

CUSTOMER_LOGIN = ("cliente@example.com", "perro.calamar")
ANALYST_LOGIN = ("analista@example.com", "gato.tornillo")
ADMIN_LOGIN = "admin@example.com"

# Rows per executemany: large enough to be fast, small enough to keep each statement's memory modest.
_BATCH = 5_000

# Generated passwords are two words joined by a dot (FEATURES.md A8).
_PASSWORD_WORDS = (
    "perro", "calamar", "gato", "tornillo", "mate", "alfajor", "tero", "carpincho", "quincho", "colectivo",
    "medialuna", "vizcacha", "chamame", "hornero", "zapallo", "bombilla", "guitarra", "paraguas",
)  # fmt: skip


@dataclass(frozen=True)
class DemoSummary:
    customers: int
    companies: int
    plans: int
    subscriptions: int
    invoices: int
    invoice_lines: int
    payments: int
    tickets: int
    ticket_messages: int
    contracts: int
    quotes: int
    orders: int
    delivery_notes: int
    documents: int
    payment_methods: int
    payment_commitments: int
    sign_ins: tuple[tuple[str, str, str], ...]  # (login, password, description)


async def generate_demo(
    engine: AsyncEngine,
    *,
    customers: int = 300,
    seed: int = 7,
    today: date | None = None,
    progress: bool = False,
) -> DemoSummary:
    """Create every native and store table on an empty database and fill them, in one transaction.

    The same `seed`, `customers` and `today` always give the same rows; every date is relative to `today`.
    """
    if customers < 2:
        raise ValueError("the demo needs at least two customers (one per company)")
    ctx = DemoContext(rng=random.Random(seed), fake=Faker("es_AR"), today=today or date.today(), sink=RowSink())
    ctx.fake.seed_instance(seed)
    specs = _generate(ctx, customers, progress)
    async with engine.begin() as conn:
        await conn.run_sync(t.metadata.create_all)
        await conn.run_sync(store_tables.metadata.create_all)
        await _insert_all(conn, ctx.sink, progress)
        if conn.dialect.name == "postgresql":
            await _reset_sequences(conn, ctx.sink)
        sign_ins = await _add_sign_ins(conn, specs, seed)
    return _summary(ctx.sink, sign_ins)


async def is_demo_database(engine: AsyncEngine) -> bool:
    """True when the native tables exist and hold at least one customer (so `ventanilla demo` can reuse it)."""
    async with engine.connect() as conn:
        if not await conn.run_sync(lambda sync: inspect(sync).has_table(t.customers.name)):
            return False
        return (await conn.execute(select(t.customers.c.id).limit(1))).first() is not None


def _generate(ctx: DemoContext, count: int, progress: bool) -> list[CustomerSpec]:
    """Build every row in memory (no I/O), customer by customer, then number documents across customers."""
    add_companies(ctx)
    add_plans(ctx)
    specs = add_customers(ctx, count)
    bar: Iterable[CustomerSpec] = tqdm(
        specs, desc="Clientes", unit=" clientes", file=sys.stderr, disable=not progress, leave=False
    )
    for spec in bar:
        docs = add_invoices(ctx, spec)
        add_payments(ctx, spec, docs)
        add_commitments(ctx, spec, docs)
        add_payment_methods(ctx, spec)
        add_tickets(ctx, spec)
        add_contracts(ctx, spec)
        add_commerce(ctx, spec)
        add_documents(ctx, spec)
        add_invoice_comments(ctx, spec, docs)
    assign_numbers(ctx, {s.id: s.code for s in specs})
    assign_receipt_numbers(ctx)
    assign_commerce_numbers(ctx, specs)
    return specs


def _tables_in_order(sink: RowSink) -> list[Table]:
    return [table for table in t.metadata.sorted_tables if sink.rows.get(table.name)]


async def _insert_all(conn: AsyncConnection, sink: RowSink, progress: bool) -> None:
    tables = _tables_in_order(sink)
    total = sum(len(sink.rows[table.name]) for table in tables)
    with tqdm(total=total, desc="Guardando", unit=" filas", file=sys.stderr, disable=not progress, leave=False) as bar:
        for table in tables:
            rows = sink.rows[table.name]
            for start in range(0, len(rows), _BATCH):
                chunk = rows[start : start + _BATCH]
                await conn.execute(insert(table), chunk)
                bar.update(len(chunk))


async def _reset_sequences(conn: AsyncConnection, sink: RowSink) -> None:
    """Ids were inserted explicitly, which PostgreSQL's sequences do not see: move them past the largest id."""
    for table in _tables_in_order(sink):
        if "id" in table.c:
            await conn.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), (SELECT max(id) FROM {table.name}))")
            )


async def _add_sign_ins(conn: AsyncConnection, specs: list[CustomerSpec], seed: int) -> tuple[tuple[str, str, str], ...]:
    """The demo customer acts for two accounts of different companies (FEATURES.md A10); staff see everything."""
    home, business = specs[0], next(s for s in specs if s.company is not specs[0].company)
    login, password = CUSTOMER_LOGIN
    await create_user(
        conn, login=login, name="Cliente Demo", password=password, kind="CUSTOMER",
        customer_ids=[str(home.id), str(business.id)],
    )  # fmt: skip
    analyst_login, analyst_password = ANALYST_LOGIN
    await create_user(conn, login=analyst_login, name="Analista Demo", password=analyst_password, kind="STAFF", role="analyst")
    words = random.Random(f"ventanilla-admin-{seed}").sample(_PASSWORD_WORDS, 2)
    admin_password = ".".join(words)
    await create_user(conn, login=ADMIN_LOGIN, name="Administrador Demo", password=admin_password, kind="STAFF", role="admin")
    return (
        (login, password, f"Cliente con dos cuentas: {home.name} ({home.company.name}) y {business.name} ({business.company.name})"),
        (analyst_login, analyst_password, "Analista: lectura de todos los clientes"),
        (ADMIN_LOGIN, admin_password, "Administrador"),
    )


def _summary(sink: RowSink, sign_ins: tuple[tuple[str, str, str], ...]) -> DemoSummary:
    return DemoSummary(
        customers=sink.count(t.customers), companies=sink.count(t.companies), plans=sink.count(t.plans),
        subscriptions=sink.count(t.subscriptions), invoices=sink.count(t.invoices),
        invoice_lines=sink.count(t.invoice_lines), payments=sink.count(t.payments), tickets=sink.count(t.tickets),
        ticket_messages=sink.count(t.ticket_messages), contracts=sink.count(t.contracts), quotes=sink.count(t.quotes),
        orders=sink.count(t.orders), delivery_notes=sink.count(t.delivery_notes), documents=sink.count(t.documents),
        payment_methods=sink.count(t.payment_methods), payment_commitments=sink.count(t.payment_commitments),
        sign_ins=sign_ins,
    )  # fmt: skip
