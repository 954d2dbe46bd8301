"""Ticket attachments over HTTP: signed links, byte-for-byte files, and who gets none (issue 10, item 14).

On the native demo the bytes come from the blob store; on the SAP Business One and ISPCube presets
from the ERP's file share, which a source's attachments_dir stands for, and no path of the ERP's
rows may lead out of it.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import create_async_engine
from ventanilla.auth import links
from ventanilla.connectors.native import tables as t
from ventanilla.connectors.sql.mapping import load_connector
from ventanilla.demo.business import ANALYST_LOGIN, CUSTOMER_LOGIN, generate_demo
from ventanilla.demo.files import demo_file
from ventanilla.demo.legacy import WRITERS
from ventanilla.demo.legacy.sapb1_tables import B1_ATTACHMENTS
from ventanilla.resolvers.links import attachment_ids
from ventanilla.settings import Settings
from ventanilla.store.blobs import DatabaseBlobs
from ventanilla.store.users import create_user
from ventanilla.web.app import create_app

from .conftest import SIGN_IN, TEST_SECRET, fresh_legacy_database

PASSWORD = "adjuntos.de.prueba"
EVERY_ATTACHMENT = """{ customers(first: 40) { nodes { id tickets(first: 20) { nodes { id
  messages { internal attachments { filename contentType size url } } } } } } }"""
MY_ATTACHMENTS = """{ viewer { customer { tickets(first: 20) { nodes { id
  messages { attachments { filename contentType size url } } } } } } }"""
INVOICE_LINK = "{ viewer { customer { invoices(first: 1) { nodes { pdfUrl } } } } }"
SIGN_OUT = "mutation { signOut { ok } }"


class Portal:
    """An app and a client for it, as a browser and a frontend use it."""

    def __init__(self, client: httpx.AsyncClient, store) -> None:
        self.client, self.store = client, store

    async def gql(self, query: str, token: str) -> dict:
        response = await self.client.post(
            "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
        )
        body = response.json()
        assert response.status_code == 200 and "errors" not in body, body
        return body["data"]

    async def sign_in(self, login: str, password: str) -> str:
        response = await self.client.post(
            "/graphql", json={"query": SIGN_IN, "variables": {"login": login, "password": password}}
        )
        return response.json()["data"]["signIn"]["accessToken"]

    async def an_attachment(self) -> tuple[str, dict]:
        """(raw customer id, attachment) of a customer's message, as the analyst lists them."""
        analyst = await self.sign_in(*ANALYST_LOGIN)
        mine = await self.demo_customer_ids()
        for customer in (await self.gql(EVERY_ATTACHMENT, analyst))["customers"]["nodes"]:
            customer_id = raw_id(customer["id"])
            for ticket in customer["tickets"]["nodes"]:
                for message in ticket["messages"]:
                    if message["attachments"] and not message["internal"] and customer_id not in mine:
                        return customer_id, message["attachments"][0]
        raise AssertionError("the demo has no attachment")

    async def demo_customer_ids(self) -> set[str]:
        token = await self.sign_in(*CUSTOMER_LOGIN)
        data = await self.gql("{ viewer { accounts { id } } }", token)
        return {raw_id(a["id"]) for a in data["viewer"]["accounts"]}

    async def owner_of(self, customer_id: str) -> str:
        """A token of a new customer user of `customer_id` alone."""
        login = f"adjuntos-{uuid.uuid4().hex[:8]}@example.com"
        async with self.store.begin() as conn:
            await create_user(conn, login=login, name="Dueña", password=PASSWORD, kind="CUSTOMER",
                              customer_ids=[customer_id])  # fmt: skip
        return await self.sign_in(login, PASSWORD)


def raw_id(global_id: str) -> str:
    return base64.b64decode(global_id).decode().split(":", 1)[1]


def signer(url: str) -> tuple[int, str]:
    query = parse_qs(urlsplit(url).query)
    return int(query["u"][0]), query["s"][0]


def code(response: httpx.Response) -> str:
    return response.json()["errors"][0]["extensions"]["code"]


def attachment_path(url: str) -> str:
    return urlsplit(url).path


async def my_attachments(portal: Portal, token: str) -> list[dict]:
    tickets = (await portal.gql(MY_ATTACHMENTS, token))["viewer"]["customer"]["tickets"]["nodes"]
    return [a for ticket in tickets for m in ticket["messages"] for a in m["attachments"]]


