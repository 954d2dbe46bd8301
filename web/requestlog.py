"""Per HTTP request: its id (the X-Request-Id header, every log line, masked errors), its SQL
statement count, and its one access line.

The access line says who asked what and how it went — method, path (never the query string:
signed download links carry their signature there), status, duration, GraphQL operation name,
principal kind and id, statements — and nothing a caller typed: no token, password or variables.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from ..auth.principals import Principal
from ..errors import is_retryable, language_of
from .errors import api_error, refusal
from .logs import REQUEST, RequestLog, new_request_id

ACCESS = logging.getLogger("ventanilla.access")

# An X-Request-Id a proxy in front (or the client) chose is kept when it is a short token.
_SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
# A GraphQL name (an operationName that is not one names no operation of the document).
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")


class RequestLogging:
    """Give each HTTP request its id and write its access line; an exception that escapes the app
    is answered as a JSON error naming the request id, and logged once (web/errors.py)."""

    def __init__(self, app: ASGIApp, access_log: bool = True) -> None:
        self.app, self.access_log = app, access_log
        if not event.contains(Engine, "before_cursor_execute", _count_statement):
            event.listen(Engine, "before_cursor_execute", _count_statement)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        given = headers.get("x-request-id", "")
        current = RequestLog(given if _SANE_ID.fullmatch(given) else new_request_id())
        token = REQUEST.set(current)
        started = time.perf_counter()
        status: int | None = None

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-Id"] = current.id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except ClientDisconnect:
            pass  # the client hung up before its body arrived: nobody to answer, nothing failed
        except Exception as failure:
            error = api_error(failure)  # an outage: one line; anything else: a traceback
            if status is None:
                code = 503 if is_retryable(error.code) else 500
                answer = refusal(error, language_of(headers.get("accept-language")), code)
                await answer(scope, receive, send_with_id)
        finally:
            try:
                if self.access_log:
                    _write_access_line(scope, current, status, started)
            finally:
                REQUEST.reset(token)


def _write_access_line(scope: Scope, current: RequestLog, status: int | None, started: float) -> None:
    milliseconds = round((time.perf_counter() - started) * 1000, 1)
    principal: Principal | None = scope.get("ventanilla.principal")
    fields: dict[str, Any] = {
        "method": scope["method"],
        "path": _printable(scope["path"]),
        "status": status,
        "duration_ms": milliseconds,
        "operation": current.operation,
        "principal": principal.kind.value if principal else None,
        "principal_id": _principal_id(principal),
        "statements": current.statements,
    }
    if current.trace_id:
        fields["trace_id"] = current.trace_id  # the request's trace (web/tracing.py), beside its id
    outcome = str(status) if status is not None else "the client hung up"
    said = " ".join(f"{name}={value}" for name, value in _said(fields))
    ACCESS.info(
        "%s %s %s in %s ms %s",
        fields["method"],
        fields["path"],
        outcome,
        milliseconds,
        said,
        extra={"fields": fields},
    )


def _said(fields: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """What the text line adds after the status and duration (JSON has every field anyway)."""
    if fields["operation"]:
        yield "operation", fields["operation"]
    if fields["principal"]:
        who = fields["principal"] + (f":{fields['principal_id']}" if fields["principal_id"] else "")
        yield "principal", who
    yield "statements", fields["statements"]
    if fields.get("trace_id"):
        yield "trace", fields["trace_id"]


def _principal_id(principal: Principal | None) -> str | None:
    """A user's id, or a partner's client id: never a name, a login or a token."""
    if principal is None:
        return None
    if principal.user_id is not None:
        return str(principal.user_id)
    return principal.client_id


def _printable(text: str) -> str:
    """A path as a log line can hold it: no line breaks or control characters, 200 at most."""
    return "".join(c if c.isprintable() else "?" for c in text[:200])


def _count_statement(*_: Any) -> None:
    """SQLAlchemy's before_cursor_execute, on every engine: one more statement for this request."""
    current = REQUEST.get()
    if current is not None:
        current.statements += 1


class NameTheOperation(SchemaExtension):
    """Tell the access line which GraphQL operation the request ran."""

    def on_operation(self) -> Iterator[None]:
        yield
        current = REQUEST.get()
        name = self.execution_context.operation_name
        if current is not None and name:
            current.operation = name if _NAME.fullmatch(name) else "(not a name)"
