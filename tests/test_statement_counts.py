"""SQL statements per request grow with the depth of the query, not with how much comes back."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import create_async_engine
from ventanilla.connectors.native import tables as t
from ventanilla.settings import Settings
from ventanilla.store.schema import migrate
from ventanilla.store.users import create_user
from ventanilla.web.app import create_app

SECRET = "statement-count-secret-of-32-bytes!!"
TODAY = date(2026, 6, 15)

DASHBOARD = """
{ viewer { customer {
    name
    account { unpaidTotal { amount } balance { amount } availableCredit { amount } }
    invoices(first: 12) { nodes { number total { amount } lines { description total { amount } } } }
    tickets(first: 20, filter: {openOnly: true}) { nodes { subject messages { body author } } }
    contracts { nodes { title status } }
    subscriptions { price { amount } plan { name downloadMbps } promotions { name } }
} } }
"""

ALL_INVOICES = """
{ viewer { accounts {
    invoices(first: 100) { nodes { number status lines { description total { amount } } } }
} } }
"""

ANALYST = """
{ customers(first: 100) { nodes { name account { overdue { amount } balance { amount } } invoices(first: 3) { nodes { number } } } } }
"""


async def build_business(url: str, customers: int, invoices_per_customer: int) -> None:
    """`customers` accounts with `invoices_per_customer` invoices of 2 lines, tickets, contracts, plans."""
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await migrate(conn)
        await conn.execute(insert(t.companies), [{"id": 1, "code": "C1", "name": "Conexión Sur S.A.", "currency": "ARS", "country": "AR"}])
        await conn.execute(insert(t.plans), [
            {"id": p, "code": f"P{p}", "name": f"Fibra {p * 100} Mb", "download_mbps": p * 100, "upload_mbps": p * 50,
             "price": Decimal(10000 * p), "currency": "ARS", "available_in_portal": True} for p in (1, 2)])
        await conn.execute(insert(t.promotions), [{"id": 1, "plan_id": 1, "name": "50% 3 meses", "discount_percent": Decimal(50), "months": 3}])
        rows: dict = {k: [] for k in ("customers", "invoices", "lines", "tickets", "messages", "contracts", "subs", "subpromos")}
        now = datetime(2026, 6, 1, tzinfo=UTC)
        for c in range(1, customers + 1):
            rows["customers"].append({"id": c, "code": f"{c:06d}", "name": f"Cliente {c:04d}", "status": "ACTIVE", "company_id": 1,
                                      "currency": "ARS", "credit_limit": Decimal(500000), "created_on": date(2020, 1, 1)})
            for i in range(invoices_per_customer):
                inv = c * 1000 + i
                issued = TODAY - timedelta(days=30 * i)
                rows["invoices"].append({"id": inv, "customer_id": c, "company_id": 1, "kind": "INVOICE", "letter": "B", "point_of_sale": 3,
                                         "number": inv, "issue_date": issued, "due_date": issued + timedelta(days=10), "currency": "ARS",
                                         "subtotal": Decimal("200.00"), "tax": Decimal("42.00"), "total": Decimal("242.00"),
                                         "paid_amount": Decimal("0.00") if i < 2 else Decimal("242.00"), "void": False})
                for pos in (1, 2):
                    rows["lines"].append({"id": inv * 10 + pos, "invoice_id": inv, "position": pos, "description": f"Abono {pos}",
                                          "quantity": Decimal(1), "unit_price": Decimal(100), "tax_rate": Decimal(21), "subtotal": Decimal(100),
                                          "tax": Decimal(21), "total": Decimal(121)})
            for k in range(3):
                tid = c * 10 + k
                rows["tickets"].append({"id": tid, "customer_id": c, "number": f"T{tid}", "subject": "Sin conexión", "status": "OPEN",
                                        "created_at": now + timedelta(hours=k), "updated_at": now + timedelta(hours=k)})
                rows["messages"] += [{"id": tid * 10 + m, "ticket_id": tid, "author_name": "Soporte", "from_customer": m == 0,
                                      "body": f"Mensaje {m}", "internal": False, "created_at": now + timedelta(hours=k, minutes=m)} for m in range(2)]
            for k in range(2):
                rows["contracts"].append({"id": c * 10 + k, "customer_id": c, "number": f"CT{c}-{k}", "title": "Contrato de servicio",
                                          "status": "SIGNED", "issued_at": now - timedelta(days=k), "body": "Texto"})
                rows["subs"].append({"id": c * 10 + k, "customer_id": c, "plan_id": 1 + k, "status": "ACTIVE", "price": Decimal(10000),
                                     "currency": "ARS", "street": "Calle España 1234"})
                rows["subpromos"].append({"id": c * 10 + k, "subscription_id": c * 10 + k, "promotion_id": 1, "valid_from": date(2026, 1, 1)})
        for table, key in ((t.customers, "customers"), (t.invoices, "invoices"), (t.invoice_lines, "lines"), (t.tickets, "tickets"),
                           (t.ticket_messages, "messages"), (t.contracts, "contracts"), (t.subscriptions, "subs"),
                           (t.subscription_promotions, "subpromos")):
            await conn.execute(insert(table), rows[key])
        await create_user(conn, login="cliente@example.com", name="Cliente", password="perro.calamar", kind="CUSTOMER",
                          customer_ids=[str(c) for c in range(1, min(customers, 3) + 1)])
        await create_user(conn, login="analista@example.com", name="Analista", password="gato.tornillo", kind="STAFF", role="analyst")
    await engine.dispose()


async def statements_for(url: str, query: str, login: tuple[str, str]) -> tuple[int, dict]:
    """(SQL statements the query cost, its answer), signing in outside the count."""
    app = create_app(Settings(database_url=url, secret_key=SECRET, timezone="UTC"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        signed = await client.post("/graphql", json={"query": f'mutation {{ signIn(input: {{login: "{login[0]}", password: "{login[1]}"}}) {{ accessToken }} }}'})
        token = signed.json()["data"]["signIn"]["accessToken"]
        executed: list[str] = []
        listener = lambda *args: executed.append(args[2])  # noqa: E731  (conn, cursor, statement, ...)
        engines = [app.state.engine.sync_engine, app.state.reads.sync_engine]  # store and billing reads
        for engine in engines:
            event.listen(engine, "before_cursor_execute", listener)
        body = (await client.post("/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"})).json()
        for engine in engines:
            event.remove(engine, "before_cursor_execute", listener)
    await app.state.close()
    assert "errors" not in body, body
    return len(executed), body


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_dashboard_costs_the_same_statements_for_10_and_100_invoices(backend, tmp_path, request):
    fresh_database = request.getfixturevalue("fresh_database_factory")
    counts = {}
    for invoices in (10, 100):
        async with fresh_database(backend, tmp_path) as url:
            await build_business(url, customers=3, invoices_per_customer=invoices)
            dashboard, body = await statements_for(url, DASHBOARD, ("cliente@example.com", "perro.calamar"))
            everything, all_body = await statements_for(url, ALL_INVOICES, ("cliente@example.com", "perro.calamar"))
            counts[invoices] = (dashboard, everything)
            returned = sum(len(a["invoices"]["nodes"]) for a in all_body["data"]["viewer"]["accounts"])
            assert returned == 3 * invoices  # every invoice of the 3 accounts, with its lines
            assert len(body["data"]["viewer"]["customer"]["invoices"]["nodes"]) == min(12, invoices)
    print(f"\n{backend}: statements per request (dashboard, all invoices of 3 accounts) = {counts}")
    assert counts[10] == counts[100]
    # the user with its accounts and its session (1: one joined statement, auth/sessions.py),
    # customer, account totals, invoices, lines, tickets, messages, attachments, contracts,
    # subscriptions, promotions, plans: one each; the feature switches (one read per request,
    # shared by the tickets, contracts and plans that check theirs: resolvers/context.py)
    assert counts[100][0] == 13


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_analyst_list_costs_the_same_statements_for_5_and_60_customers(backend, tmp_path, request):
    fresh_database = request.getfixturevalue("fresh_database_factory")
    counts = {}
    for size in (5, 60):
        async with fresh_database(backend, tmp_path) as url:
            await build_business(url, customers=size, invoices_per_customer=4)
            counts[size], body = await statements_for(url, ANALYST, ("analista@example.com", "gato.tornillo"))
            assert len(body["data"]["customers"]["nodes"]) == size
    print(f"\n{backend}: statements for the analyst list (5, 60 customers) = {counts}")
    assert counts[5] == counts[60]
