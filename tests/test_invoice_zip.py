"""Several invoices as one ZIP (B5): the customer chooses them, gets one signed link, and the archive
streams exactly those PDFs; one id that is not the caller's refuses the whole request."""

from __future__ import annotations

import base64
import io
import time
import zipfile
import zlib
from urllib.parse import parse_qs, urlencode, urlsplit

from sqlalchemy import select
from ventanilla.auth import links
from ventanilla.resolvers.links import pack_ids, unpack_ids
from ventanilla.store.tables import users
from ventanilla.store.users import create_user

from .conftest import TEST_SECRET
from .test_downloads import CUSTOMER, another_customers, argentine, error_code, pdf_text, raw_id

MINE = (
    """{ viewer { customer { id code invoices(first: 8) { nodes { id number kind total { amount } } } } } }"""
)
ZIP_URL = """query($id: ID!, $ids: [ID!]!) { customer(id: $id) { invoicesZipUrl(invoiceIds: $ids) } }"""
FILE_NAMES = {"INVOICE": "factura", "CREDIT_NOTE": "nota-de-credito", "DEBIT_NOTE": "nota-de-debito"}


async def my_invoices(api) -> tuple[str, dict]:
    token = await api.sign_in(*CUSTOMER)
    return token, (await api.gql(MINE, token=token))["data"]["viewer"]["customer"]


async def zip_url(api, token: str, customer_id: str, ids: list[str]) -> dict:
    return await api.gql(ZIP_URL, {"id": customer_id, "ids": ids}, token)


async def zip_admin(api) -> tuple[str, str]:
    """An admin of the demo deployment (made once) who may switch features."""
    login = ("admin.zip@example.com", "clave.admin.zip")
    async with api.engine.begin() as conn:
        if (await conn.execute(select(users.c.id).where(users.c.login == login[0]))).first() is None:
            await create_user(
                conn, login=login[0], name="Admin", password=login[1], kind="STAFF", role="admin"
            )
    return login


def signed(url: str, expires: int | None = None, **changes: str) -> str:
    """`url` with its own parameters changed (or its expiry) and signed again for its user and
    session, as only the server could (TEST_SECRET)."""
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    own = {k: v for k, v in query.items() if k not in links.LINK_PARAMS} | changes
    expires = expires if expires is not None else int(query["exp"])
    path = f"{parts.path}?{urlencode(own)}"
    signature = links._signature(TEST_SECRET, path, int(query["u"]), query["s"], expires)
    return f"{path}&{urlencode({'u': query['u'], 's': query['s'], 'exp': expires, 'sig': signature})}"


async def test_the_zip_holds_exactly_the_chosen_invoices_each_its_own_pdf(demo_api):
    # given three of the customer's invoices, chosen out of order
    token, customer = await my_invoices(demo_api)
    nodes = customer["invoices"]["nodes"]
    chosen = [nodes[4], nodes[0], nodes[2]]
    # when the customer asks for the link and opens it
    body = await zip_url(demo_api, token, customer["id"], [i["id"] for i in chosen])
    url = body["data"]["customer"]["invoicesZipUrl"]
    async with demo_api.client.stream("GET", url) as response:
        assert response.status_code == 200, await response.aread()
        headers = response.headers
        content = await response.aread()
    # then it is a streamed ZIP (no length known up front) named after the account
    assert headers["content-type"] == "application/zip"
    assert "content-length" not in headers
    assert headers["content-disposition"].startswith(f'attachment; filename="facturas-{customer["code"]}-')
    assert headers["cache-control"] == "private, no-store"
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert archive.testzip() is None
    expected = [f"{FILE_NAMES[i['kind']]}-{i['number'].replace(' ', '-')}.pdf" for i in chosen]
    assert archive.namelist() == expected
    for invoice, name in zip(chosen, expected, strict=True):
        pdf = archive.read(name)
        assert pdf.startswith(b"%PDF")
        text = pdf_text(pdf)
        assert invoice["number"] in text and argentine(invoice["total"]["amount"]) in text
    # and each member is the very file the invoice's own download serves (the same drawing)
    single = await demo_api.client.get(
        (await demo_api.gql(
            "query($id: ID!) { node(id: $id) { ... on Invoice { pdfUrl } } }", {"id": chosen[1]["id"]}, token
        ))["data"]["node"]["pdfUrl"]
    )  # fmt: skip
    assert pdf_text(single.content) == pdf_text(archive.read(expected[1]))


async def test_one_foreign_invoice_refuses_the_whole_zip_naming_its_position(demo_api):
    # given two of the customer's invoices and one of another customer's
    token, customer = await my_invoices(demo_api)
    theirs = (await another_customers(demo_api))["invoices"]["nodes"][0]["id"]
    ids = [customer["invoices"]["nodes"][0]["id"], theirs, customer["invoices"]["nodes"][1]["id"]]
    # when
    body = await zip_url(demo_api, token, customer["id"], ids)
    # then no link at all, and the error says which id
    assert body["data"]["customer"]["invoicesZipUrl"] is None
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_INPUT"
    assert error["message"] == "Dato inválido: invoiceIds[1] no es una factura de esta cuenta."
    english = await demo_api.gql(
        ZIP_URL, {"id": customer["id"], "ids": ids}, token, **{"Accept-Language": "en"}
    )
    assert (
        english["errors"][0]["message"] == "Invalid input: invoiceIds[1] is not an invoice of this account."
    )


