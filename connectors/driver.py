"""Statements built once, run by the driver itself: compiled once, only the values passed per call.

A listing, a by-id or a children read is built once per shape (shapes.py) and then run many
times with new keys. SQLAlchemy's execution of such a statement costs about as much CPU again
as asyncpg's own (bench/README.md: 0.39 against 0.21 ms for a 5-row read, checkout included): a
compiled-cache lookup, the parameters processed, the keys' IN list expanded into one placeholder
per key, rows built through the result metadata, greenlet switches. `DriverPath` keeps, for each
statement run more than once, the SQL SQLAlchemy compiled for it, with each expanding IN of keys
written as `= ANY($n::TYPE[])` (one text whatever the number of keys, so one prepared statement
in asyncpg's cache), and runs it with asyncpg's `fetch` on the pooled connection's own driver
connection.

A statement takes the driver path only where SQLAlchemy would do nothing to the values it reads:
no result processor for any of its columns (decided from the column types its SQLAlchemy run
reported), no parameter rendered into the text or computed by a callable, no schema names to
translate, row keys that are names. Parameters are converted as SQLAlchemy converts them (a
boolean's bind processor, say). Any other statement, and every statement on SQLite or
MariaDB, runs through SQLAlchemy as before. Rows are tuples read by attribute, by position and
through `_mapping`, as SQLAlchemy's are. The engine's statement events (request counts, metrics,
traces) and error events (a disconnect recognised, web/metrics.py) fire for both paths alike.
"""

from __future__ import annotations

import re
from collections import namedtuple
from collections.abc import Mapping, Sequence
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import CompoundSelect, Executable, Select
from sqlalchemy.engine import CursorResult, Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.sqltypes import TupleType

# How SQLAlchemy writes an expanding parameter into compiled SQL, to be expanded per execution.
_EXPANDING = re.compile(r"(NOT )?IN \(__\[POSTCOMPILE_(\w+)\]\)")
_SEEN_ONCE = "seen once"  # a statement run once: it may be built per call, not worth compiling
_NEVER = "never"  # a statement SQLAlchemy must run (see the module's text)
_REQUIRED = object()


def _row_type(keys: Sequence[str]) -> type[tuple[Any, ...]] | None:
    """A row type with attribute access and `_mapping`, like SQLAlchemy's Row (one per statement)."""
    try:
        base = namedtuple("Row", keys)  # type: ignore[misc]  # noqa: PYI024
    except ValueError:  # a key that is no name, or one twice
        return None
    return type("Row", (base,), {"__slots__": (), "_mapping": property(_mapping)})


def _mapping(row: Any) -> dict[str, Any]:
    return dict(zip(row._fields, row, strict=True))


class Prepared:
    """One statement's driver SQL, its parameters in `$n` order (each with its value when the
    statement holds one, and SQLAlchemy's conversion of its type, if any) and the type of its rows."""

    __slots__ = ("sql", "parameters", "row")

    def __init__(self, sql: str, parameters: tuple[tuple[str, Any, Any, bool], ...], row: type) -> None:
        self.sql, self.parameters, self.row = sql, parameters, row

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        values = []
        for name, default, convert, expanding in self.parameters:
            value = params.get(name, default)
            if value is _REQUIRED:
                raise KeyError(f"a value is required for the parameter {name!r}")
            if expanding:
                value = list(value) if convert is None else [convert(v) for v in value]
            elif convert is not None:
                value = convert(value)
            values.append(value)
        return values


