"""The floor: a minimal Starlette endpoint answering W1–W4's JSON from hand-written SQL (asyncpg).

No GraphQL, no ORM, no per-field work: the fastest a Python service does the same job.
It authenticates like Ventanilla (the same signed token, the user and its accounts read
on every request) and answers the same fields and rows. One connection per request, the
statements one after the other; orjson writes the answer.

    python -m bench.contenders.floor --dsn postgresql://... --port 8102
"""

from __future__ import annotations

import argparse
import base64
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import asyncpg
import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from ventanilla.auth.tokens import TokenError, read_access_token

from . import listing

SECRET = os.environ.get("VENTANILLA_SECRET_KEY", "")
ZONE = ZoneInfo("America/Argentina/Buenos_Aires")
ZERO = Decimal("0.00")
CENT = Decimal("0.01")
COUNT = os.environ.get("BENCH_COUNT_STATEMENTS") == "1"
statements = 0


def _default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError


def _json(body: object, status: int = 200) -> Response:
    return Response(orjson.dumps(body, default=_default), status, media_type="application/json")


def _money(value: Decimal | None) -> dict | None:
    return None if value is None else {"amount": value}


def _number(letter: str, pos: int, number: int) -> str:
    return f"{letter} {pos:04d}-{number:08d}"


def _cursor(*parts: object) -> str:
    return base64.urlsafe_b64encode("|".join(str(p) for p in parts).encode()).decode().rstrip("=")


def _uncursor(cursor: str) -> list[str]:
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().rsplit("|", 1)


def _status(void: bool, kind: str, total: Decimal, due: Decimal, due_date: date | None, today: date) -> str:
    if void:
        return "VOID"
    if due <= ZERO:
        return "PAID"
    if kind != "CREDIT_NOTE" and due_date and due_date < today:
        return "OVERDUE"
    return "PARTIALLY_PAID" if due < total else "OPEN"


class Unauthorized(Exception):
    pass


USER = """SELECT u.kind, u.disabled, uc.customer_id FROM users u
LEFT JOIN user_customers uc ON uc.user_id = u.id WHERE u.id = $1
ORDER BY uc.is_default DESC, uc.customer_id"""

TOTALS = """SELECT c.id, c.name, c.code, c.status, c.currency, c.credit_limit,
  coalesce(d.unpaid_total, 0)::numeric(14,2) AS unpaid_total, coalesce(d.debits, 0)::numeric(14,2) AS debits,
  coalesce(d.credit_notes, 0)::numeric(14,2) AS credit_notes, coalesce(d.overdue, 0)::numeric(14,2) AS overdue, coalesce(p.paid, 0)::numeric(14,2) AS paid
FROM customers c
LEFT JOIN LATERAL (
  SELECT sum(CASE WHEN i.kind IN ('INVOICE','DEBIT_NOTE') AND i.total - i.paid_amount > 0
                  THEN i.total - i.paid_amount ELSE 0 END) AS unpaid_total,
         sum(CASE WHEN i.kind IN ('INVOICE','DEBIT_NOTE') THEN i.total ELSE 0 END) AS debits,
         sum(CASE WHEN i.kind = 'CREDIT_NOTE' THEN i.total ELSE 0 END) AS credit_notes,
         sum(CASE WHEN i.kind IN ('INVOICE','DEBIT_NOTE') AND i.due_date < $2 AND i.total - i.paid_amount > 0
                  THEN i.total - i.paid_amount ELSE 0 END) AS overdue
  FROM invoices i WHERE i.customer_id = c.id AND NOT i.void) d ON true
LEFT JOIN LATERAL (SELECT sum(amount) AS paid FROM payments WHERE customer_id = c.id) p ON true
WHERE c.id = ANY($1::int[])"""

INVOICE_COLUMNS = "i.id, i.kind, i.letter, i.point_of_sale, i.number, i.issue_date, i.due_date, i.total, i.paid_amount, i.void"

INVOICES_WITH_LINES = f"""SELECT v.*, l.description, l.quantity, l.total AS line_total FROM (
  SELECT {INVOICE_COLUMNS} FROM invoices i WHERE i.customer_id = $1
  ORDER BY i.issue_date DESC, i.id DESC LIMIT 13) v
LEFT JOIN invoice_lines l ON l.invoice_id = v.id
ORDER BY v.issue_date DESC, v.id DESC, l.position, l.id"""

