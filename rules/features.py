"""Feature switches (FEATURES.md F1): what the business turned off answers FEATURE_DISABLED.

A feature is on when an admin switched it on (a row in the store's `feature_switches`, set by the
`setFeature` mutation or `ventanilla features on|off`), or, with no row, when `[portal] features`
lists it. The switches are read from the store once per request (`Context.features`), so a
switch set on one instance is in force on the next request to any other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from ..errors import ApiError, ErrorCode
from ..settings import Feature


class HasFeatures(Protocol):
    """A request's context (resolvers/context.py): the features in force for it."""

    async def features(self) -> frozenset[Feature]: ...


def in_force(configured: Iterable[Feature], switches: Mapping[str, bool]) -> frozenset[Feature]:
    """The features on: a stored switch wins over the configuration; unknown names are ignored."""
    on = set(configured)
    for feature in Feature:
        stored = switches.get(feature.value)
        if stored is True:
            on.add(feature)
        elif stored is False:
            on.discard(feature)
    return frozenset(on)


async def require_feature(ctx: HasFeatures, feature: Feature) -> None:
    """FEATURE_DISABLED unless `feature` is on for this request."""
    if feature not in await ctx.features():
        raise ApiError(ErrorCode.FEATURE_DISABLED, feature=feature.value)
