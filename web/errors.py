"""How a failure is answered over HTTP: the API error it is, and the JSON body of a refusal."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from ..connectors.base import InvalidCursor, SourceError
from ..errors import ApiError, ErrorCode

log = logging.getLogger("ventanilla")


def api_error(failure: BaseException) -> ApiError:
    """Known failures keep (or get) their code; anything else is masked and logged with a request id."""
    if isinstance(failure, ApiError):
        return failure
    if isinstance(failure, InvalidCursor):
        return ApiError(ErrorCode.BAD_INPUT, field=["after"], detail="after")
    if isinstance(failure, SourceError):
        log.warning("billing source failed: %s", failure)
        return ApiError(ErrorCode.SOURCE_UNAVAILABLE)
    request_id = uuid.uuid4().hex[:12]
    log.error("request %s failed", request_id, exc_info=failure)
    return ApiError(ErrorCode.INTERNAL_ERROR, request_id=request_id)


def error_body(error: ApiError, language: str) -> dict[str, Any]:
    """`{"errors": [{"message", "extensions": {"code"}}]}`, the shape of a GraphQL error, for refusals outside it."""
    return {"errors": [{"message": error.message(language), "extensions": {"code": error.code.value}}]}
