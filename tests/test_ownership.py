"""The one ownership guard: every type declares its owner, and nothing of another customer's resolves."""

from __future__ import annotations

import base64
import dataclasses
import inspect
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from graphql import GraphQLObjectType
from sqlalchemy import event, insert, select
from ventanilla.auth.ownership import Through, authorize, rule_of
from ventanilla.auth.principals import ANONYMOUS, Principal, PrincipalKind, StaffRole
from ventanilla.auth.services import principal_of
from ventanilla.connectors import records
from ventanilla.connectors.native import tables as t
from ventanilla.errors import ApiError, ErrorCode
from ventanilla.resolvers import billing, catalog, commerce, customers, links, support
from ventanilla.resolvers.context import request_context
from ventanilla.schema.ownership import BACKED_BY, NOT_RECORDS
from ventanilla.schema.root import build_schema
from ventanilla.store.users import user_by_login
from ventanilla.web.app import create_app

CUSTOMER = ("cliente@example.com", "perro.calamar")
ANALYST = ("analista@example.com", "gato.tornillo")


def global_id(type_name: str, raw_id: str) -> str:
    return base64.b64encode(f"{type_name}:{raw_id}".encode()).decode()


def codes(body: dict) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


# --- every type declares how its owner is found ------------------------------------------------


def test_every_object_type_of_the_schema_declares_how_its_owner_is_found():
    # given every object type a client can reach in the served schema
    schema = build_schema()._schema
    roots = {schema.query_type.name, schema.mutation_type.name}
    undeclared = []
    for name, gtype in schema.type_map.items():
        if name.startswith("__") or name in roots or not isinstance(gtype, GraphQLObjectType):
            continue
        definition = gtype.extensions["strawberry-definition"]
        origin = (definition.concrete_of or definition).origin  # InvoiceConnection -> Connection
        # then it is a declared non-record, or a record whose owner rule exists
        if origin in NOT_RECORDS:
            continue
        if origin not in BACKED_BY:
            undeclared.append(name)
            continue
        try:
            rule_of(BACKED_BY[origin])
        except TypeError:
            undeclared.append(f"{name} ({BACKED_BY[origin].__name__} has no rule)")
    assert undeclared == []


def test_a_type_that_keeps_its_record_is_declared_with_that_record():
    for schema_type, record in BACKED_BY.items():
        kept = typing.get_type_hints(schema_type, include_extras=True).get("record")
        if kept is not None:
            assert typing.get_args(kept)[0] is record, schema_type.__name__


def test_every_canonical_record_names_its_owner_or_the_parent_that_carries_it():
    canonical = [
        c for c in vars(records).values()
        if isinstance(c, type) and dataclasses.is_dataclass(c)
        and {"id", "customer_id"} & {f.name for f in dataclasses.fields(c)}
    ]  # fmt: skip
    assert records.Invoice in canonical and records.InvoiceLine in canonical
    for record in [*canonical, *BACKED_BY.values()]:
        rule, seen = rule_of(record), {record}
        while isinstance(rule, Through):  # a chain of parents ends at a record that names its owner
            assert not set(rule.parents) & seen, f"{record.__name__}: a cycle of parents"
            seen |= set(rule.parents)
            rules = [rule_of(p) for p in rule.parents]
            rule = next((r for r in rules if isinstance(r, Through)), rules[0])


# --- authorize: plain rules --------------------------------------------------------------------

MINE, THEIRS = "1", "2"
CUSTOMER_USER = Principal(kind=PrincipalKind.CUSTOMER, user_id=7, customer_ids=(MINE,), session_id="s")
ANALYST_USER = Principal(kind=PrincipalKind.STAFF, user_id=8, role=StaffRole.ANALYST, session_id="s")


def invoice_of(customer_id: str) -> records.Invoice:
    return records.Invoice(
        id="10", customer_id=customer_id, company_id=None, number="B 0003-00000010",
        kind=records.InvoiceKind.INVOICE, issue_date=date(2026, 1, 5), due_date=None, currency="ARS",
        subtotal=Decimal("100.00"), tax=Decimal("21.00"), total=Decimal("121.00"),
        balance_due=Decimal("0.00"), void=False,
    )  # fmt: skip


