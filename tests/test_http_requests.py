"""Requests as they arrive over HTTP: malformed ones, client mistakes, what is logged, media types."""

from __future__ import annotations

import logging

import pytest
from ventanilla.demo.business import ANALYST_LOGIN, CUSTOMER_LOGIN

GRAPHQL_RESPONSE = "application/graphql-response+json"


async def raw_post(demo_api, content: bytes, **headers):
    return await demo_api.client.post(
        "/graphql", content=content, headers={"Content-Type": "application/json", **headers}
    )


@pytest.mark.parametrize(
    "body",
    [b'"a string"', b"5", b"null", b"[1, 2]", b'{"query": "{ portal { name } }"\xff}', b"\xff\xfe{}", b"{nope"],
    ids=["string", "number", "null", "list", "bad-utf8-inside", "bad-utf8", "not-json"],
)
async def test_a_malformed_body_is_a_json_400_with_a_code(demo_api, body):
    response = await raw_post(demo_api, body, **{"Accept-Language": "en"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert error["message"].startswith("The request is not a valid GraphQL request: ")


async def test_variables_nested_a_thousand_levels_are_refused_as_bad_request(demo_api):
    deep = '{"query": "query($f: CustomerFilter) { portal { name } }", "variables": {"f": ' + "[" * 1000 + "]" * 1000 + "}}"
    response = await raw_post(demo_api, deep.encode())
    assert response.status_code == 400 and response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("query($n: Int) { plans(first: $n) { nodes { name } } }", {"n": 2**31}),
        ("query($n: Int) { plans(first: $n) { nodes { name } } }", {"n": 1.5}),
        ("query($n: Int) { plans(first: $n) { nodes { name } } }", {"n": "10"}),
        ("query($d: Date) { viewer { customer { statement(cutOff: $d) { total { amount } } } } }", {"d": "2026-02-30"}),
        ("query($f: InvoiceFilter) { viewer { customer { invoices(filter: $f) { nodes { number } } } } }", {"f": {"status": "NOPE"}}),
        ("query($f: InvoiceFilter) { viewer { customer { invoices(filter: $f) { nodes { number } } } } }", {"f": {"unknownField": 1}}),
        ("{ plans { ...Undefined } }", {}),
    ],
    ids=["int-2^31", "int-1.5", "int-string", "date-feb-30", "enum", "input-field", "fragment"],
)
async def test_a_client_mistake_is_a_validation_error_not_an_internal_one(demo_api, caplog, query, variables):
    token = await demo_api.sign_in(*CUSTOMER_LOGIN)
    with caplog.at_level(logging.DEBUG):
        body = await demo_api.gql(query, variables, token=token)
    assert body["data"] is None
    assert {e["extensions"]["code"] for e in body["errors"]} == {"GRAPHQL_VALIDATION_FAILED"}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


async def test_a_password_written_inline_never_reaches_the_log(demo_api, caplog):
    # given sign-ins with the password written in the document, failing for another reason
    secret = "secreto.en.linea.123"
    documents = [
        f'mutation {{ signIn(input: {{login: "cliente@example.com", password: "{secret}"}}) {{ nope }} }}',
        f'mutation {{ signIn(input: {{login: "cliente@example.com", password: "{secret}", extra: 1}}) {{ accessToken }} }}',
        f'mutation {{ changePassword(input: {{currentPassword: "{secret}", newPassword: "{secret}"}}) {{ errors {{ code }} }} }}',
    ]
    with caplog.at_level(logging.DEBUG):
        for document in documents:
            await demo_api.post(document)
    # then nothing logged anywhere holds it
    assert secret not in caplog.text
    assert all(secret not in str(r.args) and secret not in str(r.exc_info) for r in caplog.records)


async def test_expected_refusals_write_no_traceback(demo_api, caplog):
    # given anonymous and foreign requests that are refused as designed
    refused = [
        '{ customer(id: "Q3VzdG9tZXI6MQ==") { name } }',  # UNAUTHENTICATED
        '{ node(id: "bm9wZTox") { id } }',  # anonymous: UNAUTHENTICATED
        "{ customers { nodes { name } } }",
    ]
    with caplog.at_level(logging.DEBUG):
        for document in refused * 5:
            body = await demo_api.gql(document)
            assert body["errors"][0]["extensions"]["code"] in {"UNAUTHENTICATED", "NOT_FOUND", "FORBIDDEN"}
    # then: no error-level line, no traceback, no method repr in place of a message
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert "<bound method" not in caplog.text


async def test_no_field_name_is_suggested_to_who_may_not_read_the_schema(demo_api):
    # given a mistyped input field, from a customer (introspection is off for them) and from staff
    document = 'mutation { signIn(input: {logn: "a", password: "b"}) { accessToken } }'
    customer = await demo_api.sign_in(*CUSTOMER_LOGIN)
    analyst = await demo_api.sign_in(*ANALYST_LOGIN)
    for token in (None, customer):
        body = await demo_api.gql(document, token=token)
        assert body["errors"] and not [e for e in body["errors"] if "Did you mean" in e["message"]]
    staff = await demo_api.gql(document, token=analyst)
    assert [e for e in staff["errors"] if "Did you mean 'login'?" in e["message"]]


async def test_several_operations_without_operation_name_run_none(demo_api):
    document = "query First { portal { name } } query Second { plans { nodes { name } } }"
    unnamed = (await demo_api.client.post("/graphql", json={"query": document})).json()
    assert unnamed["data"] is None and unnamed["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    named = (await demo_api.client.post("/graphql", json={"query": document, "operationName": "Second"})).json()
    assert "errors" not in named and "plans" in named["data"] and "portal" not in named["data"]


async def test_the_graphql_response_media_type_and_its_status_codes(demo_api):
    accept = {"Accept": f"{GRAPHQL_RESPONSE}, application/json;q=0.9"}
    ok = await demo_api.client.post("/graphql", json={"query": "{ portal { name } }"}, headers=accept)
    assert ok.status_code == 200 and ok.headers["content-type"] == GRAPHQL_RESPONSE
    assert ok.json()["data"]["portal"]["name"]
    for document in ("{ portal { name ", "{ portal { nope } }"):  # a parse and a validation failure
        failed = await demo_api.client.post("/graphql", json={"query": document}, headers=accept)
        assert failed.status_code == 400 and failed.headers["content-type"] == GRAPHQL_RESPONSE
        assert failed.json()["errors"]
    # a field refused while the rest ran is still a 200 with data
    partial = await demo_api.client.post("/graphql", json={"query": "{ portal { name } customer(id: \"Q3VzdG9tZXI6MQ==\") { name } }"}, headers=accept)
    assert partial.status_code == 200 and partial.json()["data"]["portal"]


async def test_application_json_keeps_answering_200_for_request_errors(demo_api):
    failed = await demo_api.client.post("/graphql", json={"query": "{ portal { nope } }"})
    assert failed.status_code == 200 and failed.headers["content-type"].startswith("application/json")
    assert failed.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
