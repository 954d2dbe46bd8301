"""Security headers: every answer is unsniffable and unframeable; account data is never cached."""

from __future__ import annotations

import base64
import hashlib
import re

from ventanilla.demo.business import CUSTOMER_LOGIN

ALWAYS = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer", "x-frame-options": "DENY"}


def _has_always(response) -> None:
    for name, value in ALWAYS.items():
        assert response.headers.get(name) == value, name


async def test_graphql_answers_with_tokens_or_account_data_are_not_cached(demo_api):
    # given a sign-in (a token in the answer) and a query of account data
    sign_in = await demo_api.post(
        "mutation($l: String!, $p: String!) { signIn(input: {login: $l, password: $p}) { accessToken } }",
        {"l": CUSTOMER_LOGIN[0], "p": CUSTOMER_LOGIN[1]},
    )
    token = sign_in.json()["data"]["signIn"]["accessToken"]
    account = await demo_api.post("{ viewer { customer { name } } }", token=token)
    refused = await demo_api.post("{ viewer { customer { name } } }", token="not-a-token")
    # then none of them may be stored, and none may be framed or sniffed
    for response in (sign_in, account, refused):
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
        _has_always(response)


async def test_the_graphiql_page_allows_only_its_own_origin_and_its_own_inline_script(demo_api):
    page = await demo_api.client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    _has_always(page)
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy and "unsafe-eval" not in policy
    # the one inline script is allowed by its hash, and nothing else inline is
    [inline] = re.findall(r"<script>(.*?)</script>", page.text, flags=re.S)
    digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
    script_src = next(d for d in policy.split("; ") if d.startswith("script-src"))
    assert script_src == f"script-src 'self' 'sha256-{digest}'"


async def test_static_assets_may_be_cached_and_are_not_sniffed(demo_api):
    asset = await demo_api.client.get("/static/graphiql/graphiql.min.css")
    assert asset.status_code == 200 and "no-store" not in asset.headers.get("cache-control", "")
    _has_always(asset)
