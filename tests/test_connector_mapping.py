"""The mapping engine without a database: key conversions, SQL of shared conversions, narrowed relations."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import mysql, postgresql
from ventanilla.connectors.sql.engine import Relations
from ventanilla.connectors.sql.keys import key_codec
from ventanilla.connectors.sql.mapping import load_connector, parse_mapping


@pytest.mark.parametrize(
    ("codec", "canonical", "stored"),
    [
        ("alpha:10", "42", "0000000042"),
        ("alpha:10", "CUST-A", "CUST-A"),
        ("prefixed:C:6", "42", "C000042"),
        ("int", "42", 42),
    ],
)
def test_keys_round_trip(codec: str, canonical: str, stored: object) -> None:
    assert key_codec(codec).to_db(canonical) == stored
    assert key_codec(codec).from_db(stored) == canonical


@pytest.mark.parametrize("codec", ["alpha:10", "prefixed:C:6", "int"])
@pytest.mark.parametrize("key", ["042", "", " 42", "12345678901"])
def test_keys_no_row_can_have_are_misses(codec: str, key: str) -> None:
    assert key_codec(codec).to_db(key) is None


def test_sap_dates_and_signs_compile_per_dialect() -> None:
    relations = Relations(load_connector("sap"), {"client": "100"})
    sql = str(select(relations["open_lines"]).compile(dialect=postgresql.dialect()))
    assert """to_date("BSID"."BUDAT", 'YYYYMMDD')""" in sql and "'00000000'" in sql
    assert '-"BSAD"."DMBTR"' in sql  # SHKZG 'H' turns the amount negative
    isp = Relations(load_connector("ispcube"), {})
    assert "REGEXP_REPLACE" in str(select(isp["customers"]).compile(dialect=mysql.dialect()))


def test_a_relation_can_be_narrowed_to_the_fields_asked_for() -> None:
    relations = Relations(load_connector("ispcube"), {})
    narrowed = relations.narrowed("invoices", {"number", "total"})
    assert set(narrowed.c.keys()) == {"id", "customer_id", "company_id", "number", "total"}
    assert "imputations" in str(select(relations["invoices"])) and "imputations" not in str(select(narrowed))


def test_a_mapping_with_an_unknown_column_or_statement_model_is_refused() -> None:
    with pytest.raises(ValueError, match="statement"):
        parse_mapping({"mapping": {"statement": "magic"}})
    bad = {
        "tables": {"T": {"columns": {"A": "int"}}},
        "relations": {"customers": {"from": "T", "columns": {"id": "T.B"}}},
    }
    with pytest.raises(ValueError, match="unknown column 'T.B'"):
        Relations(parse_mapping(bad), {})
