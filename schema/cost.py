"""What a query may cost, worked out from the document and its variables before anything runs.

The cost counts the objects a query can make the server build: every object field is 1, and a
list multiplies what is below it by how many items it may hold. A connection holds `first` items
(the argument, literal or variable; the default page size when absent), any other list an
estimate (`LIST_ESTIMATE`). Nesting multiplies, aliases add up, scalars are free. It is the model
of GraphQL Armor's cost limit and of GitHub's and Shopify's published ones, reduced to what
Ventanilla's schema needs: so `customer { invoices(first: 100) { nodes { customer {
invoices(first: 100) { nodes { number } } } } } }` costs 10,302 before it reads a row.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLType,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
    get_operation_ast,
    is_composite_type,
    value_from_ast,
)
from strawberry.extensions import SchemaExtension

from ..errors import ApiError, ErrorCode
from .documents import PerDocument, refuse

LIST_ESTIMATE = 10  # items assumed in a list without `first` (invoice lines, messages, promotions ...)
DEFAULT_PAGE_SIZE = 20  # resolvers/common.py: a connection without `first`
PAGE_ARGUMENT = "first"


def query_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None = None,
    variables: Mapping[str, Any] | None = None,
) -> int:
    """The cost of the operation `operation_name` names (the only one when None); 0 if none fits."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    walk = _Walk(schema, fragments, dict(variables or {}))
    return walk.selections(root, operation.selection_set, 1, None, frozenset())


class _Walk:
    def __init__(
        self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode], variables: dict[str, Any]
    ) -> None:
        self.schema, self.fragments, self.variables = schema, fragments, variables

    def selections(
        self,
        parent: GraphQLType,
        selection_set: SelectionSetNode | None,
        multiplier: int,
        page: int | None,
        spread: frozenset[str],
    ) -> int:
        """The cost below `parent`, each object counted `multiplier` times; `page` is the size of
        the lists of a connection (its `first`), None elsewhere."""
        total = 0
        for node, owner in self._fields(parent, selection_set, spread):
            field = _field(owner, node.name.value)
            if field is None or not is_composite_type(get_named_type(field.type)):
                continue  # a scalar, __typename, or what validation already refused
            count = multiplier * _size(field.type, page)
            below = self._page_size(field, node)
            total += count + self.selections(get_named_type(field.type), node.selection_set, count, below, spread)
        return total

    def _fields(
        self, parent: GraphQLType, selection_set: SelectionSetNode | None, spread: frozenset[str]
    ) -> Iterator[tuple[FieldNode, GraphQLType]]:
        """Each field selected on `parent`, through inline fragments and fragment spreads."""
        if selection_set is None:
            return
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection, parent
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                owner = self.schema.get_type(condition.name.value) if condition else parent
                yield from self._fields(owner or parent, selection.selection_set, spread)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in spread:
                    continue  # undefined or cyclic: validation answers those
                owner = self.schema.get_type(fragment.type_condition.name.value) or parent
                yield from self._fields(owner, fragment.selection_set, spread | {name})

    def _page_size(self, field: GraphQLField, node: FieldNode) -> int | None:
        """`first` of a connection field as the request gives it (the default page when absent)."""
        argument = field.args.get(PAGE_ARGUMENT)
        if argument is None:
            return None
        given = next((a.value for a in node.arguments or () if a.name.value == PAGE_ARGUMENT), None)
        value = value_from_ast(given, argument.type, self.variables) if given is not None else None
        # A value that is no Int (negative, over 32 bits) is refused when the variables are coerced.
        return value if isinstance(value, int) and 0 <= value < 2**31 else DEFAULT_PAGE_SIZE


def _field(owner: GraphQLType, name: str) -> GraphQLField | None:
    if isinstance(owner, (GraphQLObjectType, GraphQLInterfaceType)):
        return owner.fields.get(name)
    return None


def _size(type_: GraphQLType, page: int | None) -> int:
    """How many objects one value of `type_` holds: a list the page size or the estimate."""
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(type_, GraphQLList):
        return (page if page is not None else LIST_ESTIMATE) * _size(type_.of_type, None)
    return 1


# The cost of each document, per operation and integer variables (only `first`, an Int, changes it).
_COSTS: PerDocument[int] = PerDocument()


def _cached_cost(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None, variables: Mapping[str, Any] | None
) -> int:
    numbers = tuple(sorted((k, v) for k, v in (variables or {}).items() if isinstance(v, int)))
    return _COSTS.get(document, (operation_name, numbers), lambda: query_cost(schema, document, operation_name, variables))


class CostLimit(SchemaExtension):
    """Refuse, before execution, an operation whose cost is over the caller's limit
    (`QUERY_TOO_COMPLEX`, stating both), and report the cost in `extensions.cost`."""

    def __init__(self, limit_for: Any) -> None:
        self.limit_for = limit_for  # (context) -> the caller's limit
        self.cost: dict[str, int] | None = None

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        document = ctx.graphql_document
        if document is not None:
            limit = self.limit_for(ctx.context)
            cost = _cached_cost(ctx.schema._schema, document, ctx.operation_name, ctx.variables)
            self.cost = {"requested": cost, "limit": limit}
            if cost > limit:
                error = ApiError(ErrorCode.QUERY_TOO_COMPLEX, cost=str(cost), limit=str(limit))
                refuse(ctx, error)
        yield

    def get_results(self) -> dict[str, Any]:
        return {"cost": self.cost} if self.cost is not None else {}
