"""Customer search, built alike by every SQL source over its customers (native table or mapped relation)."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import ColumnElement, FromClause, func, or_

from . import billing
from .records import CustomerFilter


def customer_conditions(
    cust: FromClause, inv: FromClause | None, filter: CustomerFilter, company: object | None, today: date
) -> list[ColumnElement[bool]]:
    """`company`: the stored key of `filter.company_id`; `inv`: None for a source without invoices
    (then no customer is overdue)."""
    conditions: list[ColumnElement[bool]] = []
    search = (filter.search or "").strip()
    if search:
        matches = [
            func.lower(cust.c.name).contains(search.lower(), autoescape=True),
            cust.c.code == search,
        ]
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
