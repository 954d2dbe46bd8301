"""What a connector answers matches the business it reads: attachment media types, amounts that are zero."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, literal, select, update
from sqlalchemy.ext.asyncio import create_async_engine
from ventanilla.connectors.sql.functions import content_type
from ventanilla.connectors.sql.mapping import load_connector
from ventanilla.connectors.sql.source import MappedSource
from ventanilla.connectors.values import money, signed_money
from ventanilla.demo.legacy.sapb1 import write_sapb1_demo

from .conftest import fresh_legacy_database

# File extensions as B1 users leave them in ATC1.FileExt, and the media type each must read as.
FILES = {"mp4": "video/mp4", "PDF": "application/pdf", "xyz": "application/octet-stream"}


@pytest.mark.parametrize("backend", ["postgresql", "mariadb"])
async def test_a_b1_attachment_reads_as_the_media_type_of_its_file_name(backend: str, tmp_path) -> None:
    # given B1 attachments of a video, a PDF typed in capitals and a type Python does not know
    mapping = load_connector("sapb1")
    files, calls = mapping.table("ATC1"), mapping.table("SCL5")
    async with fresh_legacy_database(backend, tmp_path) as url:
        engine = create_async_engine(url)
        try:
            await write_sapb1_demo(engine, customers=6, seed=3, today=date(2026, 6, 15))
            async with engine.begin() as conn:
                rows = (await conn.execute(select(files.c.AbsEntry, files.c.Line))).all()
                assert len(rows) >= len(FILES)
                for (entry, line), ext in zip(rows, FILES):
                    await conn.execute(
                        update(files).where(files.c.AbsEntry == entry, files.c.Line == line).values(FileExt=ext)
                    )
                ticket_ids = [str(c) for c in (await conn.execute(select(calls.c.SrvcCallId).distinct())).scalars()]
            # when the tickets' messages are read
            messages = await MappedSource(engine, mapping).messages_of(ticket_ids, True)
        finally:
            await engine.dispose()
    # then each attachment has the media type of its file name's extension
    found = {
        a.filename.rpartition(".")[2]: a.content_type
        for ms in messages
        for m in ms
        for a in m.attachments
        if a.filename.rpartition(".")[2] in FILES
    }
    assert found == FILES


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("video_cortes.mp4", "video/mp4"),
        ("Factura.PDF", "application/pdf"),
        ("foto.jpeg", "image/jpeg"),
        ("notas", "application/octet-stream"),
        ("informe.xyz", "application/octet-stream"),
        (None, "application/octet-stream"),
    ],
)
def test_any_mapping_derives_a_media_type_from_a_file_name(name: str | None, expected: str) -> None:
    # given a file name column, read through the mapping engine's conversion on a database
    engine = create_engine("sqlite://")
    with engine.connect() as conn:
        # when its media type is computed in SQL
        found = conn.execute(select(content_type([literal(name)]))).scalar_one()
    # then it is the one of Python's mimetypes table, or the default
    assert found == expected


@pytest.mark.parametrize("stored", [-0.0, -1e-17, Decimal("-0.004"), Decimal("-0.00")])
def test_an_amount_that_rounds_to_zero_reads_0_00_never_minus_zero(stored: object) -> None:
    assert str(money(stored)) == "0.00"
    assert str(signed_money(stored, negative=True)) == "0.00"
    assert str(signed_money(Decimal("0.00"), negative=True)) == "0.00"
    assert signed_money(Decimal("12.50"), negative=True) == Decimal("-12.50")
