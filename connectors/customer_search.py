"""Customer search and order, built alike by every SQL source over its customers (native table or mapped relation).

Search and order compare folded text (connectors/text.py): "sofia" finds "Sofía" and "SOFIA", and
customers come by folded name, then code (as stored, by code point), then id, on every database
whatever its collation.
"""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import ColumnElement, FromClause, or_

from . import billing
from .records import CustomerFilter
from .text import fold, folded, sort_code, sort_name


def customer_order(cust: FromClause) -> tuple[ColumnElement[str], ColumnElement[str], ColumnElement[object]]:
    """The keys of the customers' listing: folded name, code, id (unique). Never NULL, so that a
    keyset page never skips a row."""
    return (
        sort_name(cust.c.name).label("order_name"),
        sort_code(cust.c.code).label("order_code"),
        cust.c.id,
    )


def customer_conditions(
    cust: FromClause, inv: FromClause | None, filter: CustomerFilter, company: object | None, today: date
) -> list[ColumnElement[bool]]:
    """`company`: the stored key of `filter.company_id`; `inv`: None for a source without invoices
    (then no customer is overdue)."""
    conditions: list[ColumnElement[bool]] = []
    search = (filter.search or "").strip()
    if search:
        term = fold(search)
        matches = [folded(cust.c.name).contains(term, autoescape=True), folded(cust.c.code) == term]
        # Tax ids are stored as digits: "20-12345678-9" finds 20123456789.
        digits = re.sub(r"\D", "", search)
        if digits:
            matches.append(cust.c.tax_id.contains(digits, autoescape=True))
        conditions.append(or_(*matches))
    if filter.status is not None:
        conditions.append(cust.c.status == filter.status.value)
    if filter.company_id is not None:
        conditions.append(billing.same_company(cust, company))
    if filter.overdue_only and inv is not None:
        conditions.append(billing.overdue_exists(cust, inv, today))
    return conditions
