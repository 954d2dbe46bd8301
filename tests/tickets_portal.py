"""A portal for the ticket tests (tests/test_tickets_*.py): the demo business in a store, optionally
also in a legacy ERP the tickets domain is routed to, served by the real app, with its callers."""

from __future__ import annotations

import base64
import io
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from PIL import Image
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from ventanilla.auth.passwords import hash_password
from ventanilla.demo.legacy import WRITERS
from ventanilla.schema.relay import to_global_id
from ventanilla.settings import Settings
from ventanilla.store.partners import add_client
from ventanilla.store.users import create_user
from ventanilla.web.app import create_app

from .conftest import DEMO_TEMPLATES, SIGN_IN, TEST_SECRET, fresh_legacy_database
from .graphql_client import bearer, post_graphql, post_multipart

TODAY = date.today()
CUSTOMERS, SEED = 6, 5
PASSWORD = "clave.de.prueba.larga"
# Legacy backends of each connector the tests route tickets to.
LEGACY = {"ispcube": "mariadb", "sap": "postgresql"}

CREATE = """mutation($input: CreateTicketInput!) { createTicket(input: $input) {
  ticket { id number subject status area category priority assignee
           messages { author fromCustomer body attachments { filename contentType size url } } }
  errors { code message field } } }"""
REPLY = """mutation($input: ReplyToTicketInput!) { replyToTicket(input: $input) {
  ticket { id status updatedAt messages { author fromCustomer body attachments { filename url } } }
  errors { code message field } } }"""
CLOSE = """mutation($input: CloseTicketInput!) { closeTicket(input: $input) {
  ticket { id status } errors { code message field } } }"""
LIST = """query($id: ID!, $first: Int, $after: String, $filter: TicketFilter) { customer(id: $id) {
  tickets(first: $first, after: $after, filter: $filter) { totalCount
    nodes { id number subject status createdAt } pageInfo { hasNextPage endCursor } } } }"""
NODE = """query($id: ID!) { node(id: $id) { ... on Ticket { id number subject status
  messages { author fromCustomer body internal attachments { filename url } } } } }"""


