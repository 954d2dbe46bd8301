"""The bench databases: the demo generator at scale S or M on PostgreSQL, bench users, tokens."""

from __future__ import annotations

import asyncio
import base64
import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import asyncpg
from sqlalchemy.ext.asyncio import create_async_engine

PG = "postgres@127.0.0.1:5432"
SECRET = "ventanilla-bench-secret-key-of-32-bytes!!"
# The generator's "today": pinned so that the same scale always gives the same rows.
TODAY = date(2026, 11, 1)
CUT_OFF = date(2026, 10, 31)  # W3's statement date
# XS is a smoke scale (a run that shows the bench works, not numbers to compare).
SCALES = {"XS": 200, "S": 1_000, "M": 20_000}
BENCH_PASSWORD = "perro.calamar"
ANALYST = ("analista@example.com", "gato.tornillo")


def database_name(scale: str) -> str:
    return f"ventanilla_bench_{scale.lower()}"


def sqlalchemy_url(scale: str) -> str:
    return f"postgresql+asyncpg://{PG}/{database_name(scale)}"


def libpq_url(scale: str, port: int = 5432) -> str:
    return f"postgresql://postgres@127.0.0.1:{port}/{database_name(scale)}"


async def _exists(name: str) -> bool:
    conn = await asyncpg.connect(f"postgresql://{PG}/postgres")
    try:
        return bool(await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await conn.close()


async def _ready(scale: str) -> bool:
    """The database exists and its bench users were created (the last step of `ensure`)."""
    if not await _exists(database_name(scale)):
        return False
    conn = await asyncpg.connect(libpq_url(scale))
    try:
        return bool(
            await conn.fetchval(
                "SELECT to_regclass('bench_ready') IS NOT NULL AND EXISTS (SELECT 1 FROM bench_ready)"
            )
        )
    finally:
        await conn.close()


async def ensure(scale: str, *, log=print) -> None:
    """Generate the scale's database unless a complete one already exists."""
    name = database_name(scale)
    if await _ready(scale):
        log(f"reusing database {name}")
        await _store_tables(scale)
        return
    from ventanilla.demo.business import generate_demo

    admin = await asyncpg.connect(f"postgresql://{PG}/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    log(f"generating {name}: {SCALES[scale]:,} customers (demo generator, seed 7, today {TODAY})")
    started = time.monotonic()
    engine = create_async_engine(sqlalchemy_url(scale))
    try:
        summary = await generate_demo(engine, customers=SCALES[scale], seed=7, today=TODAY, progress=True)
    finally:
        await engine.dispose()
    log(
        f"  {summary.customers:,} customers, {summary.invoices:,} invoices, "
        f"{summary.invoice_lines:,} lines, {summary.payments:,} payments, {summary.tickets:,} tickets "
        f"in {time.monotonic() - started:.0f} s"
    )
    await _add_bench_users(scale)
    conn = await asyncpg.connect(libpq_url(scale))
    try:
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


def sap_database_name(scale: str) -> str:
    """The same business in SAP ECC's own tables (the `sap` mapping), for W1 over a mapped source."""
    return f"{database_name(scale)}_sap"


def sap_sqlalchemy_url(scale: str, port: int = 5432) -> str:
    return f"postgresql+asyncpg://postgres@127.0.0.1:{port}/{sap_database_name(scale)}"


async def ensure_sap(scale: str, *, log=print) -> None:
    """Write the scale's business (same seed and day as `ensure`, so the same customers and ids)
    into SAP-style tables, unless it is there. The store stays the native bench database: its
    users and sessions sign the requests in, and [routes] sends every SAP domain to this one."""
    name = sap_database_name(scale)
    if await _exists(name):
        conn = await asyncpg.connect(f"postgresql://{PG}/{name}")
        try:
            if await conn.fetchval("SELECT to_regclass('bench_ready') IS NOT NULL"):
                log(f"reusing database {name}")
                return
        finally:
            await conn.close()
    from ventanilla.demo.legacy import WRITERS

    admin = await asyncpg.connect(f"postgresql://{PG}/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    log(f"generating {name}: {SCALES[scale]:,} customers in SAP ECC tables (seed 7, today {TODAY})")
    started = time.monotonic()
    engine = create_async_engine(sap_sqlalchemy_url(scale))
    try:
        counts = await WRITERS["sap"](engine, customers=SCALES[scale], seed=7, today=TODAY)
    finally:
        await engine.dispose()
    log(
        "  "
        + ", ".join(f"{table} {n:,}" for table, n in counts.items() if n)
        + f" in {time.monotonic() - started:.0f} s"
    )
    conn = await asyncpg.connect(f"postgresql://{PG}/{name}")
    try:
        await conn.execute("VACUUM ANALYZE")
        await conn.execute("CREATE TABLE bench_ready (done boolean)")
    finally:
        await conn.close()


async def _store_tables(scale: str) -> None:
    """Store tables added since the database was generated (sessions ...): created, empty."""
    from ventanilla.store.schema import migrate

    engine = create_async_engine(sqlalchemy_url(scale))
    try:
        await migrate(engine)
    finally:
        await engine.dispose()


async def _add_bench_users(scale: str) -> None:
    """One customer user per customer (login bench-<id>@example.com), one Argon2 hash for all."""
    from ventanilla.auth.passwords import hash_password

    digest = await hash_password(BENCH_PASSWORD)
    now = datetime.now(UTC)
    conn = await asyncpg.connect(libpq_url(scale))
    try:
        async with conn.transaction():
            ids = [r["id"] for r in await conn.fetch("SELECT id FROM customers ORDER BY id")]
            base = await conn.fetchval("SELECT coalesce(max(id), 0) FROM users")
            await conn.copy_records_to_table(
                "users",
                records=[
                    (base + i + 1, f"bench-{cid}@example.com", f"Bench {cid}", digest, "CUSTOMER", None,
                     False, False, now)
                    for i, cid in enumerate(ids)
                ],
                columns=["id", "login", "name", "password_hash", "kind", "role",
                         "must_change_password", "disabled", "created_at"],
            )  # fmt: skip
            await conn.copy_records_to_table(
                "user_customers",
                records=[(base + i + 1, str(cid), True) for i, cid in enumerate(ids)],
                columns=["user_id", "customer_id", "is_default"],
            )
            await conn.execute(
                "SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT max(id) FROM users))"
            )
            await conn.execute("CREATE TABLE bench_ready (done boolean)")
            await conn.execute("INSERT INTO bench_ready VALUES (true)")
    finally:
        await conn.close()


@dataclass(frozen=True)
class Account:
    customer_id: int
    user_id: int
    token: str
    w2_after: str  # Ventanilla-format cursor of the 12th newest invoice (W2 asks for the page after it)
    w2_after_id: int  # that invoice's id, for PostGraphile's own cursor


def _cursor(*parts: object) -> str:
    return base64.urlsafe_b64encode("|".join(str(p) for p in parts).encode()).decode().rstrip("=")


async def accounts(scale: str, count: int) -> list[Account]:
    """`count` customers with three years of invoices (36 or more), in a fixed shuffled order, with tokens."""
    from ventanilla.auth.tokens import issue_access_token

    conn = await asyncpg.connect(libpq_url(scale))
    try:
        rows = await conn.fetch(
            """
            SELECT u.id AS user_id, c.id AS customer_id, p.issue_date, p.id AS invoice_id
            FROM customers c
            JOIN user_customers uc ON uc.customer_id = c.id::text
            JOIN users u ON u.id = uc.user_id AND u.login LIKE 'bench-%'
            CROSS JOIN LATERAL (
                SELECT i.issue_date, i.id FROM invoices i WHERE i.customer_id = c.id
                ORDER BY i.issue_date DESC, i.id DESC OFFSET 11 LIMIT 1
            ) p
            WHERE (SELECT count(*) FROM invoices i WHERE i.customer_id = c.id) >= 36
            ORDER BY c.id
            """
        )
    finally:
        await conn.close()
    rows = list(rows)
    random.Random(42).shuffle(rows)
    rows = rows[:count]
    sessions = await open_sessions(scale, [r["user_id"] for r in rows])
    return [
        Account(
            customer_id=r["customer_id"],
            user_id=r["user_id"],
            token=issue_access_token(SECRET, r["user_id"], 24 * 60, sessions[r["user_id"]])[0],
            w2_after=_cursor(r["issue_date"].isoformat(), r["invoice_id"]),
            w2_after_id=r["invoice_id"],
        )
        for r in rows
    ]


async def analyst_cursors(scale: str, today: date) -> tuple[int, list[str]]:
    """(analyst user id, `after` cursors spread over the overdue-customer listing) for W4."""
    conn = await asyncpg.connect(libpq_url(scale))
    try:
        analyst = await conn.fetchval("SELECT id FROM users WHERE login = $1", ANALYST[0])
        rows = await conn.fetch(
            """
            SELECT c.name, c.code, c.id FROM customers c
            WHERE EXISTS (SELECT 1 FROM invoices i WHERE i.customer_id = c.id
                          AND i.kind IN ('INVOICE', 'DEBIT_NOTE') AND NOT i.void
                          AND i.total - i.paid_amount > 0 AND i.due_date < $1)
            """,
            today,
        )
    finally:
        await conn.close()
    # The listing's order and its cursor's parts: folded name, code, id (connectors/customer_search.py).
    from ventanilla.connectors.text import fold

    def part(text: str | None) -> str:
        return (text or "").replace("\\", "\\\\").replace("|", "\\|")

    rows = sorted(rows, key=lambda r: (fold(r["name"] or ""), r["code"] or "", r["id"]))
    # Start anywhere in the first half of the listing, so that each page has 100 customers.
    usable = rows[: max(1, len(rows) - 100)]
    return analyst, [_cursor(part(fold(r["name"] or "")), part(r["code"]), r["id"]) for r in usable[::3]]


async def open_sessions(scale: str, user_ids: list[int]) -> dict[int, str]:
    """A live session (a day) per user, as signIn opens one: every user token names its session."""
    sessions = {user_id: uuid.uuid4().hex for user_id in user_ids}
    now = datetime.now(UTC)
    conn = await asyncpg.connect(libpq_url(scale))
    try:
        await conn.executemany(
            "INSERT INTO sessions (id, user_id, remember, created_at, expires_at) VALUES ($1, $2, false, $3, $4)",
            [(sid, user_id, now, now + timedelta(days=1)) for user_id, sid in sessions.items()],
        )
    finally:
        await conn.close()
    return sessions


async def token_for(scale: str, user_id: int) -> str:
    from ventanilla.auth.tokens import issue_access_token

    (session,) = (await open_sessions(scale, [user_id])).values()
    return issue_access_token(SECRET, user_id, 24 * 60, session)[0]


if __name__ == "__main__":
    import sys

    asyncio.run(ensure(sys.argv[1] if len(sys.argv) > 1 else "S"))
