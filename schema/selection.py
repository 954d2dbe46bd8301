"""Which canonical record fields a GraphQL document needs, so that a connector reads only those.

Every GraphQL type that wraps a record (`record: strawberry.Private[records.X]`) reads, for
each of its fields, either the record attribute of the same Python name, or what the field
declares in its metadata: `strawberry.field(metadata={"reads": ("due_date", ...)})`, for
fields computed from several attributes (an invoice's status) and for resolvers that use
the record (a customer's statement uses its credit limit). Keys, the currency and the flags and
statuses that decide how a record is built are always read (`always_read`).

`wanted_fields(schema, document)` walks the document once (every operation and fragment: an
upper bound) and answers {record class: frozenset of attribute names}. A record class the
document does not mention is absent, and a connector then reads it whole.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from enum import Enum
from functools import cache, lru_cache
from typing import Any

import strawberry
from graphql import DocumentNode, FieldNode, TypeInfo, TypeInfoVisitor, Visitor, visit
from strawberry.types.base import StrawberryObjectDefinition

from ..connectors.base import Wanted

READS = "reads"

# (GraphQL type name, GraphQL field name) -> (record class, record attributes it reads)
ReadMap = Mapping[tuple[str, str], tuple[type, frozenset[str]]]


def _record_class(origin: type) -> type | None:
    hints = typing.get_type_hints(origin, include_extras=True)
    annotation = hints.get("record")
    if annotation is None:
        return None
    record = typing.get_args(annotation)[0]
    return record if isinstance(record, type) and dataclasses.is_dataclass(record) else None


@lru_cache(maxsize=4)  # one schema per app; tests build a few
def read_map(schema: strawberry.Schema) -> ReadMap:
    """What each field of each record-backed type reads, built once per schema."""
    reads: dict[tuple[str, str], tuple[type, frozenset[str]]] = {}
    converter = schema.config.name_converter
    for name, graphql_type in schema.schema_converter.type_map.items():
        definition = graphql_type.definition
        if not isinstance(definition, StrawberryObjectDefinition) or definition.is_input:
            continue
        record = _record_class(definition.origin)
        if record is None:
            continue
        attributes = {f.name for f in dataclasses.fields(record)}
        for field in definition.fields:
            metadata: dict[str, Any] = dict(field.metadata or {})
            declared = metadata.get(READS)
            if declared is not None:
                unknown = set(declared) - attributes
                assert not unknown, f"{name}.{field.python_name} reads unknown {unknown}"
                needed = frozenset(declared)
            elif field.python_name in attributes:
                needed = frozenset((field.python_name,))
            else:
                needed = frozenset()
            reads[(name, converter.get_graphql_name(field))] = (record, needed)
    return reads


class _Collect(Visitor):
    def __init__(self, info: TypeInfo, reads: ReadMap) -> None:
        super().__init__()
        self.info, self.reads = info, reads
        self.wanted: dict[type, set[str]] = {}

    def enter_field(self, node: FieldNode, *_: object) -> None:
        parent = self.info.get_parent_type()
        found = parent is not None and self.reads.get((parent.name, node.name.value))
        if found:
            record, needed = found
            self.wanted.setdefault(record, set()).update(needed)


def wanted_fields(schema: strawberry.Schema, document: DocumentNode) -> Wanted:
    """{record class: attributes the document may read, with `always_read` ones}."""
    info = TypeInfo(schema._schema)
    collect = _Collect(info, read_map(schema))
    visit(document, TypeInfoVisitor(info, collect))
    return {record: frozenset(names) | always_read(record) for record, names in collect.wanted.items()}


@cache
def always_read(record: type) -> frozenset[str]:
    """Keys (its id and the ids of other records), the currency every amount is printed in, and
    the flags and statuses that decide how a record is built: cheap, and used by resolvers."""
    hints = typing.get_type_hints(record)
    return frozenset(
        name
        for name, hint in hints.items()
        if name in ("id", "currency")
        or (name.endswith(("_id", "_ids")) and hint in _KEY_TYPES)
        or hint is bool
        or (isinstance(hint, type) and issubclass(hint, Enum))
    )


_KEY_TYPES = (str, str | None, tuple[str, ...])