async def check_downloads_byte_for_byte(portal: Portal) -> dict:
    """The owner of an attachment downloads it as the demo made it; the attachment is returned."""
    customer_id, seen = await portal.an_attachment()
    token = await portal.owner_of(customer_id)
    (attachment, *_) = [a for a in await my_attachments(portal, token) if a["filename"] == seen["filename"]]
    response = await portal.client.get(attachment["url"])
    assert response.status_code == 200, response.text
    expected = demo_file(attachment["filename"])
    assert hashlib.sha256(response.content).digest() == hashlib.sha256(expected).digest()
    assert len(response.content) == attachment["size"]
    assert response.headers["content-type"] == attachment["contentType"]
    assert response.headers["content-disposition"] == f'attachment; filename="{attachment["filename"]}"'
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "private, no-store"
    return attachment


# --- the native demo: bytes from the blob store ----------------------------------------------------


@pytest.fixture
def portal(demo_api) -> Portal:
    return Portal(demo_api.client, demo_api.engine)


async def test_a_customer_downloads_its_attachment_byte_for_byte(portal) -> None:
    attachment = await check_downloads_byte_for_byte(portal)
    assert attachment["url"].startswith("http://testserver/files/attachment/")
    assert {"u", "s", "exp", "sig"} <= set(parse_qs(urlsplit(attachment["url"]).query))


async def test_another_customers_attachment_answers_like_a_missing_ticket(portal) -> None:
    # given a link correctly signed for the demo customer, to another customer's attachment
    _, theirs = await portal.an_attachment()
    mine = (await portal.gql(INVOICE_LINK, await portal.sign_in(*CUSTOMER_LOGIN)))["viewer"]["customer"]
    user_id, session = signer(mine["invoices"]["nodes"][0]["pdfUrl"])
    forged = links.signed_link(TEST_SECRET, attachment_path(theirs["url"]), user_id, session)
    missing_ticket = links.signed_link(
        TEST_SECRET, "/files/attachment/" + base64.urlsafe_b64encode(b"999999\n1").decode(), user_id, session
    )
    # when
    refused, missing = await portal.client.get(forged), await portal.client.get(missing_ticket)
    # then
    assert refused.status_code == missing.status_code == 404
    assert refused.json() == missing.json() and code(refused) == "NOT_FOUND"
    # and the analyst's own link to it opens
    assert (await portal.client.get(theirs["url"])).status_code == 200


async def test_a_tampered_or_expired_link_opens_nothing(portal) -> None:
    _, attachment = await portal.an_attachment()
    url = attachment["url"]
    path, (user_id, session) = attachment_path(url), signer(url)
    other_path = path[:-1] + ("A" if path[-1] != "A" else "B")  # another attachment's name, same signature
    tampered = url.replace(path, other_path)
    expired = int(time.time()) - 60
    signature = links._signature(TEST_SECRET, path, user_id, session, expired)
    for link in (tampered, f"{path}?u={user_id}&s={session}&exp={expired}&sig={signature}"):
        response = await portal.client.get(link)
        assert response.status_code == 403 and code(response) == "LINK_EXPIRED", link


async def test_an_internal_notes_attachment_reaches_staff_only(portal, demo_api) -> None:
    # given an internal note with a file, on a ticket of a customer with its own user
    customer_id, attachment = await portal.an_attachment()
    token = await portal.owner_of(customer_id)
    ticket_id = raw_id(
        (await portal.gql(MY_ATTACHMENTS, token))["viewer"]["customer"]["tickets"]["nodes"][0]["id"]
    )
    content = demo_file(attachment["filename"])  # bytes the blob store holds
    async with demo_api.engine.begin() as conn:
        message_id = (await conn.execute(insert(t.ticket_messages).values(
            ticket_id=int(ticket_id), author_name="Soporte", from_customer=False, body="Nota interna: foto del nodo",
            internal=True, created_at=datetime.now(UTC)).returning(t.ticket_messages.c.id))).scalar_one()  # fmt: skip
        file_id = (await conn.execute(insert(t.attachments).values(
            owner_kind="TicketMessage", owner_id=message_id, filename="nodo.jpg", content_type="image/jpeg",
            size=len(content), sha256=hashlib.sha256(content).hexdigest()).returning(t.attachments.c.id))).scalar_one()  # fmt: skip
    try:
        name = base64.urlsafe_b64encode(f"{ticket_id}\n{file_id}".encode()).decode().rstrip("=")
        assert attachment_ids(name) == (ticket_id, str(file_id))
        user_id, session = signer(attachment["url"])  # the analyst's
        customer_link = (await my_attachments(portal, token))[0]["url"]
        # when the customer's own user asks for the note's file, and the analyst does
        as_customer = links.signed_link(TEST_SECRET, f"/files/attachment/{name}", *signer(customer_link))
        as_analyst = links.signed_link(TEST_SECRET, f"/files/attachment/{name}", user_id, session)
        refused, opened = await portal.client.get(as_customer), await portal.client.get(as_analyst)
        # then
        assert refused.status_code == 404 and code(refused) == "NOT_FOUND"
        assert all(a["filename"] != "nodo.jpg" for a in await my_attachments(portal, token))
        assert opened.status_code == 200 and opened.content == content
    finally:
        async with demo_api.engine.begin() as conn:
            await conn.execute(delete(t.attachments).where(t.attachments.c.id == file_id))
            await conn.execute(delete(t.ticket_messages).where(t.ticket_messages.c.id == message_id))


