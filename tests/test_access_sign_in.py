"""Signing in over HTTP: login fields, placeholder tax ids, rememberMe, refresh rotation and reuse, signOut, brute force."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from ventanilla.connectors.native import tables as t
from ventanilla.settings import LoginField

CUSTOMER = ("cliente@example.com", "perro.calamar")

SIGN_IN = """mutation($login: String!, $password: String!, $remember: Boolean) {
  signIn(input: {login: $login, password: $password, rememberMe: $remember}) {
    accessToken refreshToken expiresIn viewer { kind name mustChangePassword accounts { id } }
    errors { code message field } } }"""
REFRESH = """mutation($token: String!) { refreshSession(input: {refreshToken: $token}) {
  accessToken refreshToken errors { code message } } }"""
SIGN_OUT = "mutation { signOut { ok errors { code } } }"
ME = "{ viewer { kind name accounts { id } } }"


async def sign_in(client, login: str, password: str, remember: bool = False, **headers) -> dict:
    response = await client.post("/graphql", json={"query": SIGN_IN, "variables": {
        "login": login, "password": password, "remember": remember}}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]["signIn"]


async def me(client, token: str):
    return await client.post("/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {token}"})


async def demo_customer_identifiers(api) -> list[tuple[str, str]]:
    """(tax id, code) of the demo customer's accounts, read from the billing tables."""
    token = (await sign_in(api.client, *CUSTOMER))["accessToken"]
    query = "{ viewer { accounts { code taxId { number } } } }"
    accounts = (await api.gql(query, token=token))["data"]["viewer"]["accounts"]
    return [((a["taxId"] or {}).get("number"), a["code"]) for a in accounts]


async def test_remember_me_returns_a_refresh_token_and_without_it_none(access_api):
    # when
    short = await sign_in(access_api.client, *CUSTOMER)
    remembered = await sign_in(access_api.client, *CUSTOMER, remember=True)
    # then
    assert short["errors"] == [] and short["refreshToken"] is None and short["expiresIn"] == 15 * 60
    assert remembered["refreshToken"] and remembered["accessToken"]
    assert remembered["viewer"]["kind"] == "CUSTOMER" and len(remembered["viewer"]["accounts"]) == 2


async def test_refresh_rotates_and_a_reused_refresh_token_ends_the_whole_session(access_api):
    # given a remembered session refreshed once
    first = await sign_in(access_api.client, *CUSTOMER, remember=True)
    rotated = (await access_api.gql(REFRESH, {"token": first["refreshToken"]}))["data"]["refreshSession"]
    assert rotated["errors"] == [] and rotated["refreshToken"] != first["refreshToken"]
    assert (await me(access_api.client, rotated["accessToken"])).status_code == 200
    # when the spent refresh token comes back (stolen or replayed)
    replay = (await access_api.gql(REFRESH, {"token": first["refreshToken"]}))["data"]["refreshSession"]
    # then it is refused, and the whole family is dead: the newest refresh and access tokens too
    assert replay["accessToken"] is None and [e["code"] for e in replay["errors"]] == ["SESSION_ENDED"]
    newest = (await access_api.gql(REFRESH, {"token": rotated["refreshToken"]}))["data"]["refreshSession"]
    assert [e["code"] for e in newest["errors"]] == ["SESSION_ENDED"]
    assert (await me(access_api.client, rotated["accessToken"])).status_code == 401
    assert (await me(access_api.client, first["accessToken"])).status_code == 401
    # a garbage refresh token is just refused
    garbage = (await access_api.gql(REFRESH, {"token": "nope"}))["data"]["refreshSession"]
    assert [e["code"] for e in garbage["errors"]] == ["SESSION_ENDED"]


async def test_sign_out_ends_the_session_its_token_is_refused_on_the_next_request(access_api):
    signed = await sign_in(access_api.client, *CUSTOMER, remember=True)
    other = await sign_in(access_api.client, *CUSTOMER)
    out = await access_api.gql(SIGN_OUT, token=signed["accessToken"])
    assert out["data"]["signOut"] == {"ok": True, "errors": []}
    assert (await me(access_api.client, signed["accessToken"])).status_code == 401
    refreshed = (await access_api.gql(REFRESH, {"token": signed["refreshToken"]}))["data"]["refreshSession"]
    assert [e["code"] for e in refreshed["errors"]] == ["SESSION_ENDED"]
    # the user's other session is untouched
    assert (await me(access_api.client, other["accessToken"])).status_code == 200
    anonymous = await access_api.gql(SIGN_OUT)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_login_by_tax_id_compares_digits_and_by_customer_code(access_api):
    # given the deployment asks for the tax id, and another for the customer code
    (tax_id, code), *_ = await demo_customer_identifiers(access_api)
    assert tax_id and code
    dashed = f"{tax_id[:2]}-{tax_id[2:-1]}-{tax_id[-1]}"
    async with access_api.client_for(login_field=LoginField.TAX_ID) as by_tax, \
            access_api.client_for(login_field=LoginField.CUSTOMER_CODE) as by_code:
        # when / then
        assert (await sign_in(by_tax, dashed, CUSTOMER[1]))["errors"] == []
        assert (await sign_in(by_tax, tax_id, CUSTOMER[1]))["viewer"]["name"] == "Cliente Demo"
        assert (await sign_in(by_code, f" {code} ", CUSTOMER[1]))["errors"] == []
        # the email still works under either field (staff sign in with theirs)
        assert (await sign_in(by_code, *CUSTOMER))["errors"] == []
        wrong = await sign_in(by_tax, tax_id, "otra.clave")
        assert [e["code"] for e in wrong["errors"]] == ["INVALID_CREDENTIALS"]


