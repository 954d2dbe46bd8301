"""Believable Argentine billing data for `ventanilla demo`: two companies, three years of history, sign-ins."""

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

from ..auth.logins import identifiers_of
from ..connectors.native import tables as t
from ..store.blobs import BlobStore
from ..store.schema import upgrade
from ..store.users import add_identifiers, create_user
from .billing import add_invoices, assign_numbers
from .commerce import (
    add_commerce,
    add_contracts,
    add_documents,
    add_invoice_comments,
    assign_commerce_numbers,
)
from .context import CustomerSpec, DemoContext, RowSink
from .customers import add_companies, add_customers, add_plans
from .payments import add_commitments, add_payment_methods, add_payments, assign_receipt_numbers
from .support import add_tickets

CUSTOMER_LOGIN = ("cliente@example.com", "perro.calamar")
ANALYST_LOGIN = ("analista@example.com", "gato.tornillo")
ADMIN_LOGIN = "admin@example.com"
AGENT_LOGIN = "agente@example.com"

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
    blobs: BlobStore | None = None,
) -> DemoSummary:
    """Create every native and store table on an empty database and fill them, in one transaction;
    the files the tickets attach go to `blobs` (without it, the rows name them but nothing holds them).

    The same `seed`, `customers` and `today` always give the same rows; every date is relative to `today`.
    """
    sink, specs = build_demo_rows(customers=customers, seed=seed, today=today, progress=progress)
    async with engine.begin() as conn:
        await upgrade(conn)  # every store and native table, by the migrations (store/schema.py)
        await _insert_all(conn, sink, progress)
        if conn.dialect.name == "postgresql":
            await _reset_sequences(conn, sink)
        sign_ins = await _add_sign_ins(conn, specs, seed)
    if blobs is not None:
        for content, content_type in sink.files.values():
            await blobs.put(content, content_type)
    return _summary(sink, sign_ins)


def build_demo_rows(
    *, customers: int = 300, seed: int = 7, today: date | None = None, progress: bool = False
) -> tuple[RowSink, list[CustomerSpec]]:
    """Every native row of the demo business, in memory (no I/O): the legacy demo writers reshape them."""
    if customers < 2:
        raise ValueError("the demo needs at least two customers (one per company)")
    fake = Faker("es_AR")
    fake.seed_instance(seed)  # Faker's own generator, never the global `random`
    ctx = DemoContext(rng=random.Random(seed), fake=fake, today=today or date.today(), sink=RowSink())
    specs = _generate(ctx, customers, progress)
    return ctx.sink, specs


async def is_demo_database(engine: AsyncEngine) -> bool:
    """True when the native tables exist and hold at least one customer (`ventanilla demo` then reuses it)."""
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
    with tqdm(
        total=total, desc="Guardando", unit=" filas", file=sys.stderr, disable=not progress, leave=False
    ) as bar:
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
            name = table.name  # our own table names, not input
            await conn.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))")
            )


async def _add_sign_ins(
    conn: AsyncConnection, specs: list[CustomerSpec], seed: int
) -> tuple[tuple[str, str, str], ...]:
    """The demo customer acts for two accounts of different companies (FEATURES.md A10); staff see everything."""
    home, business = specs[0], next(s for s in specs if s.company is not specs[0].company)
    login, password = CUSTOMER_LOGIN
    user_id = await create_user(
        conn, login=login, name="Cliente Demo", password=password, kind="CUSTOMER",
        customer_ids=[str(home.id), str(business.id)],
    )  # fmt: skip
    # It may also sign in with its accounts' tax id or customer code (login field, FEATURES.md A1).
    for spec in (home, business):
        await add_identifiers(conn, user_id, identifiers_of(spec.tax_id, spec.code))
    analyst_login, analyst_password = ANALYST_LOGIN
    await create_user(
        conn, login=analyst_login, name="Analista Demo", password=analyst_password, kind="STAFF",
        role="analyst",
    )  # fmt: skip
    # A generated two-word password (FEATURES.md A8), the same for the same seed.
    admin_password = ".".join(random.Random(f"ventanilla-admin-{seed}").sample(_PASSWORD_WORDS, 2))
    await create_user(
        conn, login=ADMIN_LOGIN, name="Administrador Demo", password=admin_password, kind="STAFF",
        role="admin",
    )  # fmt: skip
    # The helpdesk (StaffRole.AGENT): answers and closes tickets, settles payment receipts.
    agent_password = ".".join(random.Random(f"ventanilla-agent-{seed}").sample(_PASSWORD_WORDS, 2))
    await create_user(
        conn, login=AGENT_LOGIN, name="Agente Demo", password=agent_password, kind="STAFF", role="agent",
    )  # fmt: skip
    accounts = f"{home.name} ({home.company.name}) y {business.name} ({business.company.name})"
    return (
        (login, password, f"Cliente con dos cuentas: {accounts}"),
        (analyst_login, analyst_password, "Analista: lectura de todos los clientes"),
        (AGENT_LOGIN, agent_password, "Agente (mesa de ayuda): responde y cierra tickets"),
        (ADMIN_LOGIN, admin_password, "Administrador"),
    )


_COUNTED = (
    t.customers, t.companies, t.plans, t.subscriptions, t.invoices, t.invoice_lines, t.payments, t.tickets,
    t.ticket_messages, t.contracts, t.quotes, t.orders, t.delivery_notes, t.documents, t.payment_methods,
    t.payment_commitments,
)  # fmt: skip


def _summary(sink: RowSink, sign_ins: tuple[tuple[str, str, str], ...]) -> DemoSummary:
    # DemoSummary's count fields are named after the tables they count.
    return DemoSummary(**{table.name: sink.count(table) for table in _COUNTED}, sign_ins=sign_ins)
