"""A NUL or a lone surrogate in any string is bad input, refused before anything runs (schema/strings.py)."""

from __future__ import annotations

import json

import pytest
from graphql import parse
from sqlalchemy import event
from sqlalchemy.engine import Engine
from ventanilla.demo.business import ANALYST_LOGIN
from ventanilla.schema.strings import bad_strings

SEARCH = "query($s: String) { customers(first: 100, filter: {search: $s}) { nodes { name } } }"


def test_variables_and_literals_are_checked_wherever_they_sit():
    document = parse('{ customers(filter: {search: "a\\u0000b"}) { nodes { name } } }')
    assert bad_strings(document, {"ok": "Sofía", "deep": {"list": ["fine", "\ud800"]}}) == ["$deep", "filter"]
    assert bad_strings(parse('{ customers(filter: {search: "Núñez"}) { nodes { name } } }'), {"s": "é"}) == []


@pytest.mark.parametrize("text", ["\x00", "a\x00", "\ud800", "Gonz\udc00lez"], ids=["nul", "nul-after", "high", "low"])
async def test_a_search_with_a_nul_or_a_lone_surrogate_is_bad_input_and_reads_nothing(demo_api, text):
    token = await demo_api.sign_in(*ANALYST_LOGIN)
    sent: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        sent.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        # as JSON escapes, the way a browser sends them (\u0000, \ud800)
        response = await demo_api.client.post(
            "/graphql",
            content=json.dumps({"query": SEARCH, "variables": {"s": text}}),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept-Language": "en"},
        )
        body = response.json()
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_INPUT"
    assert error["message"] == "Invalid input: $s."
    assert sent and not [s for s in sent if "FROM customers" in s]  # the token check ran; no customer read


async def test_a_nul_written_in_the_query_is_bad_input(demo_api):
    token = await demo_api.sign_in(*ANALYST_LOGIN)
    body = await demo_api.gql('{ customers(filter: {search: "\\u0000"}) { nodes { name } } }', token=token)
    assert body["errors"][0]["extensions"]["code"] == "BAD_INPUT"


async def test_an_accented_search_still_answers(demo_api):
    token = await demo_api.sign_in(*ANALYST_LOGIN)
    body = await demo_api.gql(SEARCH, {"s": "José"}, token=token)
    assert "errors" not in body
