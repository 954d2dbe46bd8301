"""What a connector answers matches the business it reads: attachment media types, amounts that are
zero, the store's domains beside a legacy source."""

from __future__ import annotations

import asyncio
import os
import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, literal, select, update
from sqlalchemy.ext.asyncio import create_async_engine
from ventanilla.cli import main as cli_main
from ventanilla.connectors.native import tables as native_tables
from ventanilla.connectors.native.source import NativeSource
from ventanilla.connectors.records import CustomerFilter, Page, TicketFilter
from ventanilla.connectors.sql.functions import content_type
from ventanilla.connectors.sql.mapping import NATIVE_MAPPING, load_connector
from ventanilla.connectors.sql.source import MappedSource
from ventanilla.connectors.values import money, signed_money
from ventanilla.demo.business import generate_demo
from ventanilla.demo.legacy import WRITERS
from ventanilla.demo.legacy.sapb1 import write_sapb1_demo
from ventanilla.settings import Settings
from ventanilla.web.app import create_app

from .conftest import SIGN_IN, TEST_SECRET, fresh_legacy_database

EXAMPLES = Path(__file__).parent.parent / "examples"

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
                        update(files)
                        .where(files.c.AbsEntry == entry, files.c.Line == line)
                        .values(FileExt=ext)
                    )
                ticket_ids = [
                    str(c) for c in (await conn.execute(select(calls.c.SrvcCallId).distinct())).scalars()
                ]
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


# Each example deployment, and the domains its [routes] leave to the store (GraphQL fields of Customer).
STORE_DOMAINS = {
    "sap": ("postgresql", ["documents", "paymentMethods", "paymentCommitments"]),
    "sapb1": ("postgresql", ["documents", "paymentMethods", "paymentCommitments"]),
    "ispcube": ("mariadb", ["quotes", "orders", "deliveryNotes", "documents", "paymentMethods"]),
}
CHANGE_PASSWORD = """
mutation($old: String!, $new: String!) { changePassword(input: {currentPassword: $old, newPassword: $new}) {
  errors { code } } }
"""
LISTS = {"paymentMethods": "{ id }", "paymentCommitments": "{ id }"}


@pytest.mark.parametrize("preset", list(STORE_DOMAINS))
async def test_a_store_made_by_staff_add_answers_every_domain_the_routes_leave_to_it(
    preset: str, tmp_path, capsys
) -> None:
    # given the README's legacy set-up: a store made by `ventanilla staff add`, the ERP's database,
    # and the shipped example configuration pointing at both
    backend, fields = STORE_DOMAINS[preset]
    async with (
        fresh_legacy_database("sqlite", tmp_path) as store_url,
        fresh_legacy_database(backend, tmp_path) as erp_url,
    ):
        argv = ["staff", "add", "jefa@empresa.com", "--name", "Jefa", "--role", "analyst", "--db", store_url]
        assert await asyncio.to_thread(cli_main, argv) == 0
        password = capsys.readouterr().out.strip().rsplit(" ", 1)[1]
        erp = create_async_engine(erp_url)
        await WRITERS[preset](erp, customers=4, seed=3, today=date(2026, 6, 15))
        await erp.dispose()
        config = tomllib.loads((EXAMPLES / f"{preset}.toml").read_text())
        (name,) = config["sources"]
        routes = "\n".join(f'{domain} = "{source}"' for domain, source in config["routes"].items())
        path = tmp_path / "ventanilla.toml"
        path.write_text(
            f'[sources.{name}]\nconnector = "{preset}"\nurl = "{erp_url}"\n\n[routes]\n{routes}\n'
        )
        os.environ["VENTANILLA_CONFIG"] = str(path)
        try:
            app = create_app(Settings(database_url=store_url, secret_key=TEST_SECRET, timezone="UTC"))
        finally:
            os.environ.pop("VENTANILLA_CONFIG", None)
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver"
            ) as client:
                # when the analyst signs in, sets a password and asks for those domains of every customer
                token = await _gql(client, SIGN_IN, {"login": "jefa@empresa.com", "password": password})
                token = token["data"]["signIn"]["accessToken"]
                changed = await _gql(
                    client, CHANGE_PASSWORD, {"old": password, "new": "una.clave.nueva"}, token
                )
                assert changed["data"]["changePassword"]["errors"] == []
                asked = " ".join(f"{f} {LISTS.get(f, '{ nodes { id } }')}" for f in fields)
                body = await _gql(
                    client, f"{{ customers(first: 10) {{ nodes {{ code {asked} }} }} }}", {}, token
                )
        finally:
            await app.state.close()
    # then each answers, empty, for every customer of the ERP
    assert "errors" not in body, body["errors"]
    customers = body["data"]["customers"]["nodes"]
    assert len(customers) == 4
    for customer in customers:
        assert {f: customer[f] if f in LISTS else customer[f]["nodes"] for f in fields} == {
            f: [] for f in fields
        }


