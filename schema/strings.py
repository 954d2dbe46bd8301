"""Text a request may carry: no NUL and no lone surrogate in any string argument or variable.

Neither is text a customer types. A NUL matches anything in SQLite's LIKE, and a lone surrogate
cannot be encoded for a database driver (it surfaced as an outage). Both are refused before the
operation runs, with BAD_INPUT naming the argument or variable, whatever field they reach.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    ListValueNode,
    ObjectValueNode,
    StringValueNode,
    ValueNode,
)
from strawberry.extensions import SchemaExtension

from ..errors import ApiError, ErrorCode
from .documents import PerDocument, refuse

_NOT_TEXT = re.compile("[\x00\ud800-\udfff]")


def is_text(value: str) -> bool:
    """True unless `value` holds a NUL or a lone surrogate."""
    return _NOT_TEXT.search(value) is None


def bad_strings(document: DocumentNode, variables: dict[str, Any] | None) -> list[str]:
    """The names of the variables and arguments that carry a string that is not text."""
    found = [f"${name}" for name, value in (variables or {}).items() if not all(map(is_text, _strings(value)))]
    return found + _bad_literals(document)


# The names of the arguments written in each document that are not text.
_BAD_LITERALS: PerDocument[list[str]] = PerDocument()


def _bad_literals(document: DocumentNode) -> list[str]:
    return _BAD_LITERALS.get(document, (), lambda: _find_bad_literals(document))


def _find_bad_literals(document: DocumentNode) -> list[str]:
    return [
        argument.name.value
        for definition in document.definitions
        for argument in _literal_arguments(definition)
        if not all(map(is_text, _literal_strings(argument.value)))
    ]


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _literal_arguments(node: Any) -> Iterator[ArgumentNode]:
    """Every argument written in the document: of fields and directives, in fragments too."""
    for directive in getattr(node, "directives", None) or ():
        yield from directive.arguments or ()
    yield from getattr(node, "arguments", None) or ()
    selection_set = getattr(node, "selection_set", None)
    if selection_set is not None:
        for selection in selection_set.selections:
            yield from _literal_arguments(selection)


def _literal_strings(node: ValueNode) -> Iterator[str]:
    if isinstance(node, StringValueNode):
        yield node.value
    elif isinstance(node, ListValueNode):
        for item in node.values:
            yield from _literal_strings(item)
    elif isinstance(node, ObjectValueNode):
        for field in node.fields:
            yield from _literal_strings(field.value)


class TextOnly(SchemaExtension):
    """Refuse, before execution, an operation whose arguments or variables are not text."""

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.graphql_document is not None:
            bad = bad_strings(ctx.graphql_document, ctx.variables)
            if bad:
                error = ApiError(ErrorCode.BAD_INPUT, field=bad, detail=", ".join(bad))
                refuse(ctx, error)
        yield
