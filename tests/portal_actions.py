"""Helpers of the portal-action tests (receipts, plan requests): a demo business of their own with an
agent and partners, multipart requests, the outbox, and the app served over the `sap` source."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from fpdf import FPDF
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from ventanilla.demo.business import ANALYST_LOGIN, CUSTOMER_LOGIN
from ventanilla.store.tables import events
from ventanilla.store.users import create_user

from .conftest import DEMO_TEMPLATES, SIGN_IN, TEST_SECRET, fresh_legacy_database
from .graphql_client import CSRF, AnswersGraphQL, bearer, post_multipart

__all__ = ["CSRF", "Portal", "codes", "demo_portal", "global_id", "pdf", "photo", "raw_id", "sap_portal"]

AGENT_LOGIN = ("agente.recibos@example.com", "mesa.de.ayuda")  # the demo has its own agente@


def global_id(type_name: str, raw_id: str) -> str:
    return base64.b64encode(f"{type_name}:{raw_id}".encode()).decode()


def raw_id(global_id_: str) -> str:
    return base64.b64decode(global_id_).decode().partition(":")[2]


def pdf(text: str = "Comprobante de transferencia") -> bytes:
    document = FPDF()
    document.add_page()
    document.set_font("helvetica", size=12)
    document.cell(text=text)
    return bytes(document.output())


def photo() -> bytes:
    out = io.BytesIO()
    Image.effect_noise((40, 30), 40).convert("RGB").save(out, "JPEG")
    return out.getvalue()


def codes(body: dict) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


@dataclass
class Portal(AnswersGraphQL):
    """A demo business served by the real app; its store, its HTTP client, its users' tokens."""

    url: str
    engine: AsyncEngine
    client: httpx.AsyncClient
    settings: Any
    files: Path
    apps: list = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)

    async def upload(self, query: str, variables: dict, files: dict[str, tuple[str, bytes, str]],
                     token: str | None = None, client: httpx.AsyncClient | None = None) -> dict:  # fmt: skip
        """A GraphQL multipart request: each of `files` (variable -> name, bytes, type) in its own part."""
        return await post_multipart(client or self.client, query, variables, files, **bearer(token))

    async def sign_in(self, login: tuple[str, str], client: httpx.AsyncClient | None = None) -> str:
        body = await self.gql(SIGN_IN, {"login": login[0], "password": login[1]}, client=client)
        return body["data"]["signIn"]["accessToken"]

    def client_for(self, **overrides: Any) -> httpx.AsyncClient:
        """Another app on the same store with other settings (e.g. a feature switched off)."""
        from ventanilla.web.app import create_app

        app = create_app(self.settings.model_copy(update=overrides))
        self.apps.append(app)
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")

    async def events_of(self, type_: str) -> list[dict]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(events.c.payload, events.c.customer_id).where(events.c.type == type_))
            return [{**json.loads(r.payload), "_customer": r.customer_id} for r in rows]

    async def partner(self, scopes: list[str]) -> str:
        """A partner client with `scopes`, registered through its service, and its access token."""
        from ventanilla.auth.partners import register_client

        app = self.apps[0]
        registered = await register_client(app.state.services.access, f"p-{uuid.uuid4().hex[:6]}", scopes, [], "test")
        basic = base64.b64encode(f"{registered.client_id}:{registered.client_secret}".encode()).decode()
        response = await self.client.post("/oauth/token", data={"grant_type": "client_credentials"},
                                          headers={"Authorization": f"Basic {basic}"})  # fmt: skip
        assert response.status_code == 200, response.text
        return response.json()["access_token"]


async def _with_agent(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await create_user(conn, login=AGENT_LOGIN[0], name="Agente Demo", password=AGENT_LOGIN[1], kind="STAFF",
                          role="agent")  # fmt: skip


async def _tokens(portal: Portal) -> None:
    for name, login in (("customer", CUSTOMER_LOGIN), ("analyst", ANALYST_LOGIN), ("agent", AGENT_LOGIN)):
        portal.tokens[name] = await portal.sign_in(login)


@asynccontextmanager
async def demo_portal(backend: str, tmp: Path, config: str | None = None, customers: int = 30,
                      seed: int = 7, today: date | None = None, **settings: Any) -> AsyncIterator[Portal]:  # fmt: skip
    """A fresh demo business on `backend` served by the app (routing `config`, if given)."""
    from ventanilla.settings import Settings
    from ventanilla.web.app import create_app

    files = tmp / f"files-{uuid.uuid4().hex[:6]}"
    copy = DEMO_TEMPLATES.copy(
        backend, tmp, customers=customers, seed=seed, today=today or date.today(), files=files
    )
    async with copy as url:
        engine = create_async_engine(url)
        await _with_agent(engine)
        options = {"database_url": url, "secret_key": TEST_SECRET, "timezone": "UTC", "files_directory": str(files)}
        if config:
            os.environ["VENTANILLA_CONFIG"] = config
        try:
            app = create_app(Settings(**{**options, **settings}))
        finally:
            os.environ.pop("VENTANILLA_CONFIG", None)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            portal = Portal(url, engine, client, app.state.services.settings, files, apps=[app])
            await _tokens(portal)
            try:
                yield portal
            finally:
                for served in portal.apps:
                    source = served.state.source
                    if hasattr(source, "dispose"):
                        await source.dispose()
                    await served.state.close()
                await engine.dispose()


@asynccontextmanager
async def sap_portal(tmp: Path, customers: int = 12, seed: int = 5) -> AsyncIterator[Portal]:
    """The demo business with billing, tickets and plans read from the `sap` preset (PostgreSQL)."""
    from ventanilla.demo.legacy import WRITERS

    today = date.today()
    async with fresh_legacy_database("postgresql", tmp) as legacy_url:
        legacy = create_async_engine(legacy_url)
        await WRITERS["sap"](legacy, customers=customers, seed=seed, today=today)
        await legacy.dispose()
        path = tmp / f"sap-{uuid.uuid4().hex[:6]}.toml"
        routes = "\n".join(f'{d} = "erp"' for d in ("customers", "invoices", "tickets", "contracts", "plans"))
        path.write_text(f'[sources.erp]\nconnector = "sap"\nurl = "{legacy_url}"\n\n[routes]\n{routes}\n')
        async with demo_portal("sqlite", tmp, str(path), customers=customers, seed=seed, today=today) as portal:
            yield portal
    await asyncio.sleep(0)
