"""Shared legacy conversions in SQL, referenced by name from mappings (`{fn = "char8_date", args = [...]}`).

Each function takes compiled argument expressions plus the options of its spec and returns a
SQLAlchemy expression; dialect differences are compiled here, never in a mapping.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Integer,
    Numeric,
    String,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

Sql = ColumnElement[Any]


_NONE = "CASE WHEN {0} IN ('00000000', '') THEN NULL ELSE "


def _dialect_function(name: str, type_: Any, templates: dict[str, str]) -> type[FunctionElement[Any]]:
    """A SQL function written per dialect: `templates` maps a dialect (or "default") to SQL text
    where {0}, {1} ... stand for the compiled arguments."""
    element = type(f"_{name}", (FunctionElement,), {"type": type_, "inherit_cache": True, "name": name})

    def compile_with(template: str) -> Callable[..., str]:
        def render(fn: FunctionElement[Any], compiler: Any, **kw: Any) -> str:
            return template.format(*(compiler.process(arg, **kw) for arg in fn.clauses))

        return render

    for dialect, template in templates.items():
        targets = () if dialect == "default" else ("mysql", "mariadb") if dialect == "mysql" else (dialect,)
        compiles(element, *targets)(compile_with(template))
    return element


# A CHAR(8) `YYYYMMDD` as a DATE; SAP's initial `00000000` (or blanks) as NULL.
_Char8Date = _dialect_function("char8_date", Date(), {
    "default": _NONE + "CAST({0} AS DATE) END",
    "postgresql": _NONE + "to_date({0}, 'YYYYMMDD') END",
    "mysql": _NONE + "STR_TO_DATE({0}, '%%Y%%m%%d') END",
})  # fmt: skip
# A CHAR(8) date and a CHAR(6) `HHMMSS` time (SAP QMDAT/MZEIT) as a TIMESTAMP.
_CharInstant = _dialect_function("char_instant", DateTime(), {
    "postgresql": _NONE + "to_timestamp({0} || {1}, 'YYYYMMDDHH24MISS')::timestamp END",
    "mysql": _NONE + "STR_TO_DATE(CONCAT({0}, {1}), '%%Y%%m%%d%%H%%i%%s') END",
})  # fmt: skip
# A DATE and an integer HHMM time (SAP Business One createDate/createTime) as a TIMESTAMP, to the minute.
_DateHhmm = _dialect_function("date_hhmm", DateTime(), {
    "postgresql": "(CAST({0} AS TIMESTAMP) + (({1}) / 100 * 60 + ({1}) % 100) * INTERVAL '1 minute')",
    "mysql": "TIMESTAMPADD(MINUTE, (({1}) DIV 100) * 60 + ({1}) MOD 100, {0})",
    "mssql": "DATEADD(minute, (({1}) / 100) * 60 + ({1}) % 100, CAST({0} AS DATETIME2))",
})  # fmt: skip
_AddDays = _dialect_function("add_days", Date(), {
    "postgresql": "(({0}) + CAST({1} AS INTEGER))",
    "mysql": "DATE_ADD({0}, INTERVAL ({1}) DAY)",
})  # fmt: skip
_Digits = _dialect_function("digits", String(), {
    "postgresql": "regexp_replace({0}, '[^0-9]', '', 'g')",
    "mysql": "REGEXP_REPLACE({0}, '[^0-9]', '')",
})  # fmt: skip


def _padded(value: Sql, width: int) -> Sql:
    return func.lpad(cast(value, String), width, "0")


def char8_date(args: list[Sql], **_: Any) -> Sql:
    return _Char8Date(*args)


def char_instant(args: list[Sql], **_: Any) -> Sql:
    return _CharInstant(*args)


def date_hhmm(args: list[Sql], **_: Any) -> Sql:
    return _DateHhmm(*args)


def add_days(args: list[Sql], **_: Any) -> Sql:
    return _AddDays(*args)


def digits(args: list[Sql], **_: Any) -> Sql:
    """Digits only, e.g. a CUIT typed as `20-12345678-9`; NULL stays NULL."""
    return _Digits(*args)


def enum(args: list[Sql], map: dict[str, Any], default: Any = None, **_: Any) -> Sql:
    """Legacy codes to canonical values (`map` keys are the stored codes, as text)."""
    (value,) = args
    numeric = isinstance(value.type, Integer)
    # Integer codes (AFIP types, catalogs) compare as integers, so an index on them still serves.
    whens = [(value == int(code) if numeric else value == code, literal(out)) for code, out in map.items()]
    fallback = null() if default is None else literal(default)
    return case(*whens, else_=fallback)


# Python's own table (the built-in one, not the machine's /etc/mime.types), ".mp4" -> "video/mp4".
_MEDIA_TYPES = mimetypes.MimeTypes().types_map[True]


def content_type(
    args: list[Sql], extension: bool = False, default: str = "application/octet-stream", **_: Any
) -> Sql:
    """The media type of a file name (`video_cortes.mp4`: `video/mp4`), by its extension in any
    case, from Python's mimetypes table; `extension = true` when the column holds only the
    extension (B1's FileExt `mp4`); `default` for an unknown or missing one."""
    (value,) = args
    lowered = func.lower(value)
    if extension:
        whens = {suffix.removeprefix("."): literal(kind) for suffix, kind in _MEDIA_TYPES.items()}
        return case(whens, value=lowered, else_=literal(default))
    return case(
        *[(lowered.endswith(suffix, autoescape=True), literal(kind)) for suffix, kind in _MEDIA_TYPES.items()],
        else_=literal(default),
    )


def signed(args: list[Sql], credit: str = "H", **_: Any) -> Sql:
    """An unsigned amount with a debit/credit flag (SAP SHKZG `S`/`H`) as a signed amount."""
    amount, flag = args
    return case((flag == credit, -amount), else_=amount)


def flag(args: list[Sql], true: str = "X", **_: Any) -> Sql:
    """A text flag (`X`/` `, `Y`/`N`) as a boolean."""
    (value,) = args
    return case((value == true, literal(True, Boolean)), else_=literal(False, Boolean))


def printed(args: list[Sql], prefix: str = "", widths: tuple[int, int] = (4, 8), **_: Any) -> Sql:
    """A document number as printed: prefix, point of sale and number, e.g. `RC 0003-00005070`."""
    point, number = args
    return literal(prefix) + _padded(point, widths[0]) + literal("-") + _padded(number, widths[1])


def padded(args: list[Sql], prefix: str = "", width: int = 6, **_: Any) -> Sql:
    """`prefix` and a zero-padded number, e.g. `TK-004801`."""
    (number,) = args
    return literal(prefix) + _padded(number, width)


def coalesce(args: list[Sql], **_: Any) -> Sql:
    return func.coalesce(*args)


def first_positive(args: list[Sql], **_: Any) -> Sql:
    """The first argument above zero, else the last (SAP terms days: ZBD3T, ZBD2T, ZBD1T)."""
    *firsts, last = args
    return case(*[(a > 0, a) for a in firsts], else_=last)


def int_div(args: list[Sql], by: int = 1, **_: Any) -> Sql:
    (value,) = args
    return cast(func.floor(value / by), Integer)


def as_money(args: list[Sql], **_: Any) -> Sql:
    (value,) = args
    return cast(value, Numeric(14, 2))


def negate(args: list[Sql], **_: Any) -> Sql:
    (value,) = args
    return -value


def add(args: list[Sql], **_: Any) -> Sql:
    """The sum of its arguments (SAP VBRK: NETWR + MWSBK)."""
    out = args[0]
    for more in args[1:]:
        out = out + more
    return out


def substring(args: list[Sql], start: int = 1, length: int = 1, **_: Any) -> Sql:
    """Part of a text, from 1-based `start` (SAP XBLNR `0003B00017537`: point of sale, letter, number)."""
    (value,) = args
    return func.substr(value, start, length)


def to_int(args: list[Sql], **_: Any) -> Sql:
    (value,) = args
    return cast(value, Integer)


def concat(args: list[Sql], sep: str = "", **_: Any) -> Sql:
    """Texts joined by `sep`, e.g. a composite legacy key `VBELN/POSNR` as one canonical id."""
    out: Sql = cast(args[0], String)
    for more in args[1:]:
        out = out + literal(sep) + cast(more, String) if sep else out + cast(more, String)
    return out


def blank_null(args: list[Sql], **_: Any) -> Sql:
    """SAP's initial blank as NULL (an empty tax number, a line without a material)."""
    (value,) = args
    return func.nullif(value, "")


def zero_null(args: list[Sql], **_: Any) -> Sql:
    """SAP's initial 0 as NULL (a promotion without a percentage)."""
    (value,) = args
    return func.nullif(value, 0)


def curr(args: list[Sql], stored: int = 2, **_: Any) -> Sql:
    """An amount kept as if its currency had `stored` decimals (SAP CURR fields: 2), made real by
    the currency's own decimals (SAP TCURX.CURRDEC, typically an outer join on the currency key;
    NULL, a currency the table does not list, has `stored`): real = stored x 10^(stored - decimals),
    JPY/CLP 15000 kept as 150.00. Exact arithmetic, a CASE over literal factors on any dialect."""
    amount, decimals = args
    factors = {
        d: literal_column(str(Decimal(10) ** (stored - d)), Numeric()) for d in range(7) if d != stored
    }
    return case({d: amount * factor for d, factor in factors.items()}, value=decimals, else_=amount)


def total(args: list[Sql], **_: Any) -> Sql:
    """An aggregate sum (in relations with `group_by`)."""
    (value,) = args
    return func.sum(value)


def minimum(args: list[Sql], **_: Any) -> Sql:
    (value,) = args
    return func.min(value)


def blob_key(args: list[Sql], prefix: str = "ventanilla/", **_: Any) -> Sql:
    """The SHA-256 key in Ventanilla's blob store of a file a portal write named `<prefix><sha256>/...`
    in a legacy table (connectors/sql/writes.py); NULL for the system's own files."""
    (path,) = args
    head = func.substr(path, 1, len(prefix))
    return case((head == literal(prefix), func.substr(path, len(prefix) + 1, 64)), else_=null())


FUNCTIONS: dict[str, Callable[..., Sql]] = {
    "char8_date": char8_date,
    "char_instant": char_instant,
    "date_hhmm": date_hhmm,
    "add_days": add_days,
    "digits": digits,
    "enum": enum,
    "content_type": content_type,
    "signed": signed,
    "flag": flag,
    "printed": printed,
    "padded": padded,
    "coalesce": coalesce,
    "first_positive": first_positive,
    "int_div": int_div,
    "money": as_money,
    "negate": negate,
    "add": add,
    "substring": substring,
    "to_int": to_int,
    "concat": concat,
    "blank_null": blank_null,
    "zero_null": zero_null,
    "curr": curr,
    "sum": total,
    "min": minimum,
    "blob_key": blob_key,
}
