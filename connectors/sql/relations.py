"""Compile a mapping's relations into SQLAlchemy Core selects with canonical column names."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Date,
    DateTime,
    FromClause,
    Integer,
    Numeric,
    String,
    Subquery,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.sql.util import find_tables

from .functions import FUNCTIONS
from .mapping import Mapping, Part, Relation
from .part_keys import encoded

Sql = ColumnElement[Any]
_NULL_TYPES: dict[str, Any] = {"date": Date(), "datetime": DateTime(), "int": Integer(), "money": Numeric(14, 2),
               "text": String(), "bool": Boolean()}  # fmt: skip
_OPS = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "in": lambda a, b: a.in_(b),
    "not_in": lambda a, b: a.not_in(b),
}


class Scope:
    """The tables (and aliases) one part of a relation may name, and the mapping's parameters."""

    def __init__(self, mapping: Mapping, params: dict[str, Any]) -> None:
        self.mapping = mapping
        self.params = params
        self.names: dict[str, FromClause] = {}

    def add(self, table: str, alias: str | None = None) -> FromClause:
        source: FromClause = self.mapping.table(table)
        if alias:
            source = source.alias(alias)
        self.names[alias or table] = source
        return source

    def column(self, ref: str) -> Sql:
        table, _, column = ref.rpartition(".")
        try:
            return self.names[table].c[column]
        except KeyError:
            raise ValueError(f"mapping {self.mapping.name}: unknown column {ref!r}") from None

    def value(self, spec: Any) -> Any:
        """A literal of a condition: `$name` is a parameter, a {col = ...} table a column."""
        if isinstance(spec, str) and spec.startswith("$"):
            return self.params[spec[1:]]
        if isinstance(spec, dict):
            return self.expr(spec)
        if isinstance(spec, list):
            return [self.value(v) for v in spec]
        return spec

    def expr(self, spec: Any) -> Sql:
        """A column spec: "T.C", a literal {value = ...}, {fn = ..., args = [...]}, {case = ...} ..."""
        if isinstance(spec, str):
            return literal(self.params[spec[1:]]) if spec.startswith("$") else self.column(spec)
        if isinstance(spec, bool | int | float):
            return literal(spec)
        if "col" in spec:
            return self.column(spec["col"])
        if "value" in spec:
            return literal(self.value(spec["value"]))
        if "null" in spec:
            return cast(null(), _NULL_TYPES[spec["null"]])
        if "fn" in spec:
            options = {k: v for k, v in spec.items() if k not in ("fn", "args")}
            args = [self.expr(a) for a in spec.get("args", ())]
            try:
                function = FUNCTIONS[spec["fn"]]
            except KeyError:
                raise ValueError(f"mapping {self.mapping.name}: unknown function {spec['fn']!r}") from None
            return function(args, **options)
        if "case" in spec:
            whens = [(self.condition(cond), self.expr(value)) for cond, value in spec["case"]]
            fallback = self.expr(spec["else"]) if "else" in spec else null()
            return case(*whens, else_=fallback)
        if "sum_of" in spec:
            return self._aggregate_of(spec["sum_of"], "sum")
        if "max_of" in spec:
            return self._aggregate_of(spec["max_of"], "max")
        raise ValueError(f"mapping {self.mapping.name}: cannot read column spec {spec!r}")

    def condition(self, spec: dict[str, Any]) -> Sql:
        if "all" in spec:
            return and_(*[self.condition(c) for c in spec["all"]])
        if "any" in spec:
            return or_(*[self.condition(c) for c in spec["any"]])
        left = self.expr(spec["column"])
        if "is_null" in spec:
            return left.is_(None) if spec["is_null"] else left.is_not(None)
        for op, build in _OPS.items():
            if op in spec:
                return build(left, self.value(spec[op]))
        raise ValueError(f"mapping {self.mapping.name}: cannot read condition {spec!r}")

    def _aggregate_of(self, spec: dict[str, Any], agg: str) -> Sql:
        """Σ (0 when none) or the largest value (NULL when none) of a column of other rows matched
        to this one: a correlated subquery, summed over several tables of one layout (`*.COL`)."""
        inner = Scope(self.mapping, self.params)
        inner.names = dict(self.names)
        sources = spec["from"] if isinstance(spec["from"], list) else [spec["from"]]
        sums = []
        for source in sources:
            inner.add(source, spec.get("as"))
            source = spec.get("as") or source
            matched = [inner.column(a.replace("*", source)) == self.column(b) for a, b in spec["match"]]
            where = [inner.condition(_bind(c, source)) for c in spec.get("where", ())]
            value = inner.expr(_bind(spec["value"], source))
            aggregate = func.coalesce(func.sum(value), 0) if agg == "sum" else func.max(value)
            sums.append(
                select(aggregate).where(*matched, *where).correlate(*self.names.values()).scalar_subquery()
            )
        if agg == "max" and len(sums) > 1:
            return func.greatest(*sums)
        out: Any = sums[0]
        for more in sums[1:]:
            out = out + more
        return out