def test_another_customers_record_answers_like_a_missing_one():
    assert authorize(CUSTOMER_USER, invoice_of(MINE)) == invoice_of(MINE)
    with pytest.raises(ApiError) as refused:
        authorize(CUSTOMER_USER, invoice_of(THEIRS))
    assert refused.value.code is ErrorCode.NOT_FOUND
    assert refused.value.message() == "No se encontró la factura."
    assert authorize(ANALYST_USER, invoice_of(THEIRS)) == invoice_of(THEIRS)
    partner = Principal(kind=PrincipalKind.PARTNER, client_id="p", scopes=frozenset({"customers:read"}))
    assert authorize(partner, invoice_of(THEIRS)) == invoice_of(THEIRS)
    with pytest.raises(ApiError):
        authorize(Principal(kind=PrincipalKind.PARTNER, client_id="p", scopes=frozenset({"billing:read"})),
                  invoice_of(THEIRS))  # fmt: skip


def test_callers_not_signed_in_reach_owned_and_shared_records_but_not_the_public_catalogue():
    company = records.Company("1", "C1", "Conexión Sur S.A.", None, "ARS", "AR")
    plan = records.Plan("1", "P1", "Fibra 100", None, 100, 50, Decimal("10000"), "ARS", True)
    temporary = dataclasses.replace(CUSTOMER_USER, must_change_password=True)
    for record in (invoice_of(MINE), company):
        with pytest.raises(ApiError) as anonymous:
            authorize(ANONYMOUS, record)
        assert anonymous.value.code is ErrorCode.UNAUTHENTICATED
        with pytest.raises(ApiError) as must_change:
            authorize(temporary, record)
        assert must_change.value.code is ErrorCode.PASSWORD_CHANGE_REQUIRED
    assert authorize(CUSTOMER_USER, company) is company
    assert authorize(ANONYMOUS, plan) is plan  # the plans on offer are public (Query.plans)


def test_a_record_without_its_own_owner_is_never_authorized_alone():
    line = records.InvoiceLine("1", "10", 1, "Abono", Decimal(1), Decimal(100), Decimal(21), Decimal(100),
                               Decimal(21), Decimal(121))  # fmt: skip
    with pytest.raises(TypeError, match="through its Invoice"):
        authorize(ANALYST_USER, line)
    with pytest.raises(TypeError, match="declares no owner"):
        authorize(ANALYST_USER, records.Page(first=1))


# --- nested fields never trust their parent -----------------------------------------------------


@dataclasses.dataclass
class Foreign:
    """Records of accounts the demo customer user is not linked to, read straight from the source."""

    customer: records.Customer
    invoice: records.Invoice
    payment: records.Payment
    ticket: records.Ticket
    contract: records.Contract
    subscription: records.PlanSubscription
    quote: records.Quote
    order: records.Order
    delivery_note: records.DeliveryNote
    document: records.Document


