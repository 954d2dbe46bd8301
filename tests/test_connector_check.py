"""`ventanilla demo-data` and `ventanilla check-mapping`: a mapping checked against a live database."""

from __future__ import annotations

import asyncio

from sqlalchemy import Integer, String
from sqlalchemy.ext.asyncio import create_async_engine
from ventanilla.cli import main
from ventanilla.connectors.sql.check import check_source, compare_tables
from ventanilla.connectors.sql.mapping import load_connector

from .conftest import fresh_legacy_database


def test_missing_tables_columns_and_type_mismatches_are_reported() -> None:
    mapping = load_connector("ispcube")
    live = {t.name: {c.name: c.type for c in t.c} for t in mapping.metadata.sorted_tables}
    assert compare_tables(mapping, live) == []
    del live["imputations"]
    del live["bills"]["due_date1"]
    live["cash"]["real_date"] = Integer()
    live["customers"]["code"] = String(10)  # same family: fine
    problems = compare_tables(mapping, live)
    assert sorted(problems) == [
        "missing column bills.due_date1",
        "missing table imputations",
        "type mismatch cash.real_date: mapping says DATE, database has INTEGER",
    ]


async def test_demo_data_then_check_mapping_from_the_command_line(tmp_path, capsys) -> None:
    async with fresh_legacy_database("postgresql", tmp_path) as url:
        # when the SAP Business One demo is written and checked (the command runs its own event loop)
        demo = ["demo-data", "--preset", "sapb1", "--url", url, "--customers", "3", "--today", "2026-06-15"]
        assert await asyncio.to_thread(main, demo) == 0
        assert await asyncio.to_thread(main, ["check-mapping", "--preset", "sapb1", "--url", url]) == 0
        # then the SAP mapping finds nothing of its own there
        assert await asyncio.to_thread(main, ["check-mapping", "--preset", "sap", "--url", url]) == 1
    out = capsys.readouterr().out
    assert "[sapb1] sapb1" in out and ": ok" in out and "missing table KNA1" in out


async def test_a_relation_the_database_cannot_run_is_reported(tmp_path) -> None:
    async with fresh_legacy_database("postgresql", tmp_path) as url:
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await conn.run_sync(load_connector("sapb1").metadata.create_all)
            # a column of the wrong kind for what the mapping does with it (digits() of a number)
            await conn.exec_driver_sql('ALTER TABLE "OCRD" ALTER COLUMN "LicTradNum" TYPE bigint USING 0')
        await engine.dispose()
        problems = await check_source("sapb1", url)
        assert any("OCRD.LicTradNum" in p for p in problems), problems


def test_demo_data_native_prints_its_sign_ins_and_refuses_a_store(tmp_path, capsys):
    from sqlalchemy import create_engine, inspect

    # given a native demo database
    db = tmp_path / "native.db"
    files = ["--files", str(tmp_path / "files")]  # the demo's attachments, not into the working directory
    assert main(["demo-data", "--preset", "native", "--url", f"sqlite+aiosqlite:///{db}", "--customers", "3", *files]) == 0
    # then the sign-ins it wrote are printed
    printed = capsys.readouterr().out
    assert "cliente@example.com" in printed and "perro.calamar" in printed and "admin@example.com" in printed
    # and --store with the native preset is refused before anything is written
    other, store = tmp_path / "other.db", tmp_path / "store.db"
    code = main(["demo-data", "--preset", "native", "--url", f"sqlite+aiosqlite:///{other}",
                 "--store", f"sqlite+aiosqlite:///{store}", "--customers", "3"])  # fmt: skip
    assert code == 2 and "--store goes with a legacy preset" in capsys.readouterr().err
    for path in (other, store):
        assert not path.exists() or inspect(create_engine(f"sqlite:///{path}")).get_table_names() == []