async def test_a_link_made_before_sign_out_opens_nothing_after_it(portal) -> None:
    customer_id, _ = await portal.an_attachment()
    token = await portal.owner_of(customer_id)
    url = (await my_attachments(portal, token))[0]["url"]
    assert (await portal.client.get(url)).status_code == 200
    await portal.gql(SIGN_OUT, token)
    response = await portal.client.get(url)
    assert response.status_code == 403 and code(response) == "SESSION_ENDED"


async def test_the_store_database_serves_the_same_files(demo_api) -> None:
    # given the demo's files copied into the store's table, and a deployment that keeps them there
    blobs = DatabaseBlobs(demo_api.engine)
    async with demo_api.engine.connect() as conn:
        keys = set(
            (
                await conn.execute(select(t.attachments.c.sha256).where(t.attachments.c.sha256.is_not(None)))
            ).scalars()
        )
    for key in keys:
        folder = os.path.join(demo_api.settings.files_directory, key[:2], key)
        with open(folder, "rb") as file:
            await blobs.put(file.read(), "application/octet-stream")
    settings = demo_api.settings.model_copy(
        update={"files_store": "database", "files_directory": "/nonexistent"}
    )
    app = create_app(settings)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client:
            # then an attachment downloads from there, byte for byte
            await check_downloads_byte_for_byte(Portal(client, demo_api.engine))
    finally:
        await app.state.close()


# --- legacy presets: bytes from the ERP's file share ------------------------------------------------

LEGACY = {"sapb1": "postgresql", "ispcube": "mariadb"}
ROOTS = {"sapb1": B1_ATTACHMENTS, "ispcube": None}
TODAY = date.today()


class LegacyPortal(Portal):
    def __init__(self, client, store, connector: str, legacy, share, outside) -> None:
        super().__init__(client, store)
        self.connector, self.legacy, self.share, self.outside = connector, legacy, share, outside

    async def point(self, attachment_id: str, erp_path: str) -> None:
        """Make the ERP's row of `attachment_id` name `erp_path` (as a careless or hostile ERP user could)."""
        mapping = load_connector(self.connector)
        async with self.legacy.begin() as conn:
            if self.connector == "sapb1":
                files = mapping.table("ATC1")
                entry, line = attachment_id.split("/")
                folder, _, name = erp_path.rpartition("\\")
                stem, _, extension = name.rpartition(".")
                where = (files.c.AbsEntry == int(entry)) & (files.c.Line == int(line))
                await conn.execute(
                    update(files).where(where).values(trgtPath=folder, FileName=stem, FileExt=extension)
                )
            else:
                files = mapping.table("ticket_item_files")
                await conn.execute(
                    update(files).where(files.c.id == int(attachment_id)).values(path=erp_path)
                )

    async def erp_path(self, attachment_id: str) -> str:
        mapping = load_connector(self.connector)
        async with self.legacy.connect() as conn:
            if self.connector == "sapb1":
                files = mapping.table("ATC1")
                entry, line = attachment_id.split("/")
                row = (
                    await conn.execute(
                        select(files).where(files.c.AbsEntry == int(entry), files.c.Line == int(line))
                    )
                ).one()
                return f"{row.trgtPath}\\{row.FileName}.{row.FileExt}"
            files = mapping.table("ticket_item_files")
            return (
                await conn.execute(select(files.c.path).where(files.c.id == int(attachment_id)))
            ).scalar_one()


