"""What the checks before execution share: results kept per parsed document, and how they refuse.

Parsed documents are cached and reused by query text (web/extensions.py), so what depends only
on a document (and a few values) is worked out once. An entry keeps its document alive, so that
the document's id is not reused by another while the entry stands.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from graphql import DocumentNode, ExecutionResult, GraphQLError
from strawberry.types import ExecutionContext

from ..errors import ApiError

V = TypeVar("V")


class PerDocument(Generic[V]):
    """Values by document and key, at most `size` of them (the oldest goes first)."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._entries: dict[tuple[int, Hashable], tuple[DocumentNode, V]] = {}

    def get(self, document: DocumentNode, key: Hashable, compute: Callable[[], V]) -> V:
        entry = self._entries.get((id(document), key))
        if entry is not None and entry[0] is document:
            return entry[1]
        value = compute()
        if len(self._entries) >= self.size:
            self._entries.pop(next(iter(self._entries)))
        self._entries[(id(document), key)] = (document, value)
        return value


def refuse(execution_context: ExecutionContext, error: ApiError) -> None:
    """Answer `error` instead of running the operation (a SchemaExtension's on_execute, before yield)."""
    execution_context.result = ExecutionResult(data=None, errors=[GraphQLError(error.code.value, original_error=error)])