async def test_a_placeholder_tax_id_never_signs_anyone_in_and_says_why(access_api):
    # given a customer whose tax id was left as AFIP's placeholder, linked to the demo user
    (tax_id, _), *_ = await demo_customer_identifiers(access_api)
    async with access_api.engine.begin() as conn:
        await conn.execute(update(t.customers).where(t.customers.c.tax_id == tax_id).values(tax_id="9999999"))
    try:
        async with access_api.client_for(login_field=LoginField.TAX_ID) as client:
            for placeholder in ("9999999", "99999999999", "00000000", "", "  ", "99-9999999-9"):
                # when
                answer = await sign_in(client, placeholder, CUSTOMER[1])
                # then
                assert answer["accessToken"] is None
                assert [e["code"] for e in answer["errors"]] == ["PLACEHOLDER_TAX_ID"], placeholder
            english = await sign_in(client, "9999999", CUSTOMER[1], **{"Accept-Language": "en"})
            assert "placeholder" in english["errors"][0]["message"]
            spanish = await sign_in(client, "9999999", CUSTOMER[1])
            assert "relleno" in spanish["errors"][0]["message"]
    finally:
        async with access_api.engine.begin() as conn:
            await conn.execute(update(t.customers).where(t.customers.c.tax_id == "9999999").values(tax_id=tax_id))


async def test_failed_sign_ins_are_limited_per_login_with_the_retry_time(access_api):
    # given an attacker guessing one login's password
    async with access_api.client_for(ip="10.1.1.1") as client:
        for _ in range(5):
            assert [e["code"] for e in (await sign_in(client, CUSTOMER[0], "adivino.algo"))["errors"]] == [
                "INVALID_CREDENTIALS"]
        # when the sixth try comes, even with the right password
        blocked = await sign_in(client, *CUSTOMER, **{"Accept-Language": "en"})
        # then
        assert blocked["accessToken"] is None and blocked["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"
        assert blocked["errors"][0]["message"].startswith("Too many attempts. Try again in ")
        seconds = int(blocked["errors"][0]["message"].split(" in ")[1].split()[0])
        assert 0 < seconds <= 15 * 60
    # the counter belonged to that app (a worker without Redis); this module's app still signs in
    assert (await sign_in(access_api.client, "analista@example.com", "gato.tornillo"))["errors"] == []


async def test_failed_sign_ins_are_limited_per_client_address(access_api):
    async with access_api.client_for(ip="10.2.2.2", ip_attempts="3/15 minutes") as client:
        for n in range(3):
            await sign_in(client, f"nadie{n}@example.com", "x")
        answer = await sign_in(client, "analista@example.com", "gato.tornillo")
        assert answer["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"


async def test_with_redis_the_counters_are_shared_by_every_worker(access_api):
    # given two workers (two apps) of one deployment sharing Redis, and a login nobody used before
    login = f"redis-{uuid.uuid4().hex[:8]}@example.com"
    ip = f"10.3.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    shared = {"redis_url": "redis://127.0.0.1:6379/0", "login_attempts": "3/15 minutes"}
    async with access_api.client_for(ip=ip, **shared) as worker_a, access_api.client_for(ip=ip, **shared) as worker_b:
        # when failures land on worker A
        for _ in range(3):
            await sign_in(worker_a, login, "x")
        # then worker B refuses the next try, whatever address it comes from (per login)
        answer = await sign_in(worker_b, login, "x")
        assert answer["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"
    async with access_api.client_for(ip="10.3.0.99", **shared) as worker_c:
        assert (await sign_in(worker_c, login, "x"))["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"


async def test_the_session_table_holds_no_refresh_token_in_clear(access_api):
    from ventanilla.store.tables import refresh_tokens

    signed = await sign_in(access_api.client, *CUSTOMER, remember=True)
    async with access_api.engine.connect() as conn:
        stored = [r.token_hash for r in await conn.execute(select(refresh_tokens.c.token_hash))]
    assert stored and signed["refreshToken"] not in stored and all(len(h) == 64 for h in stored)


async def test_a_user_token_that_names_no_session_is_refused_even_when_validly_signed(access_api):
    # given: a token signed with the deployment's key for a real user, but naming no session
    from ventanilla.auth.tokens import issue_access_token, read_access_token

    signed = await sign_in(access_api.client, *CUSTOMER)
    user_id = read_access_token(access_api.settings.secret_key, signed["accessToken"]).user_id
    sessionless, _ = issue_access_token(access_api.settings.secret_key, user_id, 5)
    # then: refused at once; the signed-in token still works
    assert (await me(access_api.client, sessionless)).status_code == 401
    assert (await me(access_api.client, signed["accessToken"])).status_code == 200
