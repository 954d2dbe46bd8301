"""Feature switches (FEATURES.md F1): what the business turned off answers FEATURE_DISABLED."""

from __future__ import annotations

from ..errors import ApiError, ErrorCode
from ..settings import Feature, Settings


def require_feature(settings: Settings, feature: Feature) -> None:
    if not settings.has(feature):
        raise ApiError(ErrorCode.FEATURE_DISABLED, feature=feature.value)
