"""Text compared alike on every database: folded (no case, no accents) for search and order, by code point.

A database compares text by its collation: MariaDB's `utf8mb4_general_ci` finds "Sofía" when asked
for "sofia" and sorts it among the unaccented names, PostgreSQL and SQLite do neither, and a
PostgreSQL database in `es_AR.UTF-8` sorts otherwise than one in `C`. Search and order must not
depend on that, so every connector compares the *folded* text instead: A–Z lower-cased and the
accented Latin letters of `FOLDS` read as their base letter (ñ as n, ç as c), every other character
as it is, compared by code point. The same table folds what the user typed, in Python (`fold`),
and the stored text, in SQL (`folded`), built per dialect with nothing to install on the database
(no `unaccent` extension: a customer's read-only replica may not allow one):

* PostgreSQL: `translate(x, 'ABC…Áá…', 'abc…aa…') COLLATE "C"`, one pass, immutable (indexable);
* SQLite: `ventanilla_fold(x)`, `fold` itself, registered on every SQLite connection (SQLite has
  no `translate()`, and one `replace()` per letter nests deeper than its parser allows);
* MariaDB / MySQL: one `REPLACE()` per letter (REPLACE is binary whatever the collation) over the
  text converted to utf8mb4, compared under `utf8mb4_nopad_bin` (code points, trailing spaces count);
* other dialects: `lower()` over one `replace()` per accented letter.

`exact` is the by-code-point half alone, for text ordered as stored (a customer's code).
Cost: a folded comparison cannot use a plain index on the column. The native customers table has
an index on the folded name on PostgreSQL, so its pages in name order read in index order; on
SQLite (the demo's store) and in a mapped relation (a legacy replica, where Ventanilla adds no
index) each page sorts the customers it pages from (the database keeps only the page's rows while
it reads them), and a search (`LIKE '%term%'`) reads every customer, as it did before.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import String, event, func, literal_column
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_connection
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

# Accented Latin letters (Latin-1's, as names carry them) and the base letter each is compared as.
_ACCENTED = {
    "a": "áàâäãåÁÀÂÄÃÅ",
    "e": "éèêëÉÈÊË",
    "i": "íìîïÍÌÎÏ",
    "o": "óòôöõøÓÒÔÖÕØ",
    "u": "úùûüÚÙÛÜ",
    "n": "ñÑ",
    "c": "çÇ",
    "y": "ýÿÝ",
}
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Every character folded, and what it becomes: A–Z to a–z, then each accented letter.
FOLDS: dict[str, str] = {
    **{letter: letter.lower() for letter in _UPPER},
    **{accented: base for base, letters in _ACCENTED.items() for accented in letters},
}
_TABLE = str.maketrans(FOLDS)


def fold(text: str) -> str:
    """`text` as `folded` makes it in SQL: "Sofía GONZÁLEZ" → "sofia gonzalez"."""
    return text.translate(_TABLE)


def folded(expression: ColumnElement[Any]) -> ColumnElement[str]:
    """The text of `expression` folded and compared by code point, in the database's own SQL."""
    return _Folded(expression)


def exact(expression: ColumnElement[Any]) -> ColumnElement[str]:
    """The text of `expression` as stored, compared by code point whatever the collation."""
    return _Exact(expression)


def sort_name(column: ColumnElement[Any]) -> ColumnElement[str]:
    """A name as listings order it: folded, NULL as blank (a keyset key is never NULL). The native
    customers' index is on this very expression, so that the database matches it."""
    return folded(func.coalesce(column, literal_column("''")))


def sort_code(column: ColumnElement[Any]) -> ColumnElement[str]:
    """A code as listings order it, after the name: as stored, by code point, NULL as blank."""
    return exact(func.coalesce(column, literal_column("''")))


class _Folded(FunctionElement[str]):
    type = String()
    name = "folded"
    inherit_cache = True


class _Exact(FunctionElement[str]):
    type = String()
    name = "exact"
    inherit_cache = True


def _argument(element: FunctionElement[Any], compiler: Any, **kw: Any) -> str:
    (argument,) = element.clauses
    return compiler.process(argument, **kw)


def _replaced(sql: str, characters: dict[str, str], call: str = "replace") -> str:
    for source, target in characters.items():
        sql = f"{call}({sql}, '{source}', '{target}')"
    return sql


_ACCENTS_ONLY = {k: v for k, v in FOLDS.items() if k not in _UPPER}


@compiles(_Folded)
def _folded_default(element: _Folded, compiler: Any, **kw: Any) -> str:
    return f"lower({_replaced(_argument(element, compiler, **kw), _ACCENTS_ONLY)})"


_SQLITE_FOLD = "ventanilla_fold"


@compiles(_Folded, "sqlite")
def _folded_sqlite(element: _Folded, compiler: Any, **kw: Any) -> str:
    return f"{_SQLITE_FOLD}({_argument(element, compiler, **kw)})"


def _fold_or_null(text: str | None) -> str | None:
    return None if text is None else fold(str(text))


@event.listens_for(Engine, "connect")
def _register_fold(dbapi_connection: Any, connection_record: Any) -> None:
    """Give every SQLite connection, of any engine, `ventanilla_fold` (deterministic: SQLite may
    evaluate it once per row and value)."""
    if isinstance(dbapi_connection, sqlite3.Connection | AsyncAdapt_aiosqlite_connection):
        dbapi_connection.create_function(_SQLITE_FOLD, 1, _fold_or_null, deterministic=True)


@compiles(_Folded, "postgresql")
def _folded_postgresql(element: _Folded, compiler: Any, **kw: Any) -> str:
    sources, targets = "".join(FOLDS), "".join(FOLDS.values())
    return f"(translate({_argument(element, compiler, **kw)}, '{sources}', '{targets}') COLLATE \"C\")"


@compiles(_Folded, "mysql", "mariadb")
def _folded_mysql(element: _Folded, compiler: Any, **kw: Any) -> str:
    # MySQL's LOWER() follows the collation (it lowers Ø, Σ ...): the letters one by one instead.
    converted = f"CONVERT({_argument(element, compiler, **kw)} USING utf8mb4)"
    return f"({_replaced(converted, FOLDS, 'REPLACE')} COLLATE utf8mb4_nopad_bin)"


@compiles(_Exact)
def _exact_default(element: _Exact, compiler: Any, **kw: Any) -> str:
    return _argument(element, compiler, **kw)  # SQLite compares BINARY unless a column says otherwise


@compiles(_Exact, "postgresql")
def _exact_postgresql(element: _Exact, compiler: Any, **kw: Any) -> str:
    return f'({_argument(element, compiler, **kw)}) COLLATE "C"'


@compiles(_Exact, "mysql", "mariadb")
def _exact_mysql(element: _Exact, compiler: Any, **kw: Any) -> str:
    return f"(CONVERT({_argument(element, compiler, **kw)} USING utf8mb4) COLLATE utf8mb4_nopad_bin)"
