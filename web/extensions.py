"""Schema extensions of the served API: who may introspect, one operation per request, depth, the document cache."""

from __future__ import annotations

from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    OperationDefinitionNode,
    ValidationContext,
    ValidationRule,
)
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import QueryDepthLimiter, SchemaExtension

from ..auth.roles import may_introspect
from ..errors import ApiError, ErrorCode
from ..resolvers.context import Context
from ..schema.documents import refuse
from ..schema.selection import wanted_fields


class IntrospectionGate(SchemaExtension):
    """Introspection for staff and in demo mode; everyone else gets the API, not its map."""

    def on_operation(self) -> Any:
        ctx: Context = self.execution_context.context
        if not may_introspect(ctx.principal, ctx.settings.demo):
            self.execution_context.validation_rules = (
                *self.execution_context.validation_rules,
                NoSchemaIntrospectionCustomRule,
            )
        yield


class CachedDocuments(SchemaExtension):
    """Parse and validate each distinct query once: documents by text, errors by text and rules,
    and the record attributes each document reads (schema/selection.py), by text.

    The rules are part of the key because they differ by caller (introspection, partner
    scopes); the limiters' rules are built once per app so that their classes are stable.
    """

    def __init__(
        self, documents: dict[Any, Any], errors: dict[Any, Any], wanted: dict[Any, Any], size: int = 512
    ) -> None:
        self.documents, self.errors, self.wanted, self.size = documents, errors, wanted, size

    def _key(self) -> tuple[Any, ...]:
        ctx = self.execution_context
        return (ctx.query, tuple(sorted(ctx.parse_options.items())))

    def _store(self, cache: dict[Any, Any], key: Any, value: Any) -> None:
        if len(cache) >= self.size:
            cache.pop(next(iter(cache)))  # the oldest: enough for a set of page queries
        cache[key] = value

    def on_parse(self) -> Any:
        ctx = self.execution_context
        key = self._key()
        if ctx.graphql_document is None and ctx.query is not None:
            ctx.graphql_document = self.documents.get(key)
        yield
        if ctx.graphql_document is not None and ctx.query is not None and key not in self.documents:
            self._store(self.documents, key, ctx.graphql_document)

    def on_validate(self) -> Any:
        ctx = self.execution_context
        key = (*self._key(), ctx.validation_rules)
        cached = self.errors.get(key)
        if cached is not None and ctx.pre_execution_errors is None:
            ctx.pre_execution_errors = list(cached)
        yield
        if cached is None and ctx.pre_execution_errors is not None:
            self._store(self.errors, key, tuple(ctx.pre_execution_errors))

    def on_execute(self) -> Any:
        """Tell the loaders which record attributes this document can read."""
        ctx = self.execution_context
        if ctx.graphql_document is not None:
            key = self._key()
            wanted = self.wanted.get(key)
            if wanted is None:
                wanted = wanted_fields(ctx.schema, ctx.graphql_document)
                self._store(self.wanted, key, wanted)
            ctx.context.loaders.read_only(wanted)
        yield




class OneOperation(SchemaExtension):
    """A document with several operations must say which to run (GraphQL over HTTP): without
    `operationName` none runs, instead of the first."""

    def on_execute(self) -> Any:
        ctx = self.execution_context
        document = ctx.graphql_document
        # `operation_name` falls back to the first operation's name: the one the client gave is this.
        given = getattr(ctx, "_provided_operation_name", None)
        if document is not None and given is None and _operations(document) > 1:
            error = ApiError(ErrorCode.BAD_REQUEST, detail="operationName")
            refuse(ctx, error)
        yield


def _operations(document: DocumentNode) -> int:
    return sum(isinstance(d, OperationDefinitionNode) for d in document.definitions)


def depth_rules(max_depth: int) -> list[type[ValidationRule]]:
    """Strawberry's depth limit, skipped for a document that spreads an undefined fragment
    (its depth cannot be measured, and validation refuses the document for that already)."""
    return [_unless_fragments_missing(rule) for rule in QueryDepthLimiter(max_depth=max_depth).validation_rules]


def _unless_fragments_missing(rule: type[ASTValidationRule]) -> type[ValidationRule]:
    class Guarded(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            if not _undefined_fragments(context.document):
                rule(context)  # measures the depth and reports on the same context

    Guarded.__name__ = rule.__name__
    return Guarded


def _undefined_fragments(document: DocumentNode) -> bool:
    defined = {d.name.value for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    stack: list[Any] = list(document.definitions)
    while stack:
        node = stack.pop()
        if isinstance(node, FragmentSpreadNode) and node.name.value not in defined:
            return True
        selection_set = getattr(node, "selection_set", None)
        if selection_set is not None:
            stack.extend(selection_set.selections)
    return False
