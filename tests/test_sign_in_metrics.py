"""Every failed sign-in is counted in /metrics (`ventanilla_sign_in_failures_total`, by method and
reason): a wrong password, an unknown login, a limit, a wrong code, a user whose access is gone,
a partner's bad credentials; a good sign-in counts nothing. Scraped and parsed as Prometheus does."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import create_async_engine
from ventanilla.demo.business import CUSTOMER_LOGIN, generate_demo
from ventanilla.settings import Settings
from ventanilla.store.users import create_user, set_disabled
from ventanilla.web.app import create_app

from .conftest import SIGN_IN, TEST_SECRET, fresh_database

FAILURES = "ventanilla_sign_in_failures_total"
CODE_SIGN_IN = """mutation($email: String!, $code: String!) { signInWithCode(input: {email: $email, code: $code}) {
  accessToken errors { code } } }"""
DISABLED = ("baja@example.com", "una.clave.larga")
LIMITED = "limitada@example.com"


@pytest.fixture(scope="module")
async def served(tmp_path_factory) -> AsyncIterator[httpx.AsyncClient]:
    async with fresh_database("sqlite", tmp_path_factory.mktemp("sign-in-metrics")) as url:
        engine = create_async_engine(url)
        await generate_demo(engine, customers=3, seed=3)
        async with engine.begin() as conn:
            user_id = await create_user(conn, login=DISABLED[0], name="Baja", password=DISABLED[1], kind="STAFF",
                                        role="analyst")  # fmt: skip
            await set_disabled(conn, user_id, True)
        await engine.dispose()
        settings = Settings(database_url=url, secret_key=TEST_SECRET, timezone="UTC", metrics_enabled=True,
                            login_attempts="3/15 minutes")  # fmt: skip
        app = create_app(settings)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            yield client
        await app.state.close()


async def _failures(client: httpx.AsyncClient) -> dict[tuple[str, str], float]:
    response = await client.get("/metrics")
    assert response.status_code == 200
    found = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == FAILURES:
                found[(sample.labels["method"], sample.labels["reason"])] = sample.value
    return found


def _moved(before: dict, after: dict) -> dict[tuple[str, str], float]:
    return {key: after[key] - before.get(key, 0) for key in after if after[key] != before.get(key, 0)}


async def _sign_in(client: httpx.AsyncClient, login: str, password: str) -> list[str]:
    answer = await client.post(
        "/graphql", json={"query": SIGN_IN, "variables": {"login": login, "password": password}}
    )
    return [e["code"] for e in answer.json()["data"]["signIn"]["errors"]]


async def test_each_kind_of_failed_sign_in_is_counted_by_method_and_reason(served) -> None:
    before = await _failures(served)
    # when a customer signs in right (counts nothing), then with a wrong password, an unknown
    # login, a disabled user, and a login tried past its limit (3 here)
    assert await _sign_in(served, *CUSTOMER_LOGIN) == []
    assert await _sign_in(served, CUSTOMER_LOGIN[0], "not-the-password") == ["INVALID_CREDENTIALS"]
    assert await _sign_in(served, "nadie@example.com", "whatever-it-is") == ["INVALID_CREDENTIALS"]
    assert await _sign_in(served, *DISABLED) == ["ACCESS_REVOKED"]
    said = [await _sign_in(served, LIMITED, f"wrong-{n}") for n in range(4)]
    assert said[-1] == ["TOO_MANY_ATTEMPTS"]
    # and a wrong sign-in code, and a code for an unknown email
    for email in (CUSTOMER_LOGIN[0], "nadie@example.com"):
        answer = await served.post(
            "/graphql", json={"query": CODE_SIGN_IN, "variables": {"email": email, "code": "000000"}}
        )
        assert [e["code"] for e in answer.json()["data"]["signInWithCode"]["errors"]] == ["INVALID_CODE"]
    # and a partner with credentials nobody registered
    basic = base64.b64encode(b"vt_nobody:no-secret").decode()
    token = await served.post("/oauth/token", data={"grant_type": "client_credentials"},
                              headers={"Authorization": f"Basic {basic}"})  # fmt: skip
    assert token.status_code == 401
    # then each failure is counted once, under its method and reason
    assert _moved(before, await _failures(served)) == {
        ("password", "bad_password"): 1,
        ("password", "unknown_login"): 4,  # nadie@ once, then limitada@ three times within its limit
        ("password", "access_revoked"): 1,
        ("password", "rate_limited"): 1,
        ("code", "bad_code"): 1,
        ("code", "unknown_login"): 1,
        ("partner", "invalid_client"): 1,
    }
