"""Signed downloads over HTTP: real PDF and XLSX files, and who gets none."""

from __future__ import annotations

import base64
import io
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import httpx
import openpyxl
from pypdf import PdfReader
from sqlalchemy import update
from ventanilla.auth import links
from ventanilla.store.access import create_session
from ventanilla.store.tables import users
from ventanilla.store.users import create_user

from .conftest import DEMO_TODAY, TEST_SECRET

CUSTOMER = ("cliente@example.com", "perro.calamar")
ANALYST = ("analista@example.com", "gato.tornillo")

LAST_INVOICE = "{ viewer { customer { invoices(first: 1) { nodes { number pdfUrl total { amount } } } } } }"
OWN_IDS = "{ viewer { accounts { id } } }"
STATEMENT = """query($id: ID!, $cutOff: Date!) { customer(id: $id) { statement(cutOff: $cutOff) {
  pdfUrl xlsxUrl total { amount } overdue { amount } openItems { documentNumber openAmount { amount } } } } }"""
CONTRACTS = "{ viewer { customer { contracts(first: 1) { nodes { number pdfUrl } } } } }"
OTHERS = """{ customers(first: 100) { nodes { id code
  invoices(first: 1) { nodes { id pdfUrl } } deliveryNotes(first: 1) { nodes { number pdfUrl } } } } }"""
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def argentine(amount: str) -> str:
    """ "1600.00" -> "$ 1.600,00", as the documents print it."""
    text = f"{Decimal(amount):,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return f"-$ {text[1:]}" if text.startswith("-") else f"$ {text}"


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def user_of(url: str) -> int:
    return int(parse_qs(urlsplit(url).query)["u"][0])


def session_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["s"][0]


def raw_id(global_id: str) -> str:
    return base64.b64decode(global_id).decode().split(":", 1)[1]


def error_code(response: httpx.Response) -> str:
    return response.json()["errors"][0]["extensions"]["code"]


async def last_invoice(api) -> dict:
    token = await api.sign_in(*CUSTOMER)
    return (await api.gql(LAST_INVOICE, token=token))["data"]["viewer"]["customer"]["invoices"]["nodes"][0]


async def richest_statement(api, token: str) -> dict:
    """The statement of the customer's account with the most open items today."""
    accounts = (await api.gql(OWN_IDS, token=token))["data"]["viewer"]["accounts"]
    statements = [
        (await api.gql(STATEMENT, {"id": a["id"], "cutOff": DEMO_TODAY.isoformat()}, token))["data"][
            "customer"
        ]["statement"]
        for a in accounts
    ]
    return max(statements, key=lambda s: len(s["openItems"]))


async def another_customers(api) -> dict:
    """A customer the demo customer user is not linked to, that has invoices, seen by the analyst."""
    token = await api.sign_in(*CUSTOMER)
    own = {a["id"] for a in (await api.gql(OWN_IDS, token=token))["data"]["viewer"]["accounts"]}
    analyst = await api.sign_in(*ANALYST)
    nodes = (await api.gql(OTHERS, token=analyst))["data"]["customers"]["nodes"]
    return next(c for c in nodes if c["id"] not in own and c["invoices"]["nodes"])


async def test_the_invoice_link_downloads_a_pdf_with_its_number_and_total(demo_api):
    # given the customer's last invoice as the API lists it
    invoice = await last_invoice(demo_api)
    # when
    response = await demo_api.client.get(invoice["pdfUrl"])
    # then
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    expected_name = f"factura-{invoice['number'].replace(' ', '-')}.pdf"
    assert response.headers["content-disposition"] == f'attachment; filename="{expected_name}"'
    assert response.headers["cache-control"] == "private, no-store"
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    assert invoice["number"] in text
    assert argentine(invoice["total"]["amount"]) in text
    assert "Fecha de emisión" in text and "CAE" in text  # accents survive the core fonts