def photo(seed: int = 1, size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.effect_noise(size, 20 + seed).convert("RGB").save(out, "JPEG")
    return out.getvalue()


@dataclass
class Portal:
    """The app, its store (and legacy ERP), and a token per caller."""

    client: httpx.AsyncClient
    store: AsyncEngine
    legacy: AsyncEngine | None
    connector: str
    tokens: dict[str, str] = field(default_factory=dict)
    customer_ids: dict[str, str] = field(default_factory=dict)  # caller -> its account's canonical id
    files: Path | None = None
    app: Any = None

    async def gql(self, query: str, variables: dict | None = None, caller: str | None = None) -> dict:
        return await post_graphql(self.client, query, variables, **bearer(self.tokens[caller] if caller else None))

    async def upload(
        self, query: str, variables: dict, files: dict[str, tuple[str, bytes, str]], caller: str
    ) -> dict:
        """A multipart request (the GraphQL multipart request spec): `files` maps a variable path
        (`input.attachments.0`) to (name, bytes, declared type)."""
        return await post_multipart(self.client, query, variables, files, **bearer(self.tokens[caller]))

    def account(self, caller: str) -> str:
        return to_global_id("Customer", self.customer_ids[caller])


async def _sign_in(client: httpx.AsyncClient, login: str) -> str:
    response = await client.post("/graphql", json={"query": SIGN_IN, "variables": {"login": login, "password": PASSWORD}})
    assert response.json()["data"] is not None, response.text
    payload = response.json()["data"]["signIn"]
    assert payload["errors"] == [], payload
    return payload["accessToken"]


async def _partner_token(client: httpx.AsyncClient, client_id: str, secret: str) -> str:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    response = await client.post("/oauth/token", data={"grant_type": "client_credentials"},
                                 headers={"Authorization": f"Basic {basic}"})  # fmt: skip
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


async def agent_name(legacy: AsyncEngine | None) -> str:
    """The helpdesk agent's name: on ISPCube, one of its users (its messages name a user)."""
    if legacy is None:
        return "Carla Agente"
    async with legacy.connect() as conn:
        try:
            found = (await conn.execute(text("SELECT name FROM users ORDER BY id LIMIT 1"))).scalar()
        except Exception:
            return "Carla Agente"
    return found or "Carla Agente"


@asynccontextmanager
async def portal(
    tmp: Path, connector: str = "native", store_backend: str = "sqlite",
    routed: tuple[str, ...] = ("customers", "invoices", "tickets"), partner_scopes: tuple[str, ...] = (),
    erp_options: str = "", **settings: Any,
) -> AsyncIterator[Portal]:
    """The demo business served by the app; with a `connector` (ispcube, sap) customers and tickets
    are routed to that ERP. Callers: ana (customer of account 1), beto (of 2), agent, analyst,
    admin (named as no ISPCube user), partner (support:write and `partner_scopes`),
    reader (a partner without them). `routed`: the domains routed to the ERP; `erp_options`: more
    TOML lines of its `[sources.erp]` (e.g. `writes = [...]`)."""
    files = tmp / "files"
    async with DEMO_TEMPLATES.copy(
        store_backend, tmp, customers=CUSTOMERS, seed=SEED, today=TODAY, files=files
    ) as store_url:
        store = create_async_engine(store_url)
        legacy_cm = fresh_legacy_database(LEGACY[connector], tmp) if connector != "native" else None
        legacy = None
        config = None
        if legacy_cm is not None:
            legacy_url = await legacy_cm.__aenter__()
            legacy = create_async_engine(legacy_url)
            await WRITERS[connector](legacy, customers=CUSTOMERS, seed=SEED, today=TODAY)
            config = tmp / "ventanilla.toml"
            routes = "".join(f'{domain} = "erp"\n' for domain in routed)
            config.write_text(f'[sources.erp]\nconnector = "{connector}"\nurl = "{legacy_url}"\n{erp_options}\n\n'
                              f"[routes]\n{routes}")  # fmt: skip
        async with store.begin() as conn:
            for login, name, ids in (("ana@example.com", "Ana Pérez", ["1"]), ("beto@example.com", "Beto Gómez", ["2"])):
                await create_user(conn, login=login, name=name, password=PASSWORD, kind="CUSTOMER", customer_ids=ids)
            await create_user(conn, login="agente.tickets@example.com", name=await agent_name(legacy), password=PASSWORD,
                              kind="STAFF", role="agent")  # fmt: skip
            await create_user(conn, login="analista.tickets@example.com", name="Ana Lista", password=PASSWORD, kind="STAFF",
                              role="analyst")  # fmt: skip
            await create_user(conn, login="jefa.tickets@example.com", name="Jefa Sin Usuario", password=PASSWORD,
                              kind="STAFF", role="admin")  # fmt: skip
            secret = await hash_password("secreto-del-socio")
            await add_client(conn, "vt_socio", "Socio", secret, ["customers:read", "support:read", "support:write",
                                                                *partner_scopes], [])  # fmt: skip
            await add_client(conn, "vt_lector", "Lector", secret, ["customers:read", "support:read"], [])
        if config is not None:
            os.environ["VENTANILLA_CONFIG"] = str(config)
        try:
            app = create_app(Settings(database_url=store_url, secret_key=TEST_SECRET, files_directory=str(files),
                                      **settings))  # fmt: skip
        finally:
            os.environ.pop("VENTANILLA_CONFIG", None)
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
                found = Portal(client, store, legacy, connector, files=files, app=app,
                               customer_ids={"ana": "1", "beto": "2"})  # fmt: skip
                for caller in ("ana", "beto", "agent", "analyst", "admin"):
                    login = {"agent": "agente.tickets", "analyst": "analista.tickets", "admin": "jefa.tickets"}.get(caller, caller)
                    found.tokens[caller] = await _sign_in(client, f"{login}@example.com")
                found.tokens["partner"] = await _partner_token(client, "vt_socio", "secreto-del-socio")
                found.tokens["reader"] = await _partner_token(client, "vt_lector", "secreto-del-socio")
                yield found
        finally:
            if hasattr(app.state.source, "dispose"):
                await app.state.source.dispose()
            await app.state.close()
            await store.dispose()
            if legacy is not None:
                await legacy.dispose()
            if legacy_cm is not None:
                await legacy_cm.__aexit__(None, None, None)
