"""Plan-based completion of plain fields: graphql-core's executor, without a resolver call per field.

A dashboard answers a few thousand fields, most of them a record's attribute read as it is
(an invoice's number, a line's quantity). graphql-core spends on each the same steps as on a
field with logic: a resolve info, the resolver through Strawberry's wrapper, `isawaitable`,
and `complete_value`'s walk down the type. `PlannedExecution` is the execution context the
schema runs with (web/graphql.py sets it); for every field the plan marks *plain* it reads the
attribute and coerces it like `complete_leaf_value` does, and hands every other field to
graphql-core unchanged.

The plan is made once per schema, field by field on first use (`FieldPlan`): a field is plain
when Strawberry itself resolves it as a basic field (no resolver, no permission or other field
extension, no exception handler: `StrawberryField.is_basic_field`), with the default attribute
read, or when its resolver works the value out from the parent alone (an invoice's status:
synchronous, no Info, no arguments, no extension or exception handler; `_computed`), and its type is a scalar or an enum, nullable or not, or an object type without an
`is_type_of` check (Money: its subfields are then executed directly). Any schema extension with a
`resolve` hook (metrics or tracing of fields) turns the shortcut off for its request, since it
must see every field. Errors read exactly as graphql-core's: a null in a non-null field raises
the same TypeError at the same path, through the same `handle_field_error`.

`tests/test_planned_execution.py` runs documents through this context and through
graphql-core's own and requires identical JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLResolveInfoHelpers,
    GraphQLScalarType,
    GraphQLSchema,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.pyutils import Path, Undefined, gather_with_cancel, inspect
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

# Strawberry's link from a GraphQLField to the StrawberryField it was made from.
_DEFINITION = "strawberry-definition"


class Plain:
    """How a plain field is completed: the attribute it reads (or the resolver that works it out
    from its parent alone), and the leaf type that coerces it or the object type whose subfields
    complete it."""

    __slots__ = ("attribute", "compute", "leaf", "object_type", "non_null", "label")

    def __init__(
        self,
        attribute: str,
        kind: GraphQLScalarType | GraphQLEnumType | GraphQLObjectType,
        non_null: bool,
        label: str,
        compute: Callable[[Any], Any] | None = None,
    ) -> None:
        self.attribute, self.compute, self.non_null, self.label = attribute, compute, non_null, label
        self.object_type = kind if isinstance(kind, GraphQLObjectType) else None
        self.leaf = None if isinstance(kind, GraphQLObjectType) else kind


class FieldPlan:
    """For each (object type, field name) of one schema: a Plain, or None when graphql-core must
    run the field (a resolver, a role, an extension, a list or an object)."""

    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema
        self.fields: dict[tuple[str, str], Plain | None] = {}

    def of(self, parent_type: GraphQLObjectType, name: str) -> Plain | None:
        key = (parent_type.name, name)
        try:
            return self.fields[key]
        except KeyError:
            plan = self.fields[key] = _plain(parent_type, name, parent_type.fields.get(name))
            return plan


def _plain(parent_type: GraphQLObjectType, name: str, field: GraphQLField | None) -> Plain | None:
    if field is None or field.args:
        return None
    definition = (field.extensions or {}).get(_DEFINITION)
    resolve = field.resolve
    if definition is None or resolve is None:
        return None
    compute = _computed(definition, resolve)
    if compute is None:
        # Strawberry's basic-field resolver: the attribute by the configured default resolver, no Info.
        if not getattr(resolve, "_is_default", False) or not definition.is_basic_field:
            return None
        if getattr(resolve, "__name__", "") != "_get_basic_result":
            return None
        if getattr(definition, "default_resolver", getattr) is not getattr:
            return None
    kind: Any = field.type
    non_null = isinstance(kind, GraphQLNonNull)
    if non_null:
        kind = kind.of_type
    if isinstance(kind, GraphQLObjectType):
        # graphql-core would call is_type_of with a resolve info, which a plain field does not make.
        if kind.is_type_of is not None:
            return None
    elif not isinstance(kind, (GraphQLScalarType, GraphQLEnumType)):
        return None
    return Plain(definition.python_name, kind, non_null, f"{parent_type.name}.{name}", compute)


def _computed(definition: Any, resolve: Any) -> Callable[[Any], Any] | None:
    """A resolver that works its value out from the parent alone (`lambda root: ...`, a method
    taking only `self`), called as Strawberry would call it; None for any other field.

    Strawberry's synchronous wrapper (`_resolver`) then only makes an Info, converts no arguments
    and calls the function: nothing a caller can see, as long as the field has no extension (a
    role check is one), the function asks for no Info and no argument, is not async, and the
    schema has no exception handler for the field."""
    resolver = definition.base_resolver
    if resolver is None or definition.extensions or getattr(resolve, "__name__", "") != "_resolver":
        return None
    if resolver.is_async or resolver.info_parameter is not None or resolver.arguments:
        return None
    closure = dict(zip(resolve.__code__.co_freevars, resolve.__closure__ or (), strict=True))
    handlers = closure.get("field_exception_handlers")
    if handlers is None or handlers.cell_contents:
        return None  # a wrapper of another shape, or handlers that must see the failure
    function = resolver.wrapped_func
    if not callable(function):
        return None
    keywords = tuple(p.name for p in (resolver.root_parameter, resolver.parent_parameter) if p is not None)
    if resolver.self_parameter is not None:
        return lambda source: function(source, **dict.fromkeys(keywords, source))
    if len(keywords) == 1:
        (keyword,) = keywords
        return lambda source: function(**{keyword: source})
    return lambda source: function(**dict.fromkeys(keywords, source))


def plan_of(schema: GraphQLSchema) -> FieldPlan:
    """The plan of this schema, made on first use and kept with it."""
    plan = getattr(schema, "_ventanilla_plan", None)
    if plan is None:
        plan = FieldPlan(schema)
        schema._ventanilla_plan = plan  # type: ignore[attr-defined]
    return plan


class PlannedExecution(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's execution, plain fields completed in place (see the module docstring)."""

    # graphql-core keeps the helpers a resolve info carries (two methods bound to the execution
    # context) on the context itself: a reference cycle, so a request's whole execution (its
    # context, loaders, records and results, some 500 objects for a W1 dashboard) outlived the
    # request until a run of the cyclic garbage collector, which then took 50 to 170 ms at once
    # (bench.profile prints its runs). Made on each read instead, they hold no cycle.
    @property
    def async_helpers(self) -> GraphQLResolveInfoHelpers:
        return GraphQLResolveInfoHelpers(gather=self.gather_async_work, track=self.track_async_work)

    @async_helpers.setter
    def async_helpers(self, value: GraphQLResolveInfoHelpers) -> None:
        pass  # graphql-core's __init__ sets them; they are made on each read instead

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        manager = self.middleware_manager
        if manager is not None and manager._middleware_resolvers is not None:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        plan = plan_of(self.schema)
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for response_name, field_details_list in grouped_field_set.items():
                plain = plan.of(parent_type, field_details_list[0].node.name.value)
                if plain is not None and plain.object_type is None:
                    results[response_name] = self._complete_plain(
                        plain, source_value, field_details_list, path, response_name, parent_type
                    )
                    continue
                if plain is not None:
                    result = self._complete_plain_object(
                        plain, source_value, field_details_list, path, response_name, parent_type, position_context
                    )
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
                    continue
                field_path = Path(path, response_name, parent_type.name)
                result = self.execute_field(
                    parent_type, source_value, field_details_list, field_path, position_context
                )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise
        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaitable_fields) == 1:
                field = awaitable_fields[0]
                results[field] = await results[field]
            else:
                awaited = await gather_with_cancel(*(results[field] for field in awaitable_fields))
                results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()

    def complete_value(
        self,
        return_type: Any,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        """An object, null or not (a list's invoice, a resolver's customer), straight to its
        subfields, as graphql-core's walk down the type would get there (an object's completion
        is never null); every other value through that walk."""
        object_type = return_type.of_type if return_type.__class__ is GraphQLNonNull else return_type
        if object_type.__class__ is GraphQLObjectType and result is not None and result is not Undefined:
            if isinstance(result, Exception):
                raise result
            return self.complete_object_value(object_type, field_details_list, info, path, result, position_context)
        return super().complete_value(return_type, field_details_list, info, path, result, position_context)

    def _complete_plain(
        self,
        plain: Plain,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path | None,
        response_name: str,
        parent_type: GraphQLObjectType,
    ) -> Any:
        """The attribute, coerced as complete_value would; a failure through handle_field_error
        at the field's path (made only then), so that it reads exactly as graphql-core's."""
        try:
            value = self._attribute(plain, source)
            if value is None:
                return None
            assert plain.leaf is not None
            coerced = plain.leaf.coerce_output_value(value)
            if coerced is Undefined or coerced is None:
                raise TypeError(
                    f"Expected `{inspect(plain.leaf)}.coerce_output_value("
                    f"{inspect(value)})` to return non-nullable value, returned: {inspect(coerced)}"
                )
            return coerced
        except Exception as raw_error:
            self._failed(raw_error, parent_type, field_details_list, Path(path, response_name, parent_type.name))
            return None

    def _failed(
        self, raw_error: Exception, parent_type: GraphQLObjectType, field_details_list: FieldDetailsList, path: Path
    ) -> None:
        """A plain field's failure, through handle_field_error at its path, as graphql-core's."""
        field_def = parent_type.fields[field_details_list[0].node.name.value]
        self.handle_field_error(raw_error, field_def.type, field_details_list, path)

    @staticmethod
    def _attribute(plain: Plain, source: Any) -> Any:
        """The attribute a plain field reads; None for null, or the error graphql-core raises."""
        value = getattr(source, plain.attribute) if plain.compute is None else plain.compute(source)
        if isinstance(value, Exception):
            raise value
        if value is None or value is Undefined:
            if plain.non_null:
                raise TypeError(f"Cannot return null for non-nullable field {plain.label}.")
            return None
        return value

    def _complete_plain_object(
        self,
        plain: Plain,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path | None,
        response_name: str,
        parent_type: GraphQLObjectType,
        position_context: Any,
    ) -> Any:
        """The attribute's object, its subfields executed as complete_object_value would (no
        is_type_of to call); a failure, now or when awaited, through handle_field_error."""
        field_path = Path(path, response_name, parent_type.name)
        try:
            value = self._attribute(plain, source)
            if value is None:
                return None
            assert plain.object_type is not None
            completed = self.collect_and_execute_subfields(
                plain.object_type, field_details_list, field_path, value, position_context
            )
        except Exception as raw_error:
            self._failed(raw_error, parent_type, field_details_list, field_path)
            return None
        if not self.is_awaitable(completed):
            return completed

        async def await_completed() -> Any:
            try:
                return await completed
            except Exception as raw_error:
                self._failed(raw_error, parent_type, field_details_list, field_path)
                return None

        return await_completed()
