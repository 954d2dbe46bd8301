"""Payment method writes on the native `payment_methods` table (FEATURES.md B12), on the store's
transaction of the portal action (`conn`).

Every write first locks the customer's methods (a no-op UPDATE of them, then SELECT ... FOR
UPDATE; SQLite runs one writer at a time from that first write), so two concurrent changes of one customer's methods apply one after the other and the
customer never ends with two default methods, or none while some are left.

Removing the default method makes the most recently added other method (the highest id) the
default; removing the last one is allowed and leaves none.
"""

from __future__ import annotations

from sqlalchemy import case, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .ids import db_id
from .tables import payment_methods

pm = payment_methods.c


async def _locked(conn: AsyncConnection, customer: int) -> dict[int, bool]:
    # A write first: SQLite's deferred transaction takes its write lock only then (a read alone
    # would let two removals read the same state); PostgreSQL and MariaDB lock the rows.
    await conn.execute(update(payment_methods).where(pm.customer_id == customer).values(customer_id=customer))
    rows = await conn.execute(
        select(pm.id, pm.is_default).where(pm.customer_id == customer).order_by(pm.id).with_for_update()
    )
    return {row.id: bool(row.is_default) for row in rows}


async def set_default(conn: AsyncConnection, customer_id: str, method_id: str) -> bool:
    """Make `method_id` the customer's only default method; False when it is not theirs (any more)."""
    customer, method = db_id(customer_id), db_id(method_id)
    if customer is None or method is None:
        return False
    if method not in await _locked(conn, customer):
        return False
    await conn.execute(
        update(payment_methods).where(pm.customer_id == customer).values(is_default=case((pm.id == method, True),
                                                                                          else_=False))
    )  # fmt: skip
    return True


async def remove(conn: AsyncConnection, customer_id: str, method_id: str) -> tuple[bool, str | None]:
    """Remove the method: (whether it was there, the id of the method now default because the
    removed one was: the most recently added other one, None when none is left or it was not)."""
    customer, method = db_id(customer_id), db_id(method_id)
    if customer is None or method is None:
        return False, None
    methods = await _locked(conn, customer)
    if method not in methods:
        return False, None
    await conn.execute(delete(payment_methods).where(pm.id == method, pm.customer_id == customer))
    others = [other for other in methods if other != method]
    if not methods[method] or not others:
        return True, None
    successor = max(others)
    await conn.execute(update(payment_methods).where(pm.id == successor).values(is_default=True))
    return True, str(successor)
