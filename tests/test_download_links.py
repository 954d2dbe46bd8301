"""Download links are absolute: a partner's portal on another origin opens them as they come."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
from ventanilla.settings import read_toml
from ventanilla.web.app import create_app

from .conftest import SIGN_IN

CUSTOMER = ("cliente@example.com", "perro.calamar")
LINKS = """{ viewer { customer { invoices(first: 1) { nodes { pdfUrl } } contracts(first: 1) { nodes { pdfUrl } }
  statement { pdfUrl xlsxUrl } } } }"""


async def links_from(client: httpx.AsyncClient) -> list[str]:
    signed = await client.post(
        "/graphql",
        json={"query": SIGN_IN, "variables": dict(zip(("login", "password"), CUSTOMER, strict=True))},
    )
    token = signed.json()["data"]["signIn"]["accessToken"]
    body = (
        await client.post("/graphql", json={"query": LINKS}, headers={"Authorization": f"Bearer {token}"})
    ).json()
    customer = body["data"]["viewer"]["customer"]
    return [
        customer["invoices"]["nodes"][0]["pdfUrl"],
        customer["contracts"]["nodes"][0]["pdfUrl"],
        customer["statement"]["pdfUrl"],
        customer["statement"]["xlsxUrl"],
    ]


async def test_a_link_the_api_answers_is_absolute_and_opens_as_it_is(demo_api):
    # given the links the API answers a customer
    links = await links_from(demo_api.client)
    for link in links:
        # then each names the origin the request came to, and opens with no base added
        parts = urlsplit(link)
        assert (parts.scheme, parts.netloc) == ("http", "testserver") and parts.path.startswith("/files/")
        assert (await demo_api.client.get(link)).status_code == 200


async def test_links_keep_the_path_the_app_is_mounted_under(demo_api):
    # given the app served under a root path by its ASGI server, reached on another host
    app = create_app(demo_api.settings)
    transport = httpx.ASGITransport(app=app, root_path="/portal-api")
    async with httpx.AsyncClient(
        transport=transport, base_url="https://gateway.example.com/portal-api"
    ) as client:
        links = await links_from(client)
        # then links start with that origin and path, and open there
        assert all(link.startswith("https://gateway.example.com/portal-api/files/") for link in links)
        assert (await client.get(links[0])).status_code == 200
    await app.state.close()


async def test_with_a_public_url_configured_links_start_with_it(demo_api):
    # given a deployment that declares where clients reach it (a proxy in front strips /ventanilla)
    app = create_app(
        demo_api.settings.model_copy(update={"public_url": "https://api.example.com/ventanilla/"})
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://10.0.0.5:8000"
    ) as client:
        links = await links_from(client)
        # then every link starts with the public URL, and its path from /files/ on still opens
        assert all(link.startswith("https://api.example.com/ventanilla/files/") for link in links)
        forwarded = links[2].removeprefix("https://api.example.com/ventanilla")
        assert (await client.get(forwarded)).status_code == 200
    await app.state.close()


def test_the_public_url_is_read_from_the_api_section_of_the_file(tmp_path):
    config = tmp_path / "ventanilla.toml"
    config.write_text('[api]\npublic_url = "https://api.example.com"\n', encoding="utf-8")
    assert read_toml(config) == {"public_url": "https://api.example.com"}