class DriverPath:
    """Which statements of one asyncpg engine run on the driver, and running them."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._known: WeakKeyDictionary[Executable, Prepared | str] = WeakKeyDictionary()

    def prepared(self, statement: Executable) -> Prepared | None:
        found = self._known.get(statement)
        return found if isinstance(found, Prepared) else None

    def learn(self, statement: Executable, result: CursorResult[Any]) -> None:
        """After SQLAlchemy ran `statement`: on its second run, compile it for the driver."""
        try:
            found = self._known.get(statement)
            if found is None:
                self._known[statement] = _SEEN_ONCE
            elif found == _SEEN_ONCE:
                self._known[statement] = self._prepare(statement, result) or _NEVER
        except TypeError:  # a statement that cannot be weakly referenced: SQLAlchemy runs it
            pass

    def _prepare(self, statement: Executable, result: CursorResult[Any]) -> Prepared | None:
        dialect = self.dialect
        description = result.cursor.description if result.cursor is not None else None
        if description is None or not isinstance(statement, (Select, CompoundSelect)):
            return None
        # Compiled here, not taken from SQLAlchemy's cache: a cached form is shared by statements
        # that differ only in their literal values, and holds the values of the first of them.
        compiled: Any = statement.compile(dialect=dialect)
        columns = list(statement.selected_columns)
        if len(columns) != len(description) or "__[SCHEMA" in compiled.string:
            return None
        for column, described in zip(columns, description, strict=True):
            if column.type.dialect_impl(dialect).result_processor(dialect, described[1]) is not None:
                return None
        # The parameters by the names the SQL gives them: `$1` … are the plain ones in this order,
        # the expanding ones follow, numbered here.
        binds = {name: compiled.binds[name] for name in compiled.positiontup or ()}
        if any(b.callable is not None or b.literal_execute or isinstance(b.type, TupleType) for b in binds.values()):
            return None
        order = [name for name, b in binds.items() if not b.expanding]

        def any_of(match: re.Match[str]) -> str:
            name = match.group(2)
            bind = binds.get(name)
            if bind is None or not bind.expanding:
                return match.group(0)  # left as it is: refused below
            if name not in order:
                order.append(name)
            placeholder = f"${order.index(name) + 1}"
            impl = bind.type.dialect_impl(dialect)
            if getattr(impl, "render_bind_cast", False):
                placeholder += f"::{dialect.type_compiler_instance.process(impl)}[]"
            return f"<> ALL({placeholder})" if match.group(1) else f"= ANY({placeholder})"

        sql = _EXPANDING.sub(any_of, compiled.string)
        row = _row_type(list(result.keys()))
        if "__[POSTCOMPILE_" in sql or row is None:
            return None
        parameters = tuple(
            (name, _REQUIRED if b.required else b.value, b.type.dialect_impl(dialect).bind_processor(dialect), b.expanding)
            for name, b in ((name, binds[name]) for name in order)
        )  # fmt: skip
        return Prepared(sql, parameters, row)

    async def fetch(self, conn: AsyncConnection, prepared: Prepared, params: Mapping[str, Any]) -> list[Any]:
        """`prepared`'s rows on `conn`'s driver connection, the engine's events fired around it.
        A failure the driver reports as a lost connection invalidates `conn`, so that the read's
        retry (executor.run_read) takes a new one."""
        arguments = prepared.arguments(params)
        sync = conn.sync_connection
        assert sync is not None
        # The pooled connection itself; only an invalidated one needs the bridge to reconnect.
        raw = await conn.get_raw_connection() if sync.invalidated else sync.connection
        driver = raw.driver_connection
        context = _Context()
        dispatch = sync.dispatch
        dispatch.before_cursor_execute(sync, None, prepared.sql, arguments, context, False)
        try:
            records = await driver.fetch(prepared.sql, *arguments)  # type: ignore[union-attr]
        except Exception as exc:
            failure = _Failure(sync, context, exc, prepared.sql, arguments)
            failure.is_disconnect = driver.is_closed()  # type: ignore[union-attr]
            for listener in sync.dialect.dispatch.handle_error:  # where SQLAlchemy keeps them
                listener(failure)
            if failure.is_disconnect:
                await conn.invalidate(exc)
                raise Disconnected(str(exc)) from exc
            raise
        dispatch.after_cursor_execute(sync, None, prepared.sql, arguments, context, False)
        new = tuple.__new__
        cls = prepared.row
        return [new(cls, r) for r in records]


class Disconnected(Exception):
    """The driver's connection was lost during a statement on the driver path (read again)."""

    connection_invalidated = True


class _Context:
    """What the statement listeners keep per statement (a start time, a span), as on SQLAlchemy's
    execution context."""


class _Failure:
    """What `handle_error` listeners read of a failed statement, as on SQLAlchemy's ExceptionContext."""

    def __init__(self, connection: Any, context: _Context, exc: Exception, statement: str, parameters: Any) -> None:
        self.connection, self.engine, self.execution_context = connection, connection.engine, context
        self.original_exception, self.sqlalchemy_exception, self.chained_exception = exc, None, None
        self.statement, self.parameters, self.cursor = statement, parameters, None
        self.dialect, self.is_disconnect, self.invalidate_pool_on_disconnect = connection.dialect, False, True
        self.is_pre_ping, self.local_execution_context = False, context
