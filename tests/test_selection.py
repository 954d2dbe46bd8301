"""Reading only what a query asks for: which record attributes a document needs, and the guard
that asking for one field alone answers exactly what the full query answers for that field."""

from __future__ import annotations

import pytest
from graphql import GraphQLNonNull, GraphQLObjectType, get_named_type, is_leaf_type, parse
from ventanilla.connectors import records
from ventanilla.schema.root import build_schema
from ventanilla.schema.selection import read_map, wanted_fields

CUSTOMER = ("cliente@example.com", "perro.calamar")
ANALYST = ("analista@example.com", "gato.tornillo")
SCHEMA = build_schema()

# Where each record-backed type is listed for a signed-in customer: path to the objects.
PLACES = {
    "Customer": "viewer { accounts { %s } }",
    "Invoice": "viewer { accounts { invoices(first: 30) { nodes { %s } } } }",
    "Payment": "viewer { accounts { payments(first: 20) { nodes { %s } } } }",
    "Ticket": "viewer { accounts { tickets(first: 20) { nodes { %s } } } }",
    "Contract": "viewer { accounts { contracts { nodes { %s } } } }",
    "PlanSubscription": "viewer { accounts { subscriptions { %s } } }",
    "Quote": "viewer { accounts { quotes { nodes { %s } } } }",
    "Order": "viewer { accounts { orders { nodes { %s } } } }",
    "DeliveryNote": "viewer { accounts { deliveryNotes { nodes { %s } } } }",
    "Document": "viewer { accounts { documents { nodes { %s } } } }",
    "Statement": "viewer { accounts { statement { %s } } }",
}
RECORD_BACKED = {name for name, _ in read_map(SCHEMA)}


def _object(type_name: str) -> GraphQLObjectType:
    found = SCHEMA._schema.get_type(type_name)
    assert isinstance(found, GraphQLObjectType)
    return found


def _selections(type_name: str, depth: int = 0) -> dict[str, str]:
    """{field: its selection} for every field without required arguments and without links
    (which change with time); record-backed types below the top are only named."""
    chosen: dict[str, str] = {}
    for name, field in _object(type_name).fields.items():
        if name.endswith(("Url", "url")) or any(isinstance(a.type, GraphQLNonNull) for a in field.args.values()):
            continue
        named = get_named_type(field.type)
        if is_leaf_type(named):
            chosen[name] = name
        elif named.name in RECORD_BACKED and depth == 0 or depth >= 2:
            chosen[name] = f"{name} {{ __typename }}"
        else:
            inner = " ".join(_selections(named.name, depth + 1).values()) or "__typename"
            chosen[name] = f"{name} {{ {inner} }}"
    return chosen


def _objects(data: object, place: str) -> list[dict]:
    """Every object the place lists (the path is the place's field names, lists flattened)."""
    found = [data]
    for key in (word.split("(")[0] for word in place.split("{")[:-1]):
        found = [item for o in found for item in _listed(o[key.strip()])]
    return found


def _listed(value: object) -> list:
    return value if isinstance(value, list) else [value]


def test_a_document_reads_what_its_fields_need():
    document = parse(
        """
        query { viewer { accounts { name invoices(first: 3) { nodes { ...Due } } statement { total { amount } } } } }
        fragment Due on Invoice { status lines { description } }
        """
    )
    wanted = wanted_fields(SCHEMA, document)
    invoice = wanted[records.Invoice]
    # status is computed from five attributes; lines need only the keys and the currency.
    assert {"void", "kind", "balance_due", "total", "due_date"} <= invoice
    assert "number" not in invoice and "issue_date" not in invoice and "cae" not in invoice
    assert {"id", "customer_id", "currency"} <= invoice
    customer = wanted[records.Customer]
    assert {"name", "credit_limit"} <= customer and "billing_address" not in customer
    assert "tax_id" not in customer  # a nested tax id, not a key
    assert records.Ticket not in wanted  # not asked for: read whole if a resolver needs one


def test_every_read_declaration_names_real_attributes():
    # read_map asserts it while building; every record-backed type of the API is covered.
    assert set(PLACES) <= RECORD_BACKED