@pytest.fixture(scope="module", params=list(LEGACY))
async def legacy(request, tmp_path_factory) -> AsyncIterator[LegacyPortal]:
    """A store with the demo's sign-ins, the same business in a legacy ERP, its files on a share."""
    connector = request.param
    tmp = tmp_path_factory.mktemp(f"attachments-{connector}")
    share, outside = tmp / "share" / "erp", tmp / "secreto.jpg"
    outside.write_bytes(demo_file("plano_casa.jpg"))  # a file the gateway must never serve
    async with (
        fresh_legacy_database("sqlite", tmp) as store_url,
        fresh_legacy_database(LEGACY[connector], tmp) as legacy_url,
    ):
        store = create_async_engine(store_url)
        await generate_demo(store, customers=8, seed=5, today=TODAY)
        legacy_engine = create_async_engine(legacy_url)
        await WRITERS[connector](legacy_engine, customers=8, seed=5, today=TODAY, files=share)
        root = f"attachments_root = '{ROOTS[connector]}'\n" if ROOTS[connector] else ""
        config = tmp / "ventanilla.toml"
        config.write_text(
            f'[sources.erp]\nconnector = "{connector}"\nurl = "{legacy_url}"\nattachments_dir = "{share}"\n{root}\n'
            '[routes]\ncustomers = "erp"\ninvoices = "erp"\ntickets = "erp"\n'
        )
        os.environ["VENTANILLA_CONFIG"] = str(config)
        try:
            app = create_app(Settings(database_url=store_url, secret_key=TEST_SECRET, timezone="UTC"))
        finally:
            os.environ.pop("VENTANILLA_CONFIG", None)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client:
            yield LegacyPortal(client, store, connector, legacy_engine, share, outside)
        await app.state.source.dispose()
        await app.state.close()
        await store.dispose()
        await legacy_engine.dispose()


async def test_a_customer_downloads_its_attachment_from_the_erps_share(legacy) -> None:
    await check_downloads_byte_for_byte(legacy)


async def test_another_customers_attachment_is_not_found_on_a_legacy_source(legacy) -> None:
    _, theirs = await legacy.an_attachment()
    mine = (await legacy.gql(INVOICE_LINK, await legacy.sign_in(*CUSTOMER_LOGIN)))["viewer"]["customer"]
    forged = links.signed_link(
        TEST_SECRET, attachment_path(theirs["url"]), *signer(mine["invoices"]["nodes"][0]["pdfUrl"])
    )
    response = await legacy.client.get(forged)
    assert response.status_code == 404 and code(response) == "NOT_FOUND"


async def test_a_path_that_leaves_the_share_is_refused(legacy) -> None:
    # given the customer's attachment, and paths of it that lead out of the share
    customer_id, _ = await legacy.an_attachment()
    token = await legacy.owner_of(customer_id)
    url = (await my_attachments(legacy, token))[0]["url"]
    attachment_id = attachment_ids(attachment_path(url).rsplit("/", 1)[1])[1]
    (legacy.share / "enlace.jpg").symlink_to(legacy.outside)  # a link inside that points out
    root = ROOTS[legacy.connector]
    inside = (root + "\\") if root else ""
    escapes = [
        f"{inside}..\\..\\secreto.jpg",
        f"{inside}enlace.jpg",
        "C:\\otra\\secreto.jpg",
        str(legacy.outside),
    ]
    if legacy.connector == "ispcube":
        escapes = ["../../secreto.jpg", "enlace.jpg", str(legacy.outside), "tickets/../../../secreto.jpg"]
    kept = await legacy.erp_path(attachment_id)
    try:
        for erp_path in escapes:
            await legacy.point(attachment_id, erp_path)
            # when the link is followed
            response = await legacy.client.get(url)
            # then it opens nothing
            assert response.status_code == 404 and code(response) == "NOT_FOUND", erp_path
    finally:
        await legacy.point(attachment_id, kept)
        (legacy.share / "enlace.jpg").unlink()
    assert (await legacy.client.get(url)).status_code == 200


async def test_the_demo_writes_every_file_the_erp_names(legacy) -> None:
    files = [p for p in legacy.share.rglob("*") if p.is_file()]
    assert files and all(p.read_bytes() == demo_file(p.name.rpartition("-")[2]) for p in files)
    async with legacy.store.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(t.attachments)) > 0
