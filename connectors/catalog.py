"""The promotions applied to subscriptions, read alike by every SQL source (native tables or mapped relations)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import FromClause, Select, select

from .shapes import Keys


def promotions_applied(
    applied: FromClause, promotions: FromClause, subscriptions: FromClause, keys: Keys
) -> Select[Any]:
    """The promotions applied to each subscription, with that application's validity and the
    subscription's currency, by subscription then start."""
    return (
        select(
            applied.c.subscription_id,
            applied.c.promotion_id,
            applied.c.valid_from,
            applied.c.valid_to,
            promotions.c.name,
            promotions.c.discount_percent,
            promotions.c.fixed_price,
            subscriptions.c.currency,
        )  # fmt: skip
        .select_from(
            applied.join(promotions, promotions.c.id == applied.c.promotion_id).join(
                subscriptions, subscriptions.c.id == applied.c.subscription_id
            )
        )
        .where(applied.c.subscription_id.in_(keys))
        .order_by(applied.c.subscription_id, applied.c.valid_from, applied.c.id)
    )
