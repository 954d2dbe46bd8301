"""The naive way: Strawberry over SQLAlchemy ORM relationships, no loaders, as tutorials write it.

Sync resolvers on a sync `Session` per request (psycopg 3), relationships loaded lazily
the first time a resolver touches them (one SELECT per parent: N+1), lists sorted and
sliced in Python. Same field names as Ventanilla's schema, so the bench sends it the same
W1–W4 documents and it answers the same JSON.

    python -m bench.contenders.naive --url postgresql+asyncpg://... --port 8121
"""

from __future__ import annotations

import argparse
import base64
import os
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import strawberry
import uvicorn
from sqlalchemy import create_engine, exists, select, text
from sqlalchemy.orm import DeclarativeBase, Session, relationship, sessionmaker
from strawberry.asgi import GraphQL
from ventanilla.auth.tokens import TokenError, read_access_token
from ventanilla.connectors.native import tables as t
from ventanilla.store import tables as st

from . import listing

SECRET = os.environ.get("VENTANILLA_SECRET_KEY", "")
ZONE = ZoneInfo("America/Argentina/Buenos_Aires")
ZERO = Decimal("0.00")


class Base(DeclarativeBase):
    pass


class UserRow(Base):
    __table__ = st.users
    links = relationship("LinkRow", order_by=lambda: (LinkRow.is_default.desc(), LinkRow.customer_id))


class LinkRow(Base):
    __table__ = st.user_customers


class CustomerRow(Base):
    __table__ = t.customers
    invoices = relationship("InvoiceRow", back_populates="customer")
    payments = relationship("PaymentRow")
    tickets = relationship("TicketRow")
    contracts = relationship("ContractRow")
    subscriptions = relationship("SubscriptionRow", order_by=lambda: SubscriptionRow.id)


class InvoiceRow(Base):
    __table__ = t.invoices
    customer = relationship("CustomerRow", back_populates="invoices")
    lines = relationship("LineRow", order_by=lambda: (LineRow.position, LineRow.id))
    allocations = relationship("AllocationRow", foreign_keys=lambda: [AllocationRow.invoice_id])
    credit_allocations = relationship("AllocationRow", foreign_keys=lambda: [AllocationRow.credit_note_id])


class LineRow(Base):
    __table__ = t.invoice_lines


class PaymentRow(Base):
    __table__ = t.payments
    allocations = relationship("AllocationRow", foreign_keys=lambda: [AllocationRow.payment_id])


class AllocationRow(Base):
    __table__ = t.allocations


class TicketRow(Base):
    __table__ = t.tickets
    messages = relationship("MessageRow", order_by=lambda: (MessageRow.created_at, MessageRow.id))


class MessageRow(Base):
    __table__ = t.ticket_messages


class ContractRow(Base):
    __table__ = t.contracts


class PlanRow(Base):
    __table__ = t.plans


class PromotionRow(Base):
    __table__ = t.promotions


class SubscriptionRow(Base):
    __table__ = t.subscriptions
    plan = relationship("PlanRow")
    applied = relationship("AppliedRow", order_by=lambda: (AppliedRow.valid_from, AppliedRow.id))


class AppliedRow(Base):
    __table__ = t.subscription_promotions
    promotion = relationship("PromotionRow")


def _cursor(*parts: object) -> str:
    return base64.urlsafe_b64encode("|".join(str(p) for p in parts).encode()).decode().rstrip("=")


def _uncursor(cursor: str) -> list[str]:
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().rsplit("|", 1)


def _today() -> date:
    return datetime.now(ZONE).date()


def _owing(row: InvoiceRow) -> Decimal:
    return ZERO if row.void or row.kind == "CREDIT_NOTE" else max(row.total - row.paid_amount, ZERO)


@strawberry.type
class Money:
    amount: Decimal
    currency: str


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Line:
    row: strawberry.Private[LineRow]

    @strawberry.field
    def description(self) -> str:
        return self.row.description

    @strawberry.field
    def quantity(self) -> Decimal:
        return self.row.quantity

    @strawberry.field
    def total(self) -> Money:
        return Money(amount=self.row.total, currency="ARS")


