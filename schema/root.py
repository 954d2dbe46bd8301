"""The Query and Mutation roots and the assembled schema."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from ..resolvers import catalog as resolve_catalog
from ..resolvers import customers as resolve_customers
from ..resolvers import nodes as resolve_nodes
from .access import SignInPayload, Viewer, sign_in, viewer_type
from .billing import invoice_type, payment_method_type, payment_type
from .catalog import Plan, contract_type, plan_type, subscription_type
from .commerce import delivery_note_type, document_type, order_type, quote_type
from .customer import (
    Company,
    Customer,
    CustomerFilter,
    company_type,
    customer_filter,
    customer_type,
)
from .portal import PortalInfo, portal_info
from .relay import After, Connection, First, Node, connection, from_global_id
from .support import ticket_type

# Global id type name -> how its record becomes a schema object.
_NODE_TYPES = {
    "Customer": customer_type,
    "Company": company_type,
    "Payment": payment_type,
    "Ticket": ticket_type,
    "Contract": contract_type,
    "Plan": plan_type,
    "PlanSubscription": subscription_type,
    "Quote": quote_type,
    "Order": order_type,
    "DeliveryNote": delivery_note_type,
    "Document": document_type,
    "PaymentMethod": payment_method_type,
}


@strawberry.type(description="Read the portal's data. Start with `viewer` or `portal`.")
class Query:
    @strawberry.field(description="Any object by its global id, if the caller may see it.")
    async def node(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="A global id.")]
    ) -> Node | None:
        type_name, raw_id = from_global_id(id)
        record = await resolve_nodes.fetch(info.context, type_name, raw_id)
        if type_name == "Invoice":
            return invoice_type(record, info.context.today)
        return _NODE_TYPES[type_name](record)

    @strawberry.field(description="Who is calling; works signed out too.")
    def viewer(self, info: Info) -> Viewer:
        return viewer_type(info.context.principal)

    @strawberry.field(description="Public facts of the portal: branding, login field, enabled features.")
    def portal(self, info: Info) -> PortalInfo:
        return portal_info(info.context.settings)

    @strawberry.field(
        description="One customer account: a customer user's own accounts; staff read any."
    )
    async def customer(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="Global id of the customer.")]
    ) -> Customer | None:
        _, raw_id = from_global_id(id, "Customer")
        return customer_type(await resolve_customers.customer(info.context, raw_id))

    @strawberry.field(description="Customers ordered by name, for staff (analysts) and partners.")
    async def customers(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[CustomerFilter | None, strawberry.argument(description="Narrow the list.")] = None,
    ) -> Connection[Customer]:
        found = await resolve_customers.customers(info.context, first, after, customer_filter(filter))
        return connection(found, customer_type, after)

    @strawberry.field(description="Plans available in the portal, cheapest first.")
    async def plans(self, info: Info, first: First = None, after: After = None) -> Connection[Plan]:
        return connection(await resolve_catalog.plans(info.context, first, after), plan_type, after)


@strawberry.type(description="Change things: sign in, and the portal actions.")
class Mutation:
    sign_in: SignInPayload = strawberry.mutation(
        resolver=sign_in, description="Sign in with login and password; returns a bearer token."
    )


# Types only reachable through `node(id:)` must be registered explicitly.
EXTRA_TYPES = [Company]


def build_schema(extensions: list | None = None) -> strawberry.Schema:
    return strawberry.Schema(
        query=Query, mutation=Mutation, types=EXTRA_TYPES, extensions=extensions or []
    )