def _bind(spec: Any, table: str) -> Any:
    """`*.COL` in a sum over several tables of one layout (SAP BSID and BSAD) names each in turn."""
    if isinstance(spec, str):
        return spec.replace("*.", f"{table}.") if spec.startswith("*.") else spec
    if isinstance(spec, dict):
        return {k: _bind(v, table) for k, v in spec.items()}
    if isinstance(spec, list):
        return [_bind(v, table) for v in spec]
    return spec


def _part_select(
    mapping: Mapping, relation: Relation, part: Part, params: dict[str, Any], order: list[str],
    only: tuple[str, Any] | None = None,
) -> Any:  # fmt: skip
    """One part's SELECT; `only` = (column, stored keys, or an expanding parameter of them) keeps
    the rows of those keys (a routed lookup)."""
    scope = Scope(mapping, params)
    base = scope.add(part.from_)
    joins = []
    for join in part.joins:
        target = scope.add(join["table"], join.get("as"))
        on = and_(*[scope.column(a) == scope.column(b) for a, b in join["on"]], *[
            scope.condition(c) for c in join.get("where", ())
        ])  # fmt: skip
        joins.append((target, on, join.get("outer", False), _unique_lookup(scope, join, target)))
    columns = []
    for name in order:
        expr = scope.expr(part.columns[name])
        if name in relation.prefixes:
            expr = encoded(expr, part.key_prefix.get(name, ""), relation.raw_keys[name], mapping.key_prefixes)
        columns.append(expr.label(name))
    where = [scope.condition(c) for c in part.where]
    if only is not None:
        where.append(scope.expr(part.columns[only[0]]).in_(only[1]))
    group_by = [scope.expr(g) for g in part.group_by]
    joined: Any = base
    for target, on, outer, _ in _needed_joins(joins, [*columns, *where, *group_by]):
        joined = joined.join(target, on, isouter=outer)
    statement = select(*columns).select_from(joined)
    if where:
        statement = statement.where(*where)
    if group_by:
        statement = statement.group_by(*group_by)
    return statement


def _unique_lookup(scope: Scope, join: dict[str, Any], target: FromClause) -> bool:
    """True when the join's equalities cover the target's primary key: at most one row."""
    target_name = join.get("as", join["table"])
    keyed = {scope.column(ref).key for pair in join["on"] for ref in pair if ref.rpartition(".")[0] == target_name}
    primary = {column.key for column in target.primary_key}
    return bool(primary) and primary <= keyed


def _needed_joins(joins: list[tuple[Any, Any, bool, bool]], used: list[Any]) -> list[tuple[Any, Any, bool, bool]]:
    """The joins the selected columns, filters and groups need: an outer join to at most one row
    whose table nothing uses changes no row, so a narrowed relation leaves it out."""
    needed = {id(t) for expr in used for t in find_tables(expr, check_columns=True, include_aliases=True)}
    kept = []
    for join in reversed(joins):
        target, on, outer, unique = join
        if outer and unique and id(target) not in needed:
            continue
        kept.append(join)
        needed |= {id(t) for t in find_tables(on, check_columns=True, include_aliases=True)}
    return kept[::-1]


def compile_relation(
    mapping: Mapping, relation: Relation, params: dict[str, Any], fields: Collection[str] | None = None,
    only: tuple[str, dict[int, Any]] | None = None,
) -> Subquery:  # fmt: skip
    """The relation as a subquery whose columns carry canonical names (UNION ALL of its parts).

    `fields` narrows it to the canonical columns a caller asked for (its key columns always stay),
    so that expensive expressions (correlated sums, text conversions) are left out of the SQL.
    `only` = (column, {part index: stored keys or their parameter}) reads just those parts, each
    filtered on its own column (a lookup routed by key prefix, connectors/sql/part_keys.py).
    """
    order = list(relation.parts[0].columns)
    if fields is not None:
        order = [name for name in order if name in fields or name in relation.keys]
    for part in relation.parts[1:]:
        if set(part.columns) != set(relation.parts[0].columns):
            raise ValueError(f"mapping {mapping.name}: the parts of {relation.name} differ in columns")
    if only is None:
        selects = [_part_select(mapping, relation, part, params, order) for part in relation.parts]
    else:
        column, by_part = only
        selects = [
            _part_select(mapping, relation, relation.parts[i], params, order, (column, keys))
            for i, keys in sorted(by_part.items())
        ]
    if len(selects) == 1:
        return selects[0].subquery(relation.name)
    combined: Any = union_all(*selects[:1], *selects[1:])
    return combined.subquery(relation.name)