async def _gql(client: httpx.AsyncClient, query: str, variables: dict, token: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


# Names of six customers, as typed in an ERP: accents, capitals, an ñ, two names folding alike.
NAMES = {
    "1": "Sofia Suarez",
    "2": "Sofía Gonzalez",
    "3": "SOFÍA ÁLVAREZ",
    "4": "Ñandú Pérez",
    "5": "Nadia Ortiz",
    "6": "Sofia Gonzalez",
}
# By folded name ("nadia ortiz" < "nandu perez" < "sofia alvarez" ...), then code.
IN_ORDER = ["5", "4", "3", "2", "6", "1"]
SEARCHES = {
    "sofia": ["3", "2", "6", "1"],
    "SOFÍA": ["3", "2", "6", "1"],
    "gonzalez": ["2", "6"],
    "alvarez": ["3"],
    "nandu": ["4"],
    "ÑANDÚ": ["4"],
    "pérez": ["4"],
}
# Where each connector keeps a customer's name and a ticket's subject: (table, column, key column).
WRITTEN = {
    "native": {"customers": ("customers", "name", "id"), "tickets": ("tickets", "subject", "id")},
    "sap": {"customers": ("KNA1", "NAME1", "KUNNR"), "tickets": ("QMEL", "QMTXT", "QMNUM")},
    "sapb1": {"customers": ("OCRD", "CardName", "CardCode"), "tickets": ("OSCL", "subject", "callID")},
    "ispcube": {"customers": ("customers", "name", "id"), "tickets": ("tickets", "subject", "id")},
}
ANY_COLLATION = [
    ("native", "sqlite", None),
    ("native", "postgresql", None),
    ("native", "postgresql", "es-AR"),
    ("mapped_native", "postgresql", "es-AR"),
    ("sap", "postgresql", "es-AR"),
    ("sapb1", "postgresql", None),
    ("sapb1", "mariadb", "utf8mb4_general_ci"),
    ("ispcube", "mariadb", "utf8mb4_general_ci"),
    ("ispcube", "mariadb", None),
]


@pytest.mark.parametrize(("connector", "backend", "collation"), ANY_COLLATION)
async def test_customers_are_searched_and_ordered_alike_whatever_the_collation(
    connector: str, backend: str, collation: str | None, tmp_path
) -> None:
    # given six customers with accented, capitalised and alike names, in a database of that collation
    async with fresh_legacy_database(backend, tmp_path, collation) as url:
        engine = create_async_engine(url)
        try:
            source = await _business_named(engine, connector, NAMES, {"1": "Facturación DUPLICADA"})
            # when they are listed page by page, and searched for
            listed = await _walked(source, CustomerFilter())
            found = {term: await _walked(source, CustomerFilter(search=term)) for term in SEARCHES}
            counted = {
                term: await source.customer_count(CustomerFilter(search=term), TODAY) for term in SEARCHES
            }
            tickets = {
                term: await source.tickets_of(["1"], TicketFilter(search=term), Page(10))
                for term in ("facturacion", "FACTURACIÓN", "duplicada")
            }
        finally:
            await engine.dispose()
    # then the order is by name as a Spanish speaker reads it, then code, and a search ignores
    # case and accents, on every database and connector
    assert listed == IN_ORDER
    assert found == SEARCHES
    assert counted == {term: len(ids) for term, ids in SEARCHES.items()}
    assert {term: [t.subject for t in page.items] for term, (page,) in tickets.items()} == {
        term: ["Facturación DUPLICADA"] for term in tickets
    }


TODAY = date(2026, 6, 15)


async def _business_named(engine, connector: str, names: dict[str, str], subjects: dict[str, str]):  # noqa: ANN202
    """The demo business of six customers on `engine`, with these customer names and ticket subjects."""
    native = connector in ("native", "mapped_native")
    if native:
        await generate_demo(engine, customers=len(names), seed=3, today=TODAY)
        mapping = load_connector(str(NATIVE_MAPPING))
        source = NativeSource(engine) if connector == "native" else MappedSource(engine, mapping)
        tables = {name: native_tables.metadata.tables[name] for name in ("customers", "tickets")}
    else:
        await WRITERS[connector](engine, customers=len(names), seed=3, today=TODAY)
        mapping = load_connector(connector)
        source = MappedSource(engine, mapping)
    relations = MappedSource(engine, mapping).relations
    ticket_ids = [
        t.id for page in await source.tickets_of(list(names), TicketFilter(), Page(100)) for t in page.items
    ]
    renamed = {"customers": names, "tickets": dict(zip(ticket_ids, subjects.values()))}
    async with engine.begin() as conn:
        for relation, values in renamed.items():
            table, column, key = WRITTEN["native" if native else connector][relation]
            stored = tables[relation] if native else mapping.table(table)
            for canonical, value in values.items():
                where = stored.c[key] == relations.one_to_db(relation, "id", canonical)
                assert (await conn.execute(update(stored).where(where).values({column: value}))).rowcount == 1
    return source


async def _walked(source, filter: CustomerFilter) -> list[str]:  # noqa: ANN001
    """Every customer the filter finds, two per page, in the source's order."""
    ids, after = [], None
    while True:
        page = await source.customer_page(filter, Page(2, after), TODAY)
        ids += [c.id for c in page.items]
        if not page.has_next:
            return ids
        after = page.cursors[-1]
