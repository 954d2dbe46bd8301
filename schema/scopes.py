"""Enforce partner scopes (auth/scopes.py) once per operation, before anything resolves."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import FieldNode, GraphQLError, ValidationRule, get_named_type
from strawberry.extensions import SchemaExtension

from ..auth.principals import Principal, PrincipalKind
from ..auth.scopes import missing_scope
from ..errors import ApiError, ErrorCode


def scope_rule(principal: Principal) -> type[ValidationRule]:
    """A validation rule that refuses every field the partner's scopes do not open, with FORBIDDEN."""

    class PartnerScopes(ValidationRule):
        reported: set[str] | None = None  # one error per missing scope, not one per field

        def enter_field(self, node: FieldNode, *_: Any) -> None:
            parent = self.context.get_parent_type()
            if parent is None:
                return
            type_name = get_named_type(parent).name
            lacking = missing_scope(principal.scopes, type_name, node.name.value)
            if lacking is not None and lacking not in (self.reported or set()):
                self.reported = {*(self.reported or set()), lacking}
                self.report_error(
                    GraphQLError(
                        f"{type_name}.{node.name.value} needs scope {lacking}",
                        node,
                        original_error=ApiError(ErrorCode.FORBIDDEN, field=[node.name.value]),
                    )
                )

    return PartnerScopes


class ScopeGate(SchemaExtension):
    """Partners only: customers and staff are governed by ownership and roles, not scopes."""

    def on_operation(self) -> Iterator[None]:
        principal: Principal | None = getattr(self.execution_context.context, "principal", None)
        if principal is not None and principal.kind is PrincipalKind.PARTNER:
            self.execution_context.validation_rules = (
                *self.execution_context.validation_rules,
                scope_rule(principal),
            )
        yield