@pytest.mark.parametrize("type_name", sorted(PLACES))
async def test_one_field_alone_answers_what_the_whole_object_answers(demo_api, type_name):
    token = await demo_api.sign_in(*CUSTOMER)
    fields = _selections(type_name)
    place = PLACES[type_name]
    whole = await demo_api.gql("{ %s }" % (place % " ".join(fields.values())), token=token)
    assert "errors" not in whole, whole
    expected = _objects(whole["data"], place)
    assert expected, f"the demo customer has no {type_name}"
    for name, selection in fields.items():
        alone = await demo_api.gql("{ %s }" % (place % selection), token=token)
        assert "errors" not in alone, (name, alone)
        got = [o[name] for o in _objects(alone["data"], place)]
        assert got == [o[name] for o in expected], f"{type_name}.{name} differs when asked alone"


async def test_a_field_whose_reads_declaration_is_missing_answers_an_error_not_a_stand_in(demo_api, monkeypatch):
    # given a schema whose Invoice.dueDate forgot to say it reads `due_date`
    from ventanilla.web import extensions

    def forgetting(schema, document):
        wanted = dict(wanted_fields(schema, document))
        if records.Invoice in wanted:
            wanted[records.Invoice] -= {"due_date"}
        return wanted

    monkeypatch.setattr(extensions, "wanted_fields", forgetting)
    token = await demo_api.sign_in(*CUSTOMER)
    # when a customer asks for the due dates of their invoices
    answer = await demo_api.gql(
        "{ viewer { accounts { invoices(first: 6) { nodes { number dueDate } } } } }", token=token
    )
    # then each due date is an error on that field, never a date nobody read
    nodes = _objects(answer["data"], "viewer { accounts { invoices(first: 6) { nodes { %s } } } }")
    assert nodes and all(n["number"] and n["dueDate"] is None for n in nodes)
    assert answer.get("errors") and len(answer["errors"]) == len(nodes)
    assert all(e["path"][-1] == "dueDate" for e in answer["errors"])


@pytest.mark.parametrize(
    ("record", "attribute", "field"),
    [("Customer", "tax_id", "taxId { number }"), ("Customer", "billing_address", "billingAddress { street }")],
)
async def test_a_nested_record_whose_reads_declaration_is_missing_answers_an_error(
    demo_api, monkeypatch, record, attribute, field
):
    # given a schema that forgot a nested record (a tax id, an address) is read for its field
    from ventanilla.web import extensions

    def forgetting(schema, document):
        wanted = dict(wanted_fields(schema, document))
        kind = getattr(records, record)
        if kind in wanted:
            wanted[kind] -= {attribute}
        return wanted

    monkeypatch.setattr(extensions, "wanted_fields", forgetting)
    token = await demo_api.sign_in(*CUSTOMER)
    answer = await demo_api.gql("{ viewer { accounts { name " + field + " } } }", token=token)
    # then the field is an error, never an empty tax id or address nobody read
    assert answer.get("errors") and {e["path"][-1] for e in answer["errors"]} == {field.split()[0]}


async def test_the_native_source_selects_only_the_columns_asked_for(demo_api):
    from sqlalchemy import event

    token = await demo_api.sign_in(*CUSTOMER)
    reads = demo_api.client._transport.app.state.reads.sync_engine
    executed: list[str] = []
    listener = lambda *args: executed.append(args[2])  # noqa: E731
    query = "{ viewer { customer { invoices(first: 5) { nodes { number FIELDS } } } } }"
    event.listen(reads, "before_cursor_execute", listener)
    try:
        narrow_answer = await demo_api.gql(query.replace("FIELDS", ""), token=token)
        narrow = [sql for sql in executed if "FROM invoices" in sql]
        executed.clear()
        wide_answer = await demo_api.gql(query.replace("FIELDS", "cae"), token=token)
        wide = [sql for sql in executed if "FROM invoices" in sql]
    finally:
        event.remove(reads, "before_cursor_execute", listener)
    numbers = [[n["number"] for n in a["data"]["viewer"]["customer"]["invoices"]["nodes"]] for a in (narrow_answer, wide_answer)]
    assert numbers[0] == numbers[1] and numbers[0]
    assert len(narrow) == len(wide) == 1
    assert "invoices.cae" not in narrow[0] and "invoices.barcode" not in narrow[0]
    assert "invoices.cae" in wide[0]