INVOICES_AFTER = f"""SELECT {INVOICE_COLUMNS} FROM invoices i WHERE i.customer_id = $1
  AND (i.issue_date < $2 OR (i.issue_date = $2 AND i.id < $3))
ORDER BY i.issue_date DESC, i.id DESC LIMIT 51"""

TICKETS = """SELECT t.id, t.number, t.subject, t.status, m.author_name, m.body, m.created_at FROM (
  SELECT id, number, subject, status, created_at FROM tickets
  WHERE customer_id = $1 AND status <> 'CLOSED' ORDER BY created_at DESC, id DESC LIMIT 10) t
LEFT JOIN ticket_messages m ON m.ticket_id = t.id AND NOT m.internal
ORDER BY t.created_at DESC, t.id DESC, m.created_at, m.id"""

CONTRACTS = """SELECT title, status FROM contracts WHERE customer_id = $1
ORDER BY issued_at DESC, id DESC LIMIT 20"""

SUBSCRIPTIONS = """SELECT s.id, s.price, s.street, s.city, p.name AS plan_name, p.download_mbps,
  pr.name AS promotion, sp.valid_from, sp.valid_to
FROM subscriptions s JOIN plans p ON p.id = s.plan_id
LEFT JOIN subscription_promotions sp ON sp.subscription_id = s.id
LEFT JOIN promotions pr ON pr.id = sp.promotion_id
WHERE s.customer_id = $1 ORDER BY s.id, sp.valid_from, sp.id"""

OPEN_ITEMS = """SELECT * FROM (
  SELECT i.kind, i.letter, i.point_of_sale, i.number AS sequence, NULL::text AS receipt, i.id AS document_id,
    0 AS kind_rank, i.issue_date AS posted_on, coalesce(i.due_date, i.issue_date) AS due_date,
    i.total - coalesce((SELECT sum(a.amount) FROM allocations a
                        WHERE a.invoice_id = i.id AND a.cleared_on <= $2), 0) AS open_amount
  FROM invoices i WHERE i.customer_id = $1 AND NOT i.void AND i.issue_date <= $2
    AND i.kind IN ('INVOICE', 'DEBIT_NOTE')
  UNION ALL
  SELECT i.kind, i.letter, i.point_of_sale, i.number, NULL, i.id, 1, i.issue_date, i.issue_date,
    i.total - coalesce((SELECT sum(a.amount) FROM allocations a
                        WHERE a.credit_note_id = i.id AND a.cleared_on <= $2), 0)
  FROM invoices i WHERE i.customer_id = $1 AND NOT i.void AND i.issue_date <= $2 AND i.kind = 'CREDIT_NOTE'
  UNION ALL
  SELECT 'PAYMENT', NULL, NULL, NULL, p.number, p.id, 2, p.paid_on, p.paid_on,
    p.amount - coalesce((SELECT sum(a.amount) FROM allocations a
                         WHERE a.payment_id = p.id AND a.cleared_on <= $2), 0)
  FROM payments p WHERE p.customer_id = $1 AND p.paid_on <= $2
) items WHERE round(open_amount, 2) > 0
ORDER BY due_date, posted_on, document_id, kind_rank"""

# In the API's listing order (listing.py), served by the native store's index on it.
OVERDUE_CUSTOMERS = f"""SELECT c.id, {listing.FOLDED_NAME} AS folded_name, c.code FROM customers c
WHERE ({listing.ORDER}) > ($1, $2, $3)
  AND EXISTS (SELECT 1 FROM invoices i WHERE i.customer_id = c.id AND i.kind IN ('INVOICE', 'DEBIT_NOTE')
              AND NOT i.void AND round(i.total - i.paid_amount, 2) > 0 AND i.due_date < $4)
ORDER BY {listing.ORDER} LIMIT 101"""


def _account(row: asyncpg.Record) -> dict:
    balance = row["credit_notes"] + row["paid"] - row["debits"]
    limit = row["credit_limit"]
    return {
        "unpaidTotal": {"amount": row["unpaid_total"], "currency": row["currency"]},
        "balance": {"amount": balance},
        "overdue": {"amount": row["overdue"]},
        "availableCredit": None if limit is None else {"amount": max(ZERO, limit + balance)},
    }


def _invoice(row: asyncpg.Record, today: date) -> dict:
    total, void, kind = row["total"], row["void"], row["kind"]
    due = ZERO if void or kind == "CREDIT_NOTE" else max(total - row["paid_amount"], ZERO)
    return {
        "number": _number(row["letter"], row["point_of_sale"], row["number"]),
        "issueDate": row["issue_date"].isoformat(),
        "dueDate": row["due_date"].isoformat() if row["due_date"] else None,
        "total": {"amount": total},
        "balanceDue": {"amount": due},
        "status": _status(void, kind, total, due, row["due_date"], today),
    }


