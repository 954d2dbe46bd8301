"""The mapping engine without a database: key conversions, SQL of shared conversions, narrowed relations."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import mysql, postgresql
from ventanilla.connectors.sql.engine import Relations
from ventanilla.connectors.sql.keys import key_codec
from ventanilla.connectors.sql.mapping import load_connector, parse_mapping
from ventanilla.connectors.sql.part_keys import part_keys, routed_relation


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
    assert '-CASE "TCURX"."CURRDEC"' in sql and '"BSAD"."WRBTR" * 100' in sql  # SHKZG 'H' negates the real amount
    isp = Relations(load_connector("ispcube"), {})
    assert "REGEXP_REPLACE" in str(select(isp["customers"]).compile(dialect=mysql.dialect()))


def test_a_relation_can_be_narrowed_to_the_fields_asked_for() -> None:
    relations = Relations(load_connector("ispcube"), {})
    narrowed = relations.narrowed("invoices", {"number", "total"})
    assert set(narrowed.c.keys()) == {"id", "customer_id", "company_id", "number", "total"}
    assert "imputations" in str(select(relations["invoices"])) and "imputations" not in str(select(narrowed))


def test_a_narrowed_relation_leaves_out_the_lookups_no_field_needs() -> None:
    # SAP's invoices look up the CAE in ZAFIP_CAE (outer join on its whole primary key)
    relations = Relations(load_connector("sap"), {"client": "100"})

    def sql(relation: Any) -> str:
        return str(select(relation).compile(dialect=postgresql.dialect()))

    assert "ZAFIP_CAE" in sql(relations["invoices"])
    assert "ZAFIP_CAE" not in sql(relations.narrowed("invoices", {"number", "total"}))
    assert "ZAFIP_CAE" in sql(relations.narrowed("invoices", {"number", "cae"}))


def test_a_mapping_with_an_unknown_column_or_statement_model_is_refused() -> None:
    with pytest.raises(ValueError, match="statement"):
        parse_mapping({"mapping": {"statement": "magic"}})
    bad = {
        "tables": {"T": {"columns": {"A": "int"}}},
        "relations": {"customers": {"from": "T", "columns": {"id": "T.B"}}},
    }
    with pytest.raises(ValueError, match="unknown column 'T.B'"):
        Relations(parse_mapping(bad), {})


def test_parts_numbered_apart_read_as_prefixed_ids() -> None:
    # given B1's invoices: OINV and ORIN (key_prefix "R") both numbered by DocEntry from 1
    relations = Relations(load_connector("sapb1"), {})
    codec = relations.codec("invoices", "id")
    # then each canonical id names one part's key, and comes back the same
    assert codec.to_db("17") == 17 and codec.to_db("R17") != 17
    assert [codec.from_db(codec.to_db(k)) for k in ("17", "R17")] == ["17", "R17"]
    assert [codec.to_db(k) for k in ("R017", "X17", "R", "")] == [None, None, None, None]
    # and allocations name credit memos the way invoices do, so the two relations join
    assert relations.codec("allocations", "credit_note_id").to_db("R17") == codec.to_db("R17")


def test_a_lookup_by_prefixed_ids_reads_each_part_on_its_own_key() -> None:
    relations = Relations(load_connector("sapb1"), {})

    def sql(keys: list[str]) -> str:
        parameters = part_keys(relations, "invoices", "id", keys)
        assert parameters
        # built once per set of parts, each part's stored keys bound per call
        statement = select(routed_relation(relations, "invoices", "id", tuple(parameters), None))
        literal = {"literal_binds": True}
        return str(statement.params(parameters).compile(dialect=postgresql.dialect(), compile_kwargs=literal))

    mixed = sql(["17", "R17", "R18", "x"])
    assert '"OINV"."DocEntry" IN (17)' in mixed and '"ORIN"."DocEntry" IN (17, 18)' in mixed
    assert '"OINV"' not in sql(["R3"]) and '"ORIN"' not in sql(["3"])
    assert part_keys(relations, "invoices", "id", ["x", "R0"]) == {}


def test_key_prefix_of_a_column_that_is_no_key_is_refused() -> None:
    bad = {
        "tables": {"T": {"columns": {"A": "int"}}},
        "relations": {"customers": {"from": "T", "keys": {"id": "int"}, "key_prefix": {"name": "R"},
                                    "columns": {"id": "T.A", "name": "T.A"}}},
    }  # fmt: skip
    with pytest.raises(ValueError, match="key_prefix"):
        parse_mapping(bad)
