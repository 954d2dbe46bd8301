"""State shared by one demo generation: seeded randomness, rows collected per table, specs that link them."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from faker import Faker
from sqlalchemy import Table

CURRENCY = "ARS"


class RowSink:
    """Rows per table with explicit ids, so rows link to each other without a round trip to the database."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict]] = {}
        self.files: dict[str, tuple[bytes, str]] = {}  # sha256 -> (bytes, media type): the blobs rows name
        self._last_id: dict[str, int] = {}

    def keep(self, content: bytes, content_type: str) -> str:
        """Hold a file for the blob store; its key (SHA-256), which rows name it by."""
        key = hashlib.sha256(content).hexdigest()
        self.files[key] = (content, content_type)
        return key

    def add(self, table: Table, **values: object) -> int:
        """Append a row; tables with an `id` column get the next id, which is returned (0 otherwise)."""
        new_id = 0
        if "id" in table.c:
            new_id = self._last_id.get(table.name, 0) + 1
            self._last_id[table.name] = new_id
            values["id"] = new_id
        self.rows.setdefault(table.name, []).append(values)
        return new_id

    def last(self, table: Table) -> dict:
        return self.rows[table.name][-1]

    def count(self, table: Table) -> int:
        return len(self.rows.get(table.name, ()))


@dataclass
class CompanySpec:
    id: int
    code: str
    name: str
    point_of_sale: int
    issue_day: int  # day of the month its monthly invoices are issued
    collector_entity: str  # company code agreed with Rapipago / Pago Fácil (4 digits in the demo layout)
    towns: tuple[tuple[str, str, str, str], ...]  # (city, province, postal code, phone area code)
    staff_domain: str


@dataclass
class PlanSpec:
    id: int
    code: str
    name: str
    price: Decimal  # today's monthly price, IVA (21 %) included
    business: bool
    wireless: bool
    promotions: list[PromotionSpec] = field(default_factory=list)


@dataclass
class PromotionSpec:
    id: int
    name: str
    discount_percent: Decimal | None
    fixed_price: Decimal | None
    months: int


@dataclass
class SubscriptionSpec:
    id: int
    plan: PlanSpec
    started_on: date
    ended_on: date | None
    status: str
    price: Decimal
    street: str
    city: str
    province: str
    postal_code: str
    promotion: PromotionSpec | None = None
    promo_from: date | None = None
    promo_to: date | None = None
    equipment_rental: bool = False
    install_fee: bool = True


@dataclass
class CustomerSpec:
    id: int
    code: str
    company: CompanySpec
    name: str
    business: bool  # a company or a self-employed person with a CUIT, invoiced with letter A
    tax_condition: str
    tax_id_kind: str
    tax_id: str
    letter: str
    created_on: date
    status: str
    left_on: date | None  # deleted customers: the day the service ended
    street: str
    city: str
    province: str
    postal_code: str
    area_code: str
    payer: str  # punctual, autodebit, late, partial, debtor
    method: str  # preferred payment method
    unpaid_months: int  # debtors: invoices past their due date left unpaid
    primary_email: str = ""
    subscriptions: list[SubscriptionSpec] = field(default_factory=list)
    demo: bool = False  # one of the accounts behind the demo sign-in


@dataclass
class DebitDoc:
    """An invoice or debit note as the payment simulation sees it."""

    id: int
    issue_date: date
    due_date: date
    total: Decimal
    row: dict
    credited: Decimal = Decimal("0")
    settle_on: list[tuple[date, Decimal]] = field(default_factory=list)  # planned (date, amount)
    deferred: bool = False  # paid together with the next document
    late: bool = False  # paid (or to be paid) after its due date: next month's bill adds a surcharge
    method: str | None = None  # when not the customer's usual payment method
    credited_on: date | None = None  # day a credit note was applied to it
    paid_on: date | None = None  # day of its last payment, once paid


@dataclass
class DemoContext:
    rng: random.Random
    fake: Faker
    today: date
    sink: RowSink
    companies: list[CompanySpec] = field(default_factory=list)
    plans: list[PlanSpec] = field(default_factory=list)
    staff: dict[str, list[str]] = field(default_factory=dict)  # area -> staff names

    def instant(self, day: date, earliest: int = 8, latest: int = 20) -> datetime:
        """A moment during Argentine office hours on `day`, stored in UTC (Argentina is UTC−3)."""
        minutes = self.rng.randint(earliest * 60, latest * 60 - 1)
        local = datetime.combine(day, time(minutes // 60, minutes % 60, self.rng.randint(0, 59)))
        return (local + timedelta(hours=3)).replace(tzinfo=UTC)

    def day_between(self, start: date, end: date) -> date:
        if end <= start:
            return start
        return start + timedelta(days=self.rng.randint(0, (end - start).days))

    def pick_staff(self, area: str) -> str:
        return self.rng.choice(self.staff[area])


def add_months(day: date, months: int) -> date:
    """Same day `months` later (clamped to 28 so every month has it)."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, min(day.day, 28))


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


SPANISH_MONTHS = (
    "enero", "febrero", "marzo", "abril", "mayo", "junio",
    "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
)  # fmt: skip