NESTED: dict[str, Callable[[Any, Foreign], Any]] = {
    "Customer.emails": lambda ctx, f: customers.emails(ctx, f.customer),
    "Customer.phones": lambda ctx, f: customers.phones(ctx, f.customer),
    "Customer.company": lambda ctx, f: customers.company(ctx, f.customer, f.customer.company_id),
    "Customer.account": lambda ctx, f: customers.account(ctx, f.customer),
    "Customer.invoices": lambda ctx, f: billing.invoices(
        ctx, f.customer, None, None, records.InvoiceFilter()
    ),
    "Customer.payments": lambda ctx, f: billing.payments(ctx, f.customer, None, None),
    "Customer.ledger": lambda ctx, f: billing.ledger(ctx, f.customer, None, None, None, None),
    "Customer.statement": lambda ctx, f: billing.customer_statement(ctx, f.customer, None, None),
    "Customer.paymentMethods": lambda ctx, f: billing.payment_methods(ctx, f.customer),
    "Customer.paymentCommitments": lambda ctx, f: billing.payment_commitments(ctx, f.customer),
    "Customer.tickets": lambda ctx, f: support.tickets(ctx, f.customer, None, None, records.TicketFilter()),
    "Customer.contracts": lambda ctx, f: catalog.contracts(ctx, f.customer, None, None),
    "Customer.subscriptions": lambda ctx, f: catalog.subscriptions(ctx, f.customer),
    "Customer.quotes": lambda ctx, f: commerce.quotes(ctx, f.customer, None, None),
    "Customer.orders": lambda ctx, f: commerce.orders(ctx, f.customer, None, None),
    "Customer.deliveryNotes": lambda ctx, f: commerce.delivery_notes(ctx, f.customer, None, None),
    "Customer.documents": lambda ctx, f: commerce.documents(ctx, f.customer, None, None),
    "Invoice.lines": lambda ctx, f: billing.invoice_lines(ctx, f.invoice),
    "Invoice.customer": lambda ctx, f: customers.customer_of(ctx, f.invoice),
    "Invoice.company": lambda ctx, f: customers.company(ctx, f.invoice, f.invoice.company_id),
    "Invoice.comments": lambda ctx, f: commerce.comments(ctx, "Invoice", f.invoice),
    "Invoice.pdfUrl": lambda ctx, f: links.file_url(ctx, "invoice", f.invoice, "pdf"),
    "Payment.invoices": lambda ctx, f: billing.settled_invoices(ctx, f.payment),
    "Statement.customer": lambda ctx, f: customers.statement_customer(ctx, f.customer),
    "Statement.pdfUrl": lambda ctx, f: links.statement_url(ctx, f.customer, date(2026, 1, 31), None, "pdf"),
    "Ticket.messages": lambda ctx, f: support.messages(ctx, f.ticket),
    "Contract.pdfUrl": lambda ctx, f: links.file_url(ctx, "contract", f.contract, "pdf"),
    "PlanSubscription.plan": lambda ctx, f: catalog.plan(ctx, f.subscription),
    "PlanSubscription.promotions": lambda ctx, f: catalog.promotions(ctx, f.subscription),
    "Quote.lines": lambda ctx, f: commerce.lines(ctx, "QUOTE", f.quote),
    "Quote.comments": lambda ctx, f: commerce.comments(ctx, "Quote", f.quote),
    "Order.lines": lambda ctx, f: commerce.lines(ctx, "ORDER", f.order),
    "DeliveryNote.lines": lambda ctx, f: commerce.lines(ctx, "DELIVERY_NOTE", f.delivery_note),
    "DeliveryNote.pdfUrl": lambda ctx, f: links.file_url(ctx, "delivery-note", f.delivery_note, "pdf"),
    "Document.comments": lambda ctx, f: commerce.comments(ctx, "Document", f.document),
}


@pytest.fixture(scope="module")
async def served(demo_api):
    """The demo business served by an app of this module: its services, the customer user, foreign records."""
    app = create_app(demo_api.settings)
    services = app.state.services
    async with services.store.connect() as conn:
        user = await user_by_login(conn, CUSTOMER[0])
    assert user is not None
    own = set(user.customer_ids)
    source = services.source
    ids = [str(i) for i in range(1, 400)]

    async def theirs(fetch: Callable[..., Any]) -> Any:
        return next(r for r in await fetch(ids) if r is not None and r.customer_id not in own)

    invoice = await theirs(source.invoices_by_id)
    [customer] = await source.customers_by_id([invoice.customer_id])
    foreign = Foreign(
        customer, invoice, await theirs(source.payments_by_id), await theirs(source.tickets_by_id),
        await theirs(source.contracts_by_id), await theirs(source.subscriptions_by_id),
        await theirs(source.quotes_by_id), await theirs(source.orders_by_id),
        await theirs(source.delivery_notes_by_id), await theirs(source.documents_by_id),
    )  # fmt: skip
    yield app, principal_of(user, "any-session"), foreign
    await app.state.close()


@contextmanager
def recorded(app) -> Iterator[list[str]]:
    """Every SQL statement the app's pools (store and billing reads) send meanwhile."""
    sent: list[str] = []

    def record(*args: Any) -> None:  # (conn, cursor, statement, ...)
        sent.append(args[2])

    engines = (app.state.engine.sync_engine, app.state.reads.sync_engine)
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)


@pytest.mark.parametrize("field", sorted(NESTED))
async def test_a_nested_field_of_another_customers_record_answers_not_found_and_reads_nothing(served, field):
    # given a customer user's context, and a record of an account it is not linked to
    app, principal, foreign = served
    ctx = request_context(app.state.services, principal)
    # when the nested field's resolver is called with that record as its parent
    with recorded(app) as sent, pytest.raises(ApiError) as refused:
        answer = NESTED[field](ctx, foreign)
        if inspect.isawaitable(answer):
            await answer
    # then it answers like a missing object, before any statement is sent
    assert refused.value.code is ErrorCode.NOT_FOUND
    assert sent == []