async def test_an_empty_choice_and_one_past_the_limit_are_refused(demo_api):
    token, customer = await my_invoices(demo_api)
    empty = await zip_url(demo_api, token, customer["id"], [])
    assert empty["errors"][0]["extensions"]["code"] == "BAD_INPUT"
    own = customer["invoices"]["nodes"][0]["id"]
    too_many = [own] + [base64.b64encode(f"Invoice:{n}".encode()).decode() for n in range(10**6, 10**6 + 500)]
    body = await zip_url(demo_api, token, customer["id"], too_many)
    assert body["data"]["customer"]["invoicesZipUrl"] is None
    assert body["errors"][0]["extensions"]["code"] == "LIMIT_REACHED"
    assert "500" in body["errors"][0]["message"]


async def test_a_tampered_choice_or_an_expired_link_opens_nothing(demo_api):
    # given a good link to two of the customer's invoices
    token, customer = await my_invoices(demo_api)
    mine = [customer["invoices"]["nodes"][0]["id"], customer["invoices"]["nodes"][1]["id"]]
    url = (await zip_url(demo_api, token, customer["id"], mine))["data"]["customer"]["invoicesZipUrl"]
    theirs = raw_id((await another_customers(demo_api))["invoices"]["nodes"][0]["id"])
    query = parse_qs(urlsplit(url).query)
    # when the choice in the link is swapped for another, the signature kept
    swapped = url.replace(query["ids"][0], pack_ids([raw_id(mine[0]), theirs]))
    response = await demo_api.client.get(swapped, headers={"Accept-Language": "en"})
    # then
    assert response.status_code == 403 and error_code(response) == "LINK_EXPIRED"
    # when the link is signed right but expired a minute ago
    expired = signed(url, expires=int(time.time()) - 60)
    response = await demo_api.client.get(expired)
    assert response.status_code == 403 and error_code(response) == "LINK_EXPIRED"


async def test_a_link_signed_for_a_foreign_invoice_still_sends_no_zip(demo_api):
    # given a link validly signed for the customer user whose choice holds another customer's invoice
    # (the server never signs one: the check at the door holds even if the secret leaked with it)
    token, customer = await my_invoices(demo_api)
    mine = customer["invoices"]["nodes"][0]["id"]
    url = (await zip_url(demo_api, token, customer["id"], [mine]))["data"]["customer"]["invoicesZipUrl"]
    theirs = raw_id((await another_customers(demo_api))["invoices"]["nodes"][0]["id"])
    forged = signed(url, ids=pack_ids([raw_id(mine), theirs]))
    # when
    response = await demo_api.client.get(forged)
    # then a refusal, not a partial archive
    assert response.status_code == 400, response.text
    assert error_code(response) == "BAD_INPUT" and "invoiceIds[1]" in response.json()["errors"][0]["message"]
    assert response.headers["content-type"].startswith("application/json")
    # and a garbled choice is a bad request
    response = await demo_api.client.get(signed(url, ids="not-a-choice"))
    assert response.status_code == 400 and error_code(response) == "BAD_INPUT"


def test_the_packed_choice_keeps_500_ids_short_and_refuses_what_it_did_not_pack():
    ids = [str(100_000 + n * 7) for n in range(500)]
    word = pack_ids(ids)
    assert len(word) < 2500  # well under what browsers and proxies take in a URL
    assert unpack_ids(word, 500) == ids
    assert unpack_ids(word, 499) is None
    assert unpack_ids("x" + word, 500) is None
    bomb = zlib.compress(b"[" + b" " * 10_000_000 + b"]")  # 10 MB inflated from a few kB
    assert unpack_ids(base64.urlsafe_b64encode(bomb).decode(), 500) is None


async def test_with_invoice_downloads_off_there_is_no_zip_link_and_a_signed_one_opens_nothing(demo_api):
    # given a good link, then an admin switching invoice downloads off
    from .test_features import SET_FEATURE

    token, customer = await my_invoices(demo_api)
    ids = [customer["invoices"]["nodes"][0]["id"]]
    url = (await zip_url(demo_api, token, customer["id"], ids))["data"]["customer"]["invoicesZipUrl"]
    admin = await demo_api.sign_in(*await zip_admin(demo_api))
    off = await demo_api.gql(SET_FEATURE, {"feature": "INVOICE_DOWNLOAD", "enabled": False}, admin)
    assert off["data"]["setFeature"]["errors"] == []
    try:
        # when / then
        body = await zip_url(demo_api, token, customer["id"], ids)
        assert body["data"]["customer"]["invoicesZipUrl"] is None
        assert body["errors"][0]["extensions"]["code"] == "FEATURE_DISABLED"
        refused = await demo_api.client.get(url)
        assert refused.status_code == 403 and error_code(refused) == "FEATURE_DISABLED"
    finally:
        await demo_api.gql(SET_FEATURE, {"feature": "INVOICE_DOWNLOAD", "enabled": True}, admin)
    assert (await demo_api.client.get(url)).status_code == 200
