"""The one logging setup of a served process: every line with its time, level, logger and request id.

`ventanilla serve` and `ventanilla demo` hand `logging_config(settings)` to uvicorn (`log_config`),
so uvicorn's own lines, the application's and every library's go through one handler on stderr:
readable text for a terminal, or one JSON object per line for a log collector ([logging] format).
The request id is the one web/requestlog.py keeps for the request being served (REQUEST).

Expected failures are one line: an outage — a source, the store, Redis or the mail server that
cannot be reached or does not answer (`is_outage`) — is one WARNING naming what failed and why,
without a traceback, once per request, whoever logs it (`log_outage` for ours, `OutageLines` for
uvicorn's, SQLAlchemy's pool's or the mailer's). A traceback is for what nobody expected.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import socket
import sys
import time
from asyncio import CancelledError, IncompleteReadError
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from asyncpg.exceptions import PostgresConnectionError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from ..connectors.base import InvalidCursor, SourceError
from ..settings import LogFormat, Settings


@dataclass(slots=True)
class RequestLog:
    """What is known of the request being served, for its log lines and its access line."""

    id: str
    statements: int = 0  # SQL statements sent, on every engine (web/requestlog.py counts them)
    operation: str | None = None  # the GraphQL operation's name
    trace_id: str | None = None  # its OpenTelemetry trace, when tracing is on (web/tracing.py)
    written: set[str] = field(default_factory=set)  # the outage lines it has written already


# The request being served: set by web/requestlog.py, read by the formatters and web/errors.py.
REQUEST: ContextVar[RequestLog | None] = ContextVar("ventanilla_request", default=None)


def request_id() -> str | None:
    current = REQUEST.get()
    return current.id if current is not None else None


def new_request_id() -> str:
    return os.urandom(8).hex()


# --- outages: expected, one line each ------------------------------------------------------------

# What a network failure looks like below ConnectionError (refused, reset, aborted, broken pipe).
_NETWORK_ERRNOS = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ENETDOWN, errno.EHOSTDOWN, errno.ETIMEDOUT}
# MySQL/MariaDB client errors: cannot connect (2002, 2003), server gone or lost mid-query (2006, 2013).
_MYSQL_UNREACHABLE = {2002, 2003, 2006, 2013}
_UNREACHABLE: tuple[type[BaseException], ...] = (
    SourceError,  # connectors: SourceUnavailable, SourceTimeout (InvalidCursor is the caller's)
    ConnectionError,  # refused, reset, aborted; aiosmtplib's connect and disconnect errors too
    TimeoutError,  # asyncio's and aiosmtplib's timeouts
    socket.gaierror,  # a host name that does not resolve
    IncompleteReadError,  # the server closed the stream mid-answer
    PoolTimeout,  # every connection of a pool busy for its whole wait
    PostgresConnectionError,  # asyncpg: the connection does not exist, cannot connect now ...
)


def is_outage(failure: BaseException) -> bool:
    """The failure, or one of its causes, is a system that cannot be reached or did not answer."""
    return any(_unreachable(each) for each in _chain(failure))


def _unreachable(failure: BaseException) -> bool:
    if isinstance(failure, InvalidCursor):
        return False
    if isinstance(failure, _UNREACHABLE):
        return True
    # Redis' and asyncmy's own failures, looked up only once their client is loaded: a failure
    # of theirs cannot exist before, and a worker that uses neither then does not import them.
    redis_errors = sys.modules.get("redis.exceptions")
    if redis_errors is not None and isinstance(failure, (redis_errors.ConnectionError, redis_errors.TimeoutError)):
        return True
    if isinstance(failure, DBAPIError):
        return failure.connection_invalidated
    mysql_errors = sys.modules.get("asyncmy.errors")
    if mysql_errors is not None and isinstance(failure, mysql_errors.OperationalError):
        return bool(failure.args) and failure.args[0] in _MYSQL_UNREACHABLE
    return isinstance(failure, OSError) and failure.errno in _NETWORK_ERRNOS


def _chain(failure: BaseException) -> Iterator[BaseException]:
    """The failure and its causes, outermost first."""
    seen: set[int] = set()
    current: BaseException | None = failure
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)


_ERRNO = re.compile(r"^\[Errno \d+\] ")


def reason(failure: BaseException) -> str:
    """The failure in one line: its message, then the deepest cause that says more; with its type,
    but for Ventanilla's own failures (SourceUnavailable, StoreUnavailable), whose message says it.

    One line each, and for a driver error only the driver's message: SQLAlchemy's own adds the
    statement and its parameters, which are not for a log.
    """
    said = _one_line(failure) if _ours(failure) else _named(failure)
    causes = [c for c in _chain(failure) if not isinstance(c, CancelledError) and str(c).strip()]
    root = causes[-1] if causes else failure
    if root is failure or _ERRNO.sub("", _one_line(root)) in said:  # the outer message says it already
        return said
    return f"{said}: {_named(root)}"


def _ours(failure: BaseException) -> bool:
    return type(failure).__module__.partition(".")[0] == __name__.partition(".")[0]


def _named(failure: BaseException) -> str:
    return f"{type(failure).__name__}: {_one_line(failure)}"


def _one_line(failure: BaseException) -> str:
    if isinstance(failure, DBAPIError) and failure.orig is not None:
        failure = failure.orig
    lines = str(failure).strip().splitlines()
    return lines[0][:300] if lines else type(failure).__name__


def first_in_request(line: str) -> bool:
    """True the first time a request writes this line (or outside a request): an outage that
    fails several fields of one query is said once."""
    current = REQUEST.get()
    if current is None:
        return True
    if line in current.written:
        return False
    current.written.add(line)
    return True


def log_outage(logger: logging.Logger, what: str, failure: BaseException) -> None:
    """`what: reason` as one WARNING line without traceback, once per request."""
    if first_in_request(f"{logger.name} {what} {failure}"):
        logger.warning("%s: %s", what, reason(failure))


class OutageLines(logging.Filter):
    """Whoever logs an outage with its traceback (uvicorn, SQLAlchemy's pool, the mailer, asyncio):
    one WARNING line with the reason instead, once per request."""

    def filter(self, record: logging.LogRecord) -> bool:
        failure = record.exc_info[1] if record.exc_info else None
        if failure is None or not is_outage(failure):
            return True
        record.msg, record.args = f"{record.getMessage()}: {reason(failure)}", None
        record.exc_info = record.exc_text = None
        if record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return first_in_request(f"{record.name} {record.msg}")


# --- formats ------------------------------------------------------------------------------------


def _time(record: logging.LogRecord) -> str:
    """ISO 8601 in the server's time zone, to the millisecond: 2026-06-15T09:30:00.123-03:00."""
    local = time.localtime(record.created)
    offset = local.tm_gmtoff // 60
    zone = f"{'-' if offset < 0 else '+'}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"
    return f"{time.strftime('%Y-%m-%dT%H:%M:%S', local)}.{int(record.msecs):03d}{zone}"


class TextFormatter(logging.Formatter):
    """`time LEVEL logger [request id] message`, then the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_time(record)} {record.levelname:<7} {record.name} [{request_id() or '-'}] {record.getMessage()}"
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        if record.stack_info:
            line = f"{line}\n{self.formatStack(record.stack_info)}"
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, request_id, message, the access line's
    fields (`extra={"fields": ...}`) and, for the unexpected, the traceback as `exception`."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _time(record),
            "level": record.levelname,
            "logger": record.name,
            "request_id": request_id(),
            "message": record.getMessage(),
        }
        current = REQUEST.get()
        if current is not None and current.trace_id:
            entry["trace_id"] = current.trace_id
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def logging_config(settings: Settings) -> dict[str, Any]:
    """The `logging.config.dictConfig` of a served process (uvicorn's `log_config`): one handler
    on stderr for every logger, uvicorn's included; uvicorn's access lines off, since
    web/requestlog.py writes one line per request with more in it."""
    formatter = JsonFormatter if settings.log_format is LogFormat.JSON else TextFormatter
    level = settings.log_level.value
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"ventanilla": {"()": f"{__name__}.{formatter.__name__}"}},
        "filters": {"outages": {"()": f"{__name__}.{OutageLines.__name__}"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "ventanilla",
                "filters": ["outages"],
            }
        },
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            "uvicorn": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.error": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
            # httpx writes every request's URL at INFO: a webhook's URL may carry a token (events/webhook.py)
            "httpx": {"level": "WARNING", "handlers": [], "propagate": True},
            "httpcore": {"level": "WARNING", "handlers": [], "propagate": True},
        },
    }
