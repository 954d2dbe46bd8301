"""How a failure is answered over HTTP: the API error it is, and the JSON body of a refusal."""

from __future__ import annotations

import logging
from typing import Any

from starlette.responses import JSONResponse

from ..connectors.base import InvalidCursor, SourceError
from ..errors import RETRY_AFTER, ApiError, ErrorCode
from ..store.engine import StoreUnavailable
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
    if isinstance(failure, StoreUnavailable):
        log_outage(log, "store unavailable", failure)
        return ApiError(ErrorCode.STORE_UNAVAILABLE)
    masked = request_id() or new_request_id()
    if is_outage(failure):
        log_outage(log, f"request {masked} failed", failure)
    else:
        log.error("request %s failed", masked, exc_info=failure)
    return ApiError(ErrorCode.INTERNAL_ERROR, request_id=masked)


def error_extensions(error: ApiError) -> dict[str, Any]:
    """`{"code"}`, and for a temporary failure `retryAfter`: the seconds to wait before trying again."""
    extensions: dict[str, Any] = {"code": error.code.value}
    if error.code in RETRY_AFTER:
        extensions["retryAfter"] = RETRY_AFTER[error.code]
    return extensions


def error_body(error: ApiError, language: str) -> dict[str, Any]:
    """`{"errors": [{"message", "extensions": {"code"}}]}`, the shape of a GraphQL error, for refusals outside it."""
    return {"errors": [{"message": error.message(language), "extensions": error_extensions(error)}]}


def refusal(
    error: ApiError,
    language: str,
    status: int,
    media_type: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The JSON answer of a refusal outside GraphQL; a temporary failure says when to retry (Retry-After)."""
    from .metrics import ERRORS  # counted with GraphQL's errors by code (web/metrics.py)

    ERRORS.labels(error.code.value).inc()
    headers = dict(headers or {})
    if error.code in RETRY_AFTER:
        headers["Retry-After"] = str(RETRY_AFTER[error.code])
    return JSONResponse(
        error_body(error, language), status_code=status, headers=headers, media_type=media_type
    )