async def test_the_same_nested_field_of_an_own_record_reads_it(served):
    app, principal, foreign = served
    ctx = request_context(app.state.services, principal)
    [own] = await app.state.services.source.customers_by_id([principal.customer_ids[0]])
    with recorded(app) as sent:
        found = await billing.invoices(ctx, own, None, None, records.InvoiceFilter())
    assert found.items and all(i.customer_id == own.id for i in found.items)
    assert len(sent) == 1


NESTED_OF_CUSTOMER = """query($id: ID!) { customer(id: $id) { name
  invoices(first: 5) { nodes { number lines { description } } } tickets(first: 5) { nodes { messages { body } } } } }"""
NESTED_OF_NODE = """query($id: ID!) { node(id: $id) { id
  ... on Invoice { lines { description } customer { name } comments { body } pdfUrl } } }"""


# What every signed-in request reads of the store on the billing reads' pool (store/engine.py).
STORE_READS = ("SELECT users.", "SELECT feature_switches.")


async def test_through_customer_and_node_nothing_below_another_customers_object_is_read(demo_api, served):
    # given the customer user, and another customer's account and invoice
    _, _, foreign = served
    token = await demo_api.sign_in(*CUSTOMER)
    app = demo_api.client._transport.app  # type: ignore[attr-defined]
    reads = app.state.reads.sync_engine
    sent: list[str] = []

    def record(*args: Any) -> None:
        if not args[2].startswith(STORE_READS):  # the request's session and switches share the pool
            sent.append(args[2])

    # when it asks for their nested fields through customer(id:) and node(id:)
    event.listen(reads, "before_cursor_execute", record)
    try:
        by_customer = await demo_api.gql(
            NESTED_OF_CUSTOMER, {"id": global_id("Customer", foreign.customer.id)}, token
        )
        by_customer_sent = list(sent)
        by_node = await demo_api.gql(NESTED_OF_NODE, {"id": global_id("Invoice", foreign.invoice.id)}, token)
    finally:
        event.remove(reads, "before_cursor_execute", record)
    # then both answer NOT_FOUND; the account is not even looked up, the invoice only by its id
    assert by_customer["data"]["customer"] is None and codes(by_customer) == ["NOT_FOUND"]
    assert by_node["data"]["node"] is None and codes(by_node) == ["NOT_FOUND"]
    assert by_customer_sent == []
    assert len(sent) == 1 and "invoice_lines" not in sent[0] and "comments" not in sent[0]


# --- a payment settles only what its owner may see ---------------------------------------------

SETTLED = "query($id: ID!) { node(id: $id) { ... on Payment { invoices { id } } } }"


async def test_a_payment_never_shows_an_invoice_of_another_customer(access_api):
    # given an own payment that (by a mistake in the ERP) also settles another customer's invoice
    async with access_api.engine.begin() as conn:
        user = await user_by_login(conn, CUSTOMER[0])
        own = [int(i) for i in user.customer_ids]
        payment = (
            await conn.execute(select(t.payments.c.id).where(t.payments.c.customer_id.in_(own)).limit(1))
        ).scalar()
        theirs = (
            await conn.execute(select(t.invoices.c.id).where(t.invoices.c.customer_id.not_in(own)).limit(1))
        ).scalar()
        settled = (
            (
                await conn.execute(
                    select(t.allocations.c.invoice_id).where(t.allocations.c.payment_id == payment)
                )
            )
            .scalars()
            .all()
        )
        await conn.execute(insert(t.allocations).values(invoice_id=theirs, payment_id=payment, amount=Decimal("0.01"),
                                                        cleared_on=date.today()))  # fmt: skip
    token = await access_api.sign_in(*CUSTOMER)
    analyst = await access_api.sign_in(*ANALYST)
    # when the customer and the analyst read what the payment settled
    mine = await access_api.gql(SETTLED, {"id": global_id("Payment", str(payment))}, token)
    staff = await access_api.gql(SETTLED, {"id": global_id("Payment", str(payment))}, analyst)
    # then the customer sees only its own invoices; the analyst sees every one
    listed = {i["id"] for i in mine["data"]["node"]["invoices"]}
    assert global_id("Invoice", str(theirs)) not in listed
    assert listed == {global_id("Invoice", str(i)) for i in settled}
    assert global_id("Invoice", str(theirs)) in {i["id"] for i in staff["data"]["node"]["invoices"]}


