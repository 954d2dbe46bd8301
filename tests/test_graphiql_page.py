"""The offline GraphiQL page: no external URL, only vendored assets (no browser)."""

from __future__ import annotations

import re

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route
from ventanilla.web.graphiql import STATIC_DIR, graphiql_static_app, render_graphiql_page

ASSETS_URL = "/static/graphiql"
# src="..." and href="..." attribute values in the page.
REFERENCE = re.compile(r'\b(?:src|href)="([^"]*)"')


def asset_references(page: str) -> list[str]:
    """The asset URLs the page loads (everything but the inline data: icon)."""
    return [url for url in REFERENCE.findall(page) if not url.startswith("data:")]


def test_page_has_no_external_url():
    page = render_graphiql_page()
    assert "http" not in page.lower()
    assert "//" not in "".join(asset_references(page))  # no protocol-relative URL either


def test_absolute_endpoint_is_the_only_url():
    endpoint = "https://ventanilla.example/graphql"
    page = render_graphiql_page(endpoint=endpoint)
    assert "http" not in page.replace(endpoint, "")
    assert f'url: "{endpoint}"' in page


def test_page_references_the_vendored_assets():
    refs = asset_references(render_graphiql_page())
    assert refs == [
        f"{ASSETS_URL}/graphiql.min.css",
        f"{ASSETS_URL}/react.production.min.js",
        f"{ASSETS_URL}/react-dom.production.min.js",
        f"{ASSETS_URL}/graphiql.min.js",
    ]
    for ref in refs:
        file = STATIC_DIR / ref.removeprefix(f"{ASSETS_URL}/")
        assert file.is_file(), f"{ref} is referenced but {file} does not exist"
        assert file.stat().st_size > 1000, f"{file} looks truncated"


def test_licenses_are_vendored_with_the_assets():
    for name in ("LICENSE.graphiql", "LICENSE.react", "LICENSE.react-dom", "README.md"):
        assert (STATIC_DIR / name).is_file(), name


def test_page_sets_up_fetcher_headers_and_sign_in_hint():
    page = render_graphiql_page(endpoint="/api/graphql", title="Mi <portal>")
    assert 'GraphiQL.createFetcher({ url: "/api/graphql" })' in page
    assert "isHeadersEditorEnabled: true" in page
    assert 'defaultHeaders: "{}"' in page
    assert "signIn" in page and "Bearer" in page
    assert "{ portal { name features } }" in page
    assert "<title>Mi &lt;portal&gt;</title>" in page


@pytest.mark.parametrize("endpoint", ['</script><script>alert(1)</script>', '"; alert(1); "'])
def test_endpoint_cannot_break_out_of_the_script(endpoint):
    page = render_graphiql_page(endpoint=endpoint)
    assert "<script>alert(1)" not in page
    assert '"; alert(1); "' not in page


async def test_assets_are_served_by_the_static_app():
    # What the app does: the page on GET /graphql, the assets mounted beside it.
    app = Starlette(
        routes=[
            Route("/graphql", lambda request: HTMLResponse(render_graphiql_page())),
            Mount(ASSETS_URL, app=graphiql_static_app()),
        ]
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ventanilla.test") as client:
        page = await client.get("/graphql")
        assert page.status_code == 200
        for ref in asset_references(page.text):
            response = await client.get(ref)
            assert response.status_code == 200, ref
            assert response.content == (STATIC_DIR / ref.rsplit("/", 1)[1]).read_bytes()
