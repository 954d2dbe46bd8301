"""How a failure is answered over HTTP: the API error it is, and the JSON body of a refusal."""

from __future__ import annotations

import logging
from typing import Any

from ..connectors.base import InvalidCursor, SourceError
from ..errors import ApiError, ErrorCode
from .logs import is_outage, log_outage, new_request_id, request_id

log = logging.getLogger("ventanilla")


def api_error(failure: BaseException) -> ApiError:
    """Known failures keep (or get) their code; anything else is masked under the request's id
    (web/requestlog.py), and logged: an outage as one line, the unexpected with its traceback."""
    if isinstance(failure, ApiError):
        return failure
    if isinstance(failure, InvalidCursor):
        return ApiError(ErrorCode.BAD_INPUT, field=["after"], detail="after")
    if isinstance(failure, SourceError):
        log_outage(log, "source failed", failure)
        return ApiError(ErrorCode.SOURCE_UNAVAILABLE)
    masked = request_id() or new_request_id()
    if is_outage(failure):
        log_outage(log, f"request {masked} failed", failure)
    else:
        log.error("request %s failed", masked, exc_info=failure)
    return ApiError(ErrorCode.INTERNAL_ERROR, request_id=masked)


def error_body(error: ApiError, language: str) -> dict[str, Any]:
    """`{"errors": [{"message", "extensions": {"code"}}]}`, the shape of a GraphQL error, for refusals outside it."""
    return {"errors": [{"message": error.message(language), "extensions": {"code": error.code.value}}]}