# --- roles are declared on the fields ----------------------------------------------------------

DECLARED = {
    ("Query", "node"): ["SignedIn"],
    ("Query", "customer"): ["SignedIn"],
    ("Query", "customers"): ["ReadsEveryCustomer"],
    ("Query", "suggestedPassword"): ["Admin"],
    ("Query", "auditLog"): ["Admin"],
    ("Query", "outgoingEmails"): ["Admin"],
    ("Query", "eventDeliveries"): ["Admin"],
    ("Mutation", "resendEvent"): ["Admin"],
    ("Mutation", "grantPortalAccess"): ["Admin"],
    ("Mutation", "revokePortalAccess"): ["Admin"],
    ("Mutation", "setFeature"): ["Admin"],
    ("Mutation", "signOut"): ["SignedInUser"],
    ("Mutation", "changePassword"): ["SignedInUser"],
    ("Mutation", "updatePortalBranding"): ["Admin"],  # branding (F2-F3)
    ("Mutation", "confirmEmail"): ["SignedInUser"],  # a new sign-in e-mail (E1): the same customer user
    ("Mutation", "createTicket"): ["ActsForCustomers"],
    ("Mutation", "replyToTicket"): ["Writer"],
    ("Mutation", "closeTicket"): ["Writer"],
    # payment receipts (B10) and plan requests (D4)
    ("Query", "paymentReceipts"): ["Agent"],
    ("Mutation", "submitPaymentReceipt"): ["ActsForCustomers"],
    ("Mutation", "acceptPaymentReceipt"): ["Agent"],
    ("Mutation", "rejectPaymentReceipt"): ["Agent"],
    ("Mutation", "requestPlanChange"): ["ActsForCustomers"],
    ("Mutation", "requestPlan"): ["ActsForCustomers"],
    ("Mutation", "requestPaymentCommitment"): ["ActsForCustomers"],
    ("Mutation", "startPayment"): ["ActsForCustomers"],
    ("Mutation", "acceptQuote"): ["ActsForCustomers"],
    ("Mutation", "rejectQuote"): ["ActsForCustomers"],
    ("Mutation", "addComment"): ["Writer"],
    ("Mutation", "setDefaultPaymentMethod"): ["ActsForCustomers"],
    ("Mutation", "removePaymentMethod"): ["ActsForCustomers"],
    ("Mutation", "shareDocument"): ["Agent"],
    ("Mutation", "signContract"): ["ActsForCustomers"],
    ("Mutation", "updateContactInfo"): ["ActsForCustomers"],
    ("Mutation", "updateBillingInfo"): ["ActsForCustomers"],
    ("Mutation", "decideBillingInfoChange"): ["Agent"],
}  # every other root field is open to anyone (docs/ownership.md)


def test_the_roles_of_the_root_fields_are_declared_on_them():
    from strawberry.permission import PermissionExtension

    schema = build_schema()
    found = {}
    for root in ("Query", "Mutation"):
        for field in schema.get_type_by_name(root).fields:
            names = [
                type(p).__name__
                for extension in field.extensions
                if isinstance(extension, PermissionExtension)
                for p in extension.permissions
            ]
            if names:
                found[(root, schema.config.name_converter.get_graphql_name(field))] = names
    assert found == DECLARED


async def test_a_refused_role_keeps_its_code_and_translated_message(demo_api):
    listing = "{ customers(first: 1) { nodes { id } } }"
    anonymous = await demo_api.gql(listing, **{"Accept-Language": "en"})
    customer = await demo_api.gql(listing, token=await demo_api.sign_in(*CUSTOMER))
    assert codes(anonymous) == ["UNAUTHENTICATED"] and codes(customer) == ["FORBIDDEN"]
    assert anonymous["errors"][0]["message"] == ApiError(ErrorCode.UNAUTHENTICATED).message("en")
    assert customer["errors"][0]["message"] == "Tu usuario no tiene permiso para esta operación."