@strawberry.type
class Invoice:
    row: strawberry.Private[InvoiceRow]

    @strawberry.field
    def number(self) -> str:
        r = self.row
        return f"{r.letter} {r.point_of_sale:04d}-{r.number:08d}"

    @strawberry.field
    def issue_date(self) -> date:
        return self.row.issue_date

    @strawberry.field
    def due_date(self) -> date | None:
        return self.row.due_date

    @strawberry.field
    def total(self) -> Money:
        return Money(amount=self.row.total, currency=self.row.currency)

    @strawberry.field
    def balance_due(self) -> Money:
        return Money(amount=_owing(self.row), currency=self.row.currency)

    @strawberry.field
    def status(self) -> str:
        r, due = self.row, _owing(self.row)
        if r.void:
            return "VOID"
        if due <= ZERO:
            return "PAID"
        if r.kind != "CREDIT_NOTE" and r.due_date and r.due_date < _today():
            return "OVERDUE"
        return "PARTIALLY_PAID" if due < r.total else "OPEN"

    @strawberry.field
    def lines(self) -> list[Line]:
        return [Line(row=line) for line in self.row.lines]  # lazy load: one SELECT per invoice


@strawberry.type
class InvoiceConnection:
    nodes: list[Invoice]
    page_info: PageInfo


@strawberry.type
class Message:
    row: strawberry.Private[MessageRow]

    @strawberry.field
    def author(self) -> str:
        return self.row.author_name

    @strawberry.field
    def body(self) -> str:
        return self.row.body

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at


@strawberry.type
class Ticket:
    row: strawberry.Private[TicketRow]

    @strawberry.field
    def number(self) -> str:
        return self.row.number

    @strawberry.field
    def subject(self) -> str:
        return self.row.subject

    @strawberry.field
    def status(self) -> str:
        return self.row.status

    @strawberry.field
    def messages(self) -> list[Message]:
        return [Message(row=m) for m in self.row.messages if not m.internal]


@strawberry.type
class TicketConnection:
    nodes: list[Ticket]


@strawberry.input
class TicketFilter:
    open_only: bool = False


@strawberry.type
class Contract:
    title: str
    status: str
    pending_signature: bool


@strawberry.type
class ContractConnection:
    nodes: list[Contract]


@strawberry.type
class Plan:
    name: str
    download_mbps: int | None


@strawberry.type
class Address:
    street: str | None
    city: str | None


@strawberry.type
class Promotion:
    name: str
    active: bool
    valid_to: date | None


@strawberry.type
class Subscription:
    row: strawberry.Private[SubscriptionRow]

    @strawberry.field
    def plan(self) -> Plan:
        p = self.row.plan  # lazy load
        return Plan(name=p.name, download_mbps=p.download_mbps)

    @strawberry.field
    def price(self) -> Money:
        return Money(amount=self.row.price, currency=self.row.currency)

    @strawberry.field
    def service_address(self) -> Address:
        return Address(street=self.row.street, city=self.row.city)

    @strawberry.field
    def promotions(self) -> list[Promotion]:
        today = _today()
        return [
            Promotion(name=a.promotion.name, valid_to=a.valid_to,
                      active=a.valid_from <= today and (a.valid_to is None or today <= a.valid_to))
            for a in self.row.applied
        ]  # fmt: skip


@strawberry.type
class Account:
    unpaid_total: Money
    balance: Money
    overdue: Money
    available_credit: Money | None


@strawberry.type
class AgingBucket:
    label: str
    amount: Money
    items: int


@strawberry.type
class OpenItem:
    document_number: str
    posted_on: date
    due_date: date
    days_overdue: int
    open_amount: Money


@strawberry.type
class Statement:
    credit_limit: Money | None
    overdue: Money
    not_yet_due: Money
    total: Money
    available_credit: Money | None
    aging: list[AgingBucket]
    open_items: list[OpenItem]


def _money(amount: Decimal, currency: str = "ARS") -> Money:
    return Money(amount=Decimal(amount).quantize(Decimal("0.01")), currency=currency)


