"""Switching the optional features (FEATURES.md F1): the `setFeature` mutation (admins)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from ..settings import Feature
from ..store.features import set_switch
from .actions import Action, Done, perform
from .context import Context


async def set_feature(ctx: Context, feature: Feature, enabled: bool, idempotency_key: str | None) -> frozenset[Feature]:
    """Store the switch (in force on every instance from their next request), audited as
    SET_FEATURE with the feature as its object; the features on afterwards."""

    async def work(conn: AsyncConnection) -> Done:
        await set_switch(conn, feature.value, enabled, ctx.principal.actor)
        return Done(answer={"feature": feature.value, "enabled": enabled}, object_id=feature.value)

    request = {"feature": feature.value, "enabled": enabled}
    detail = "on" if enabled else "off"
    await perform(ctx, Action("setFeature", None, request, idempotency_key, detail=detail), work)
    ctx.forget_features()  # this request read them before the switch, maybe
    return await ctx.features()