async def test_the_statement_xlsx_lists_the_open_items_that_make_its_total(demo_api):
    # given
    token = await demo_api.sign_in(*CUSTOMER)
    statement = await richest_statement(demo_api, token)
    assert statement["openItems"]
    # when
    response = await demo_api.client.get(statement["xlsxUrl"])
    # then
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    assert f"-{DEMO_TODAY.isoformat()}.xlsx" in response.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows())
    header = next(i for i, row in enumerate(rows) if row[0].value == "Comprobante")
    titles = [c.value for c in rows[header]]
    items = [row for row in rows[header + 1 :] if row[0].value]
    balance = titles.index("Saldo")
    assert len(items) == len(statement["openItems"])
    assert round(sum(Decimal(str(row[balance].value)) for row in items), 2) == Decimal(
        statement["total"]["amount"]
    )
    assert {row[0].value for row in items} == {i["documentNumber"] for i in statement["openItems"]}
    for row in items:
        assert isinstance(row[balance].value, (int, float)) and row[balance].number_format == "#,##0.00"
        assert row[titles.index("Vencimiento")].is_date
    assert sheet.auto_filter.ref.startswith(f"A{header + 1}:")


async def test_the_statement_pdf_shows_the_balances(demo_api):
    token = await demo_api.sign_in(*CUSTOMER)
    statement = await richest_statement(demo_api, token)
    response = await demo_api.client.get(statement["pdfUrl"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    assert "ESTADO DE CUENTA" in text and "Saldo vencido" in text and "Crédito disponible" in text
    assert argentine(statement["total"]["amount"]) in text
    assert DEMO_TODAY.strftime("%d/%m/%Y") in text


async def test_a_contract_downloads_as_pdf(demo_api):
    token = await demo_api.sign_in(*CUSTOMER)
    contract = (await demo_api.gql(CONTRACTS, token=token))["data"]["viewer"]["customer"]["contracts"][
        "nodes"
    ][0]
    response = await demo_api.client.get(contract["pdfUrl"])
    assert response.status_code == 200, response.text
    assert (
        response.headers["content-disposition"] == f'attachment; filename="contrato-{contract["number"]}.pdf"'
    )
    assert contract["number"] in pdf_text(response.content)


async def test_the_analyst_downloads_any_customers_delivery_note(demo_api):
    analyst = await demo_api.sign_in(*ANALYST)
    nodes = (await demo_api.gql(OTHERS, token=analyst))["data"]["customers"]["nodes"]
    note = next(n for c in nodes for n in c["deliveryNotes"]["nodes"])
    response = await demo_api.client.get(note["pdfUrl"])
    assert response.status_code == 200, response.text
    text = pdf_text(response.content)
    assert "REMITO" in text and "Documento no válido como factura" in text


async def test_a_tampered_signature_is_refused(demo_api):
    # given a good link with one character of its signature changed
    url = (await last_invoice(demo_api))["pdfUrl"]
    last = url[-1]
    tampered = url[:-1] + ("0" if last != "0" else "1")
    # when
    response = await demo_api.client.get(tampered, headers={"Accept-Language": "en"})
    # then
    assert response.status_code == 403
    assert error_code(response) == "LINK_EXPIRED"
    assert response.json()["errors"][0]["message"].startswith("The download link has expired or is not valid")


async def test_an_expired_link_is_refused(demo_api):
    # given a link signed correctly but expired a minute ago
    url = (await last_invoice(demo_api))["pdfUrl"]
    path, user_id, session = urlsplit(url).path, user_of(url), session_of(url)
    expired = int(time.time()) - 60
    signature = links._signature(TEST_SECRET, path, user_id, session, expired)
    # when
    response = await demo_api.client.get(f"{path}?u={user_id}&s={session}&exp={expired}&sig={signature}")
    # then
    assert response.status_code == 403 and error_code(response) == "LINK_EXPIRED"


async def test_another_customers_invoice_answers_like_a_missing_one(demo_api):
    # given a link correctly signed for the customer user, but to an invoice of another customer
    mine = (await last_invoice(demo_api))["pdfUrl"]
    user_id, session = user_of(mine), session_of(mine)
    theirs = (await another_customers(demo_api))["invoices"]["nodes"][0]
    their_id = urlsplit(theirs["pdfUrl"]).path.rsplit("/", 1)[1]
    # when
    forged = await demo_api.client.get(
        links.signed_link(TEST_SECRET, f"/files/invoice/{their_id}", user_id, session)
    )
    missing = await demo_api.client.get(
        links.signed_link(TEST_SECRET, "/files/invoice/999999.pdf", user_id, session)
    )
    # then
    assert forged.status_code == missing.status_code == 404
    assert forged.json() == missing.json()
    assert error_code(forged) == "NOT_FOUND"
    # and the analyst's own link to it works
    assert (await demo_api.client.get(theirs["pdfUrl"])).status_code == 200


async def test_another_customers_statement_is_not_found(demo_api):
    mine = (await last_invoice(demo_api))["pdfUrl"]
    customer_id = raw_id((await another_customers(demo_api))["id"])
    link = links.signed_link(
        TEST_SECRET, f"/files/statement/{customer_id}.xlsx", user_of(mine), session_of(mine),
        {"cutOff": "2026-01-31"},
    )
    response = await demo_api.client.get(link)
    assert response.status_code == 404 and error_code(response) == "NOT_FOUND"


async def test_a_bad_cut_off_is_bad_input_and_a_bad_kind_or_format_is_not_found(demo_api):
    token = await demo_api.sign_in(*CUSTOMER)
    url = (await richest_statement(demo_api, token))["pdfUrl"]
    path, user_id, session = urlsplit(url).path, user_of(url), session_of(url)
    bad_date = await demo_api.client.get(
        links.signed_link(TEST_SECRET, path, user_id, session, {"cutOff": "2026-02-30"})
    )
    assert bad_date.status_code == 400 and error_code(bad_date) == "BAD_INPUT"
    for wrong in (path.replace(".pdf", ".docx"), path.replace("/statement/", "/receipt/")):
        response = await demo_api.client.get(
            links.signed_link(TEST_SECRET, wrong, user_id, session, {"cutOff": "2026-01-31"})
        )
        assert response.status_code == 404 and error_code(response) == "NOT_FOUND"


async def test_a_disabled_user_gets_nothing_from_a_link_made_before(demo_api):
    # given a user of one account, and a link signed for it
    token = await demo_api.sign_in(*CUSTOMER)
    customer_id = raw_id((await demo_api.gql(OWN_IDS, token=token))["data"]["viewer"]["accounts"][0]["id"])
    async with demo_api.engine.begin() as conn:
        user_id = await create_user(
            conn,
            login=f"baja-{uuid.uuid4().hex[:8]}@example.com",
            name="Usuario de baja",
            password="una.clave.cualquiera",
            kind="CUSTOMER",
            customer_ids=[customer_id],
        )
        session = await create_session(conn, user_id, False, datetime.now(UTC) + timedelta(hours=1), None)
    link = links.signed_link(
        TEST_SECRET, f"/files/statement/{customer_id}.pdf", user_id, session, {"cutOff": "2026-01-31"}
    )
    assert (await demo_api.client.get(link)).status_code == 200
    # when the user is disabled
    async with demo_api.engine.begin() as conn:
        await conn.execute(update(users).where(users.c.id == user_id).values(disabled=True))
    response = await demo_api.client.get(link)
    # then
    assert response.status_code == 403 and error_code(response) == "FORBIDDEN"


async def test_a_disabled_feature_answers_feature_disabled(demo_api):
    from ventanilla.settings import Feature
    from ventanilla.web.app import create_app

    # given a deployment without invoice downloads, and links the demo deployment made
    invoice = await last_invoice(demo_api)
    statement = await richest_statement(demo_api, await demo_api.sign_in(*CUSTOMER))
    settings = demo_api.settings.model_copy(
        update={"features": [f for f in Feature if f is not Feature.INVOICE_DOWNLOAD]}
    )
    app = create_app(settings)
    # when
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        refused = await client.get(invoice["pdfUrl"], headers={"Accept-Language": "en"})
        statement_still_on = await client.get(statement["pdfUrl"])
    await app.state.close()
    # then
    assert refused.status_code == 403 and error_code(refused) == "FEATURE_DISABLED"
    assert (
        refused.json()["errors"][0]["message"]
        == "This feature is not enabled in the portal: INVOICE_DOWNLOAD."
    )
    assert statement_still_on.status_code == 200


SIGN_OUT = "mutation { signOut { ok errors { code } } }"


async def test_a_link_made_before_sign_out_opens_nothing_after_it(demo_api):
    # given a customer signed in twice, with a statement link from each session
    first, second = await demo_api.sign_in(*CUSTOMER), await demo_api.sign_in(*CUSTOMER)
    before = (await richest_statement(demo_api, first))["pdfUrl"]
    other = (await richest_statement(demo_api, second))["pdfUrl"]
    assert (await demo_api.client.get(before)).status_code == 200
    # when the first session signs out
    out = await demo_api.gql(SIGN_OUT, token=first)
    assert out["data"]["signOut"]["ok"] is True
    # then its link is refused at once, and the other session's still opens
    refused = await demo_api.client.get(before)
    assert refused.status_code == 403 and error_code(refused) == "SESSION_ENDED"
    assert (await demo_api.client.get(other)).status_code == 200