@strawberry.type
class Customer:
    row: strawberry.Private[CustomerRow]

    @strawberry.field
    def name(self) -> str:
        return self.row.name

    @strawberry.field
    def code(self) -> str:
        return self.row.code

    @strawberry.field
    def status(self) -> str:
        return self.row.status

    @strawberry.field
    def account(self) -> Account:
        c, today = self.row, _today()
        live = [i for i in c.invoices if not i.void]  # lazy load of every invoice
        debits = [i for i in live if i.kind in ("INVOICE", "DEBIT_NOTE")]
        unpaid = sum((_owing(i) for i in debits), ZERO)
        overdue = sum((_owing(i) for i in debits if i.due_date and i.due_date < today), ZERO)
        credits = sum((i.total for i in live if i.kind == "CREDIT_NOTE"), ZERO)
        paid = sum((p.amount for p in c.payments), ZERO)  # lazy load of every payment
        balance = credits + paid - sum((i.total for i in debits), ZERO)
        limit = c.credit_limit
        return Account(
            unpaid_total=_money(unpaid, c.currency), balance=_money(balance, c.currency),
            overdue=_money(overdue, c.currency),
            available_credit=None if limit is None else _money(max(ZERO, limit + balance), c.currency),
        )  # fmt: skip

    @strawberry.field
    def invoices(self, first: int = 20, after: str | None = None) -> InvoiceConnection:
        rows = sorted(self.row.invoices, key=lambda i: (i.issue_date, i.id), reverse=True)
        if after:
            day, last = _uncursor(after)
            key = (date.fromisoformat(day), int(last))
            rows = [i for i in rows if (i.issue_date, i.id) < key]
        shown = rows[:first]
        end = _cursor(shown[-1].issue_date.isoformat(), shown[-1].id) if shown else None
        return InvoiceConnection(
            nodes=[Invoice(row=i) for i in shown],
            page_info=PageInfo(has_next_page=len(rows) > first, end_cursor=end),
        )

    @strawberry.field
    def tickets(self, first: int = 20, filter: TicketFilter | None = None) -> TicketConnection:
        rows = sorted(self.row.tickets, key=lambda r: (r.created_at, r.id), reverse=True)
        if filter and filter.open_only:
            rows = [r for r in rows if r.status != "CLOSED"]
        return TicketConnection(nodes=[Ticket(row=r) for r in rows[:first]])

    @strawberry.field
    def contracts(self, first: int = 20) -> ContractConnection:
        rows = sorted(self.row.contracts, key=lambda r: (r.issued_at, r.id), reverse=True)[:first]
        return ContractConnection(
            nodes=[Contract(title=r.title, status=r.status, pending_signature=r.status == "PENDING_SIGNATURE")
                   for r in rows]
        )  # fmt: skip

    @strawberry.field
    def subscriptions(self) -> list[Subscription]:
        return [Subscription(row=s) for s in self.row.subscriptions]

    @strawberry.field
    def statement(self, cut_off: date) -> Statement:
        items: list[tuple[date, date, int, int, str, Decimal]] = []
        for i in self.row.invoices:
            if i.void or i.issue_date > cut_off:
                continue
            if i.kind == "CREDIT_NOTE":
                used = sum((a.amount for a in i.credit_allocations if a.cleared_on <= cut_off), ZERO)
                sign, due, rank = -1, i.issue_date, 1
            else:
                used = sum((a.amount for a in i.allocations if a.cleared_on <= cut_off), ZERO)
                sign, due, rank = 1, i.due_date or i.issue_date, 0
            if round(i.total - used, 2) > 0:
                number = f"{i.letter} {i.point_of_sale:04d}-{i.number:08d}"
                items.append((due, i.issue_date, i.id, rank, number, sign * (i.total - used)))
        for p in self.row.payments:
            if p.paid_on > cut_off:
                continue
            used = sum((a.amount for a in p.allocations if a.cleared_on <= cut_off), ZERO)
            if round(p.amount - used, 2) > 0:
                items.append((p.paid_on, p.paid_on, p.id, 2, p.number, -(p.amount - used)))
        items.sort(key=lambda x: x[:4])
        overdue = sum((x[5] for x in items if x[0] < cut_off), ZERO)
        not_due = sum((x[5] for x in items if x[0] >= cut_off), ZERO)
        total = overdue + not_due
        aging = []
        for label, low, high in (("1-30", 1, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("90+", 91, None)):
            inside = [x for x in items if (cut_off - x[0]).days >= low and (high is None or (cut_off - x[0]).days <= high)]
            aging.append(AgingBucket(label=label, amount=_money(sum((x[5] for x in inside), ZERO)), items=len(inside)))
        limit = self.row.credit_limit
        return Statement(
            credit_limit=None if limit is None else _money(limit),
            overdue=_money(overdue), not_yet_due=_money(not_due), total=_money(total),
            available_credit=None if limit is None else _money(max(ZERO, limit - total)),
            aging=aging,
            open_items=[OpenItem(document_number=x[4], posted_on=x[1], due_date=x[0],
                                 days_overdue=(cut_off - x[0]).days, open_amount=_money(x[5])) for x in items],
        )  # fmt: skip


@strawberry.type
class CustomerConnection:
    nodes: list[Customer]
    page_info: PageInfo


@strawberry.input
class CustomerFilter:
    overdue_only: bool = False


@strawberry.type
class Viewer:
    user: strawberry.Private[UserRow]
    session: strawberry.Private[Session]

    @strawberry.field
    def customer(self) -> Customer | None:
        links = self.user.links  # lazy load
        row = self.session.get(CustomerRow, int(links[0].customer_id)) if links else None
        return None if row is None else Customer(row=row)


def _user(info: strawberry.Info) -> UserRow:
    header = info.context["request"].headers.get("authorization", "")
    try:
        claims = read_access_token(SECRET, header.partition(" ")[2])
    except TokenError as exc:
        raise PermissionError("unauthenticated") from exc
    user = info.context["session"].get(UserRow, claims.user_id)
    if user is None or user.disabled:
        raise PermissionError("unauthenticated")
    return user


@strawberry.type
class Query:
    @strawberry.field
    def viewer(self, info: strawberry.Info) -> Viewer:
        return Viewer(user=_user(info), session=info.context["session"])

    @strawberry.field
    def customer(self, info: strawberry.Info, id: strawberry.ID) -> Customer | None:
        user = _user(info)
        raw = base64.b64decode(id).decode().partition(":")[2]
        if user.kind != "STAFF" and raw not in [link.customer_id for link in user.links]:
            raise PermissionError("not yours")
        row = info.context["session"].get(CustomerRow, int(raw))
        return None if row is None else Customer(row=row)

    @strawberry.field
    def customers(
        self, info: strawberry.Info, first: int = 20, after: str | None = None, filter: CustomerFilter | None = None
    ) -> CustomerConnection:
        if _user(info).kind != "STAFF":
            raise PermissionError("staff only")
        # the API's listing order (listing.py): folded name, code, id
        order = listing.ORDER.replace("c.", "customers.")
        query = select(CustomerRow).order_by(text(order)).limit(first + 1)
        if after:
            name, code, last = listing.cursor_parts(after)
            query = query.where(text(f"({order}) > (:name, :code, :id)").bindparams(name=name, code=code, id=last))
        if filter and filter.overdue_only:
            i = InvoiceRow
            query = query.where(exists().where(
                i.customer_id == CustomerRow.id, i.kind.in_(("INVOICE", "DEBIT_NOTE")), ~i.void,
                i.total - i.paid_amount > 0, i.due_date < _today()))  # fmt: skip
        rows = list(info.context["session"].scalars(query))
        shown = rows[:first]
        end = listing.cursor(listing.fold(shown[-1].name or ""), shown[-1].code, shown[-1].id) if shown else None
        return CustomerConnection(
            nodes=[Customer(row=r) for r in shown], page_info=PageInfo(has_next_page=len(rows) > first, end_cursor=end)
        )


class NaiveGraphQL(GraphQL):
    def __init__(self, url: str) -> None:
        super().__init__(strawberry.Schema(query=Query), graphql_ide=None)
        self.sessions = sessionmaker(create_engine(url, pool_size=5, max_overflow=10))

    async def get_context(self, request: Any, response: Any) -> dict[str, Any]:
        session = request.state.session = self.sessions()
        return {"request": request, "session": session}

    async def process_result(self, request: Any, result: Any) -> Any:
        request.state.session.close()  # the connection goes back to the pool
        return await super().process_result(request, result)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True, help="SQLAlchemy URL (the driver is replaced by psycopg)")
    parser.add_argument("--port", type=int, default=8121)
    args = parser.parse_args()
    url = args.url.replace("+asyncpg", "+psycopg")
    uvicorn.run(NaiveGraphQL(url), host="127.0.0.1", port=args.port, log_level="warning",
                access_log=False)  # fmt: skip


if __name__ == "__main__":
    main()
