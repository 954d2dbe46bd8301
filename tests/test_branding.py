"""Branding and texts (FEATURES.md F2-F3) over HTTP: an admin changes them, anyone reads them.

One demo business per test on a real store; two apps on that store stand for two servers of one
deployment; access mail goes to a real local SMTP server (aiosmtpd, conftest.smtp_inbox).
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from ventanilla.demo.business import ANALYST_LOGIN, CUSTOMER_LOGIN, generate_demo
from ventanilla.settings import Settings
from ventanilla.store.blobs import DirectoryBlobs
from ventanilla.store.tables import audit_log, events
from ventanilla.store.users import create_user
from ventanilla.web.app import create_app

from .conftest import DEMO_TODAY, SIGN_IN, TEST_SECRET, fresh_database, mail_settled
from .portal_actions import AGENT_LOGIN, CSRF, pdf

ADMIN = ("admin.marca@example.com", "faro.violeta")
PORTAL = """{ portal { name logoUrl primaryColor portalUrl loginHint passwordHint paymentButtonsTitle
                       paymentButtonLabels { provider label } } }"""
UPDATE = """
mutation($input: UpdatePortalBrandingInput!) {
  updatePortalBranding(input: $input) {
    portal { name logoUrl primaryColor portalUrl loginHint passwordHint paymentButtonsTitle
             paymentButtonLabels { provider label } }
    errors { code field message }
  }
}
"""
RESET = "mutation($login: String!) { requestPasswordReset(input: {login: $login}) { ok errors { code } } }"


def png(width: int = 60, height: int = 20, colour: str = "#0a7d33") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


@dataclass
class App:
    app: object
    client: httpx.AsyncClient

    async def gql(self, query: str, variables: dict | None = None, token: str | None = None) -> dict:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.client.post("/graphql", json={"query": query, "variables": variables or {}},
                                          headers=headers)  # fmt: skip
        assert response.status_code == 200, response.text
        return response.json()

    async def upload(self, variables: dict, logo: tuple[str, bytes, str], token: str) -> dict:
        """updatePortalBranding as a GraphQL multipart request, the logo in its own part."""
        operations = {"query": UPDATE, "variables": {"input": {**variables, "logo": None}}}
        form = {"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.input.logo"]})}
        headers = {**CSRF, "Authorization": f"Bearer {token}"}
        response = await self.client.post("/graphql", data=form, files={"0": logo}, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    async def sign_in(self, login: tuple[str, str]) -> str:
        body = await self.gql(SIGN_IN, {"login": login[0], "password": login[1]})
        return body["data"]["signIn"]["accessToken"]


@dataclass
class Deployment:
    engine: AsyncEngine
    a: App
    b: App
    admin: str  # the admin's token on A


@asynccontextmanager
async def _deployment(
    backend: str, tmp, smtp_url: str | None = None, **settings
) -> AsyncIterator[Deployment]:
    files = tmp / f"files-{uuid.uuid4().hex[:6]}"
    async with fresh_database(backend, tmp) as url:
        engine = create_async_engine(url)
        await generate_demo(engine, customers=3, seed=7, today=DEMO_TODAY, blobs=DirectoryBlobs(files))
        async with engine.begin() as conn:
            await create_user(
                conn, login=ADMIN[0], name="Admin", password=ADMIN[1], kind="STAFF", role="admin"
            )
            await create_user(conn, login=AGENT_LOGIN[0], name="Agente", password=AGENT_LOGIN[1], kind="STAFF",
                              role="agent")  # fmt: skip
        options = {"database_url": url, "secret_key": TEST_SECRET, "timezone": "UTC", "files_directory": str(files),
                   "portal_name": "Portal Configurado", "portal_url": "https://config.example.com",
                   "smtp_url": smtp_url, "mail_poll_seconds": 0.05, **settings}  # fmt: skip
        async with AsyncExitStack() as stack:
            apps = []
            for _ in range(2):
                app = create_app(Settings(**options))
                stack.push_async_callback(app.state.close)
                await stack.enter_async_context(app.router.lifespan_context(app))  # the mail worker runs
                transport = httpx.ASGITransport(app=app)
                client = await stack.enter_async_context(
                    httpx.AsyncClient(transport=transport, base_url="http://t")
                )
                apps.append(App(app, client))
            yield Deployment(engine, apps[0], apps[1], await apps[0].sign_in(ADMIN))
        await engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
async def deployment(request, tmp_path) -> AsyncIterator[Deployment]:
    async with _deployment(request.param, tmp_path) as made:
        yield made


async def _portal(app: App) -> dict:
    body = await app.gql(PORTAL)
    assert "errors" not in body, body
    return body["data"]["portal"]


async def _audit(engine: AsyncEngine) -> list[tuple[str, str]]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(audit_log.c.event, audit_log.c.outcome).order_by(audit_log.c.id))
        return [(r.event, r.outcome) for r in rows if r.event == "UPDATE_PORTAL_BRANDING"]


async def test_an_admin_sets_the_branding_and_anonymous_callers_of_every_instance_read_it(deployment):
    a, b = deployment.a, deployment.b
    # given the configuration's branding, served to anyone
    before = await _portal(b)
    assert before["name"] == "Portal Configurado" and before["portalUrl"] == "https://config.example.com"
    assert before["logoUrl"] is None and before["paymentButtonLabels"] == []
    # when an admin changes texts, colour, labels and URL on A, with a logo
    changes = {"name": "Conexión Sur Clientes", "primaryColor": "#0A7D33", "loginHint": "Tu CUIT",
               "passwordHint": "", "paymentButtonsTitle": "Elegí cómo pagar:", "portalUrl": "https://clientes.sur.example",
               "paymentButtonLabels": [{"provider": "mercadopago", "label": "Pagar con Mercado Pago"}]}  # fmt: skip
    logo = png()
    done = (await a.upload(changes, ("logo.png", logo, "image/png"), deployment.admin))["data"][
        "updatePortalBranding"
    ]
    assert done["errors"] == []
    assert done["portal"]["name"] == "Conexión Sur Clientes"
    # then B serves the change on its next request, signed out
    after = await _portal(b)
    assert after == done["portal"]
    assert after["primaryColor"] == "#0a7d33" and after["loginHint"] == "Tu CUIT"
    assert after["passwordHint"] is None  # an empty hint clears it
    assert (
        after["paymentButtonsTitle"] == "Elegí cómo pagar:"
        and after["portalUrl"] == "https://clientes.sur.example"
    )
    assert after["paymentButtonLabels"] == [{"provider": "mercadopago", "label": "Pagar con Mercado Pago"}]
    # and the logo's URL answers the very image, to anyone, on either instance
    path = after["logoUrl"].removeprefix("http://t")
    assert path.startswith("/branding/logo/")
    for app in (a, b):
        served = await app.client.get(path)
        assert served.status_code == 200 and served.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(served.content)).size == (60, 20)
    # and no other file of the blob store is reachable there
    assert (await b.client.get("/branding/logo/" + "0" * 64)).status_code == 404
    # and a field left out is left as it is
    again = await a.gql(UPDATE, {"input": {"loginHint": "CUIT sin guiones"}}, deployment.admin)
    kept = again["data"]["updatePortalBranding"]["portal"]
    assert (
        kept["loginHint"] == "CUIT sin guiones"
        and kept["name"] == "Conexión Sur Clientes"
        and kept["logoUrl"]
    )
    # and each change is audited and told to the business's systems once
    assert await _audit(deployment.engine) == [("UPDATE_PORTAL_BRANDING", "OK")] * 2
    async with deployment.engine.connect() as conn:
        told = [json.loads(p) for p in (await conn.execute(
            select(events.c.payload).where(events.c.type == "PortalBrandingChanged").order_by(events.c.occurred_at))).scalars()]  # fmt: skip
    assert [t["changed"] for t in told][1] == ["login_hint"] and "name" in told[0]["changed"]
    assert told[0]["name"] == "Conexión Sur Clientes"


async def test_only_an_admin_may_change_the_branding(deployment):
    a = deployment.a
    for login in (CUSTOMER_LOGIN, ANALYST_LOGIN, AGENT_LOGIN):
        token = await a.sign_in(login)
        body = await a.gql(UPDATE, {"input": {"name": "Tomado"}}, token)
        assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN", (login, body)
    anonymous = await a.gql(UPDATE, {"input": {"name": "Tomado"}})
    assert anonymous["errors"][0]["extensions"]["code"] in ("UNAUTHENTICATED", "FORBIDDEN")
    assert (await _portal(deployment.b))["name"] == "Portal Configurado"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"primaryColor": "verde"}, ["input", "primaryColor"]),
        ({"primaryColor": "#12345"}, ["input", "primaryColor"]),
        ({"name": "   "}, ["input", "name"]),
        ({"portalUrl": "javascript:alert(1)"}, ["input", "portalUrl"]),
        (
            {"paymentButtonLabels": [{"provider": "Mercado Pago!", "label": "x"}]},
            ["input", "paymentButtonLabels", "0"],
        ),
    ],
)
async def test_a_bad_value_is_refused_and_nothing_changes(deployment, changes, field):
    a = deployment.a
    body = await a.gql(UPDATE, {"input": {"loginHint": "Cambiado", **changes}}, deployment.admin)
    answer = body["data"]["updatePortalBranding"]
    assert answer["portal"] is None
    assert [(e["code"], e["field"]) for e in answer["errors"]] == [("BAD_INPUT", field)]
    assert (await _portal(deployment.b))[
        "loginHint"
    ] == "Tu correo electrónico"  # the configured one, unchanged


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_logo_that_is_no_image_or_too_large_is_refused_and_nothing_changes(backend, tmp_path):
    async with _deployment(backend, tmp_path, max_file_bytes=4000) as deployment:
        a = deployment.a
        cases = [(("logo.pdf", pdf(), "application/pdf"), "INVALID_FILE"),
                 (("logo.png", b"\x89PNG\r\n\x1a\n not really", "image/png"), "INVALID_FILE"),
                 (("logo.png", png(900, 900, "#123456") + b"\0" * 5000, "image/png"), "FILE_TOO_LARGE")]  # fmt: skip
        for logo, code in cases:
            body = await a.upload({"name": "Con logo nuevo"}, logo, deployment.admin)
            answer = body["data"]["updatePortalBranding"]
            assert [(e["code"], e["field"]) for e in answer["errors"]] == [(code, ["logo", "0"])], (
                logo[0],
                body,
            )
        portal = await _portal(deployment.b)
        assert portal["name"] == "Portal Configurado" and portal["logoUrl"] is None
        assert await _audit(deployment.engine) == [("UPDATE_PORTAL_BRANDING", c) for _, c in cases]


async def test_emails_carry_the_portal_name_and_url_of_the_branding(tmp_path, smtp_inbox):
    async with _deployment("sqlite", tmp_path, smtp_url=smtp_inbox.url) as deployment:
        a, b = deployment.a, deployment.b
        changes = {"name": "Sur Autogestión", "portalUrl": "https://autogestion.sur.example"}
        assert (await a.gql(UPDATE, {"input": changes}, deployment.admin))["data"]["updatePortalBranding"][
            "errors"
        ] == []
        # when a customer asks B for a password reset
        assert (await b.gql(RESET, {"login": CUSTOMER_LOGIN[0]}))["data"]["requestPasswordReset"]["ok"]
        await mail_settled(deployment.engine)
        mail = smtp_inbox.last_to(CUSTOMER_LOGIN[0])
        # then the mail names the new portal and links to its URL
        body = mail.get_content()
        assert mail["Subject"].startswith("Sur Autogestión")
        assert "Sur Autogestión" in body and "https://autogestion.sur.example/reset-password?token=" in body
        assert "Portal Configurado" not in body and "config.example.com" not in body