class Floor:
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.pool: asyncpg.Pool | None = None

    async def start(self) -> None:
        self.pool = await asyncpg.create_pool(self.dsn, min_size=4, max_size=20)

    async def fetch(self, conn: asyncpg.Connection, sql: str, *args: object) -> list[asyncpg.Record]:
        global statements
        if COUNT:
            statements += 1
        return await conn.fetch(sql, *args)

    async def user(self, conn: asyncpg.Connection, request: Request) -> tuple[str, list[str]]:
        header = request.headers.get("authorization", "")
        try:
            claims = read_access_token(SECRET, header.partition(" ")[2])
        except TokenError as exc:
            raise Unauthorized from exc
        rows = await self.fetch(conn, USER, claims.user_id)
        if not rows or rows[0]["disabled"]:
            raise Unauthorized
        return rows[0]["kind"], [r["customer_id"] for r in rows if r["customer_id"] is not None]

    async def handle(self, request: Request) -> Response:
        workload = request.path_params["workload"]
        variables = orjson.loads(await request.body()).get("variables") or {}
        assert self.pool is not None
        try:
            async with self.pool.acquire() as conn:
                kind, accounts = await self.user(conn, request)
                data = await getattr(self, workload)(conn, kind, accounts, variables)
        except Unauthorized:
            return _json({"errors": [{"message": "unauthenticated"}]}, 401)
        return _json({"data": data})

    async def w1(self, conn: asyncpg.Connection, kind: str, accounts: list[str], variables: dict) -> dict:
        today = datetime.now(ZONE).date()
        customer_id = int(accounts[0])
        (customer,) = await self.fetch(conn, TOTALS, [customer_id], today)
        invoices: list[dict] = []
        seen: dict[int, dict] = {}
        for row in await self.fetch(conn, INVOICES_WITH_LINES, customer_id):
            invoice = seen.get(row["id"])
            if invoice is None:
                invoice = seen[row["id"]] = _invoice(row, today)
                invoice["lines"] = []
                invoices.append(invoice)
            if row["description"] is not None:
                invoice["lines"].append(
                    {"description": row["description"], "quantity": row["quantity"],
                     "total": {"amount": row["line_total"]}}
                )  # fmt: skip
        more = len(invoices) > 12
        invoices = invoices[:12]
        ids = list(seen)[: len(invoices)]
        tickets: dict[int, dict] = {}
        for row in await self.fetch(conn, TICKETS, customer_id):
            ticket = tickets.get(row["id"])
            if ticket is None:
                ticket = tickets[row["id"]] = {
                    "number": row["number"], "subject": row["subject"], "status": row["status"], "messages": []
                }  # fmt: skip
            if row["author_name"] is not None:
                ticket["messages"].append(
                    {"author": row["author_name"], "body": row["body"], "createdAt": row["created_at"].isoformat()}
                )
        contracts = [
            {"title": r["title"], "status": r["status"], "pendingSignature": r["status"] == "PENDING_SIGNATURE"}
            for r in await self.fetch(conn, CONTRACTS, customer_id)
        ]
        subscriptions: dict[int, dict] = {}
        for row in await self.fetch(conn, SUBSCRIPTIONS, customer_id):
            sub = subscriptions.get(row["id"])
            if sub is None:
                sub = subscriptions[row["id"]] = {
                    "plan": {"name": row["plan_name"], "downloadMbps": row["download_mbps"]},
                    "price": {"amount": row["price"]},
                    "serviceAddress": {"street": row["street"], "city": row["city"]},
                    "promotions": [],
                }
            if row["promotion"] is not None:
                valid_to = row["valid_to"]
                sub["promotions"].append(
                    {"name": row["promotion"],
                     "active": row["valid_from"] <= today and (valid_to is None or today <= valid_to),
                     "validTo": valid_to.isoformat() if valid_to else None}
                )  # fmt: skip
        end = _cursor(invoices[-1]["issueDate"], ids[-1]) if invoices else None
        return {"viewer": {"customer": {
            "name": customer["name"], "code": customer["code"], "account": _account(customer),
            "invoices": {"nodes": invoices, "pageInfo": {"hasNextPage": more, "endCursor": end}},
            "tickets": {"nodes": list(tickets.values())},
            "contracts": {"nodes": contracts},
            "subscriptions": list(subscriptions.values()),
        }}}  # fmt: skip

    async def w2(self, conn: asyncpg.Connection, kind: str, accounts: list[str], variables: dict) -> dict:
        today = datetime.now(ZONE).date()
        day, last_id = _uncursor(variables["after"])
        rows = await self.fetch(conn, INVOICES_AFTER, int(accounts[0]), date.fromisoformat(day), int(last_id))
        shown = rows[:50]
        end = _cursor(shown[-1]["issue_date"].isoformat(), shown[-1]["id"]) if shown else None
        return {"viewer": {"customer": {"invoices": {
            "nodes": [_invoice(r, today) for r in shown],
            "pageInfo": {"hasNextPage": len(rows) > 50, "endCursor": end},
        }}}}  # fmt: skip

    async def w3(self, conn: asyncpg.Connection, kind: str, accounts: list[str], variables: dict) -> dict:
        customer_id = base64.b64decode(variables["id"]).decode().partition(":")[2]
        if kind != "STAFF" and customer_id not in accounts:
            raise Unauthorized
        cut_off = date.fromisoformat(variables["cutOff"])
        (customer,) = await self.fetch(conn, "SELECT credit_limit FROM customers WHERE id = $1", int(customer_id))
        items = []
        overdue = not_due = ZERO
        aging = [["1-30", 1, 30, ZERO, 0], ["31-60", 31, 60, ZERO, 0], ["61-90", 61, 90, ZERO, 0],
                 ["90+", 91, None, ZERO, 0]]  # fmt: skip
        for row in await self.fetch(conn, OPEN_ITEMS, int(customer_id), cut_off):
            sign = -1 if row["kind"] in ("CREDIT_NOTE", "PAYMENT") else 1
            amount = sign * row["open_amount"].quantize(CENT)
            days = (cut_off - row["due_date"]).days
            if days > 0:
                overdue += amount
            else:
                not_due += amount
            for bucket in aging:
                if days >= bucket[1] and (bucket[2] is None or days <= bucket[2]):
                    bucket[3] += amount
                    bucket[4] += 1
            number = row["receipt"] if row["kind"] == "PAYMENT" else _number(
                row["letter"], row["point_of_sale"], row["sequence"]
            )
            items.append({
                "documentNumber": number, "postedOn": row["posted_on"].isoformat(),
                "dueDate": row["due_date"].isoformat(), "daysOverdue": days, "openAmount": {"amount": amount},
            })  # fmt: skip
        total = overdue + not_due
        limit = customer["credit_limit"]
        return {"customer": {"statement": {
            "creditLimit": _money(limit), "overdue": {"amount": overdue}, "notYetDue": {"amount": not_due},
            "total": {"amount": total},
            "availableCredit": None if limit is None else {"amount": max(ZERO, limit - total)},
            "aging": [{"label": b[0], "amount": {"amount": b[3]}, "items": b[4]} for b in aging],
            "openItems": items,
        }}}  # fmt: skip

    async def w4(self, conn: asyncpg.Connection, kind: str, accounts: list[str], variables: dict) -> dict:
        if kind != "STAFF":
            raise Unauthorized
        today = datetime.now(ZONE).date()
        page = await self.fetch(conn, OVERDUE_CUSTOMERS, *listing.cursor_parts(variables["after"]), today)
        shown = page[:100]
        totals = {r["id"]: r for r in await self.fetch(conn, TOTALS, [r["id"] for r in shown], today)}
        nodes = []
        for row in shown:
            t = totals[row["id"]]
            nodes.append({
                "code": t["code"], "name": t["name"], "status": t["status"],
                "account": {"overdue": {"amount": t["overdue"]},
                            "balance": {"amount": t["credit_notes"] + t["paid"] - t["debits"]}},
            })  # fmt: skip
        last = shown[-1] if shown else None
        end = listing.cursor(last["folded_name"], last["code"], last["id"]) if last else None
        return {"customers": {"nodes": nodes, "pageInfo": {"hasNextPage": len(page) > 100, "endCursor": end}}}


def create_app(dsn: str) -> Starlette:
    floor = Floor(dsn)

    async def stats(request: Request) -> Response:
        return _json({"statements": statements})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await floor.start()
        yield

    return Starlette(
        routes=[Route("/__stats", stats), Route("/{workload:str}", floor.handle, methods=["POST"])],
        lifespan=lifespan,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--port", type=int, default=8102)
    args = parser.parse_args()
    uvicorn.run(create_app(args.dsn), host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
