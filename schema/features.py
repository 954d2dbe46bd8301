"""Switching optional features (FEATURES.md F1): `setFeature` (admins); `portal.features` reads them."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from ..errors import ApiError
from ..resolvers import features as resolve
from ..settings import Feature as Switch
from .access import user_error
from .errors import UserError
from .portal import Feature, features_list


@strawberry.input(description="Switch one optional feature on or off for every customer (admins).")
class SetFeatureInput:
    feature: Feature = strawberry.field(description="The feature to switch.")
    enabled: bool = strawberry.field(description="True: on; false: off (the API refuses it with FEATURE_DISABLED).")
    idempotency_key: str | None = strawberry.field(
        default=None, description="Sending the same key again (24 h) answers the first answer and changes nothing more."
    )


@strawberry.type(description="Result of setFeature: in force on every instance from its next request.")
class SetFeaturePayload:
    features: list[Feature] | None = strawberry.field(description="The features on after the change.")
    errors: list[UserError] = strawberry.field(description="Why the switch failed; empty on success.")


async def set_feature(
    info: Info, input: Annotated[SetFeatureInput, strawberry.argument(description="The feature and its state.")]
) -> SetFeaturePayload:
    ctx = info.context
    try:
        on = await resolve.set_feature(ctx, Switch(input.feature.value), input.enabled, input.idempotency_key)
    except ApiError as error:  # who may call it is the field's (Admin): this is the input's
        return SetFeaturePayload(features=None, errors=[user_error(error, ctx.language)])
    return SetFeaturePayload(features=features_list(on), errors=[])
