"""Recovering and changing passwords over HTTP: reset links, sign-in codes, temporary passwords (A3-A6)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import update
from ventanilla.store.tables import one_time_secrets
from ventanilla.store.users import create_user

REQUEST_RESET = """mutation($login: String!) { requestPasswordReset(input: {login: $login}) { ok errors { code } } }"""
RESET = """mutation($token: String!, $password: String!) { resetPassword(input: {token: $token, newPassword: $password}) {
  accessToken viewer { name mustChangePassword } errors { code message } } }"""
REQUEST_CODE = """mutation($email: String!) { requestSignInCode(input: {email: $email}) { ok expiresIn errors { code } } }"""
WITH_CODE = """mutation($email: String!, $code: String!) { signInWithCode(input: {email: $email, code: $code}) {
  accessToken viewer { name } errors { code message } } }"""
CHANGE = """mutation($current: String!, $new: String!) { changePassword(input: {currentPassword: $current, newPassword: $new}) {
  viewer { mustChangePassword } errors { code message field } } }"""
ME = "{ viewer { name mustChangePassword accounts { id } } }"
CUSTOMER_BY_ID = "query($id: ID!) { customer(id: $id) { name } }"


async def new_customer_user(api, login: str, password: str, must_change: bool = False) -> None:
    """A customer user of its own, linked to the demo customer with id 5."""
    async with api.engine.begin() as conn:
        await create_user(conn, login=login, name="Prueba", password=password, kind="CUSTOMER",
                          customer_ids=["5"], must_change_password=must_change)


def link_in(mail) -> str:
    return re.search(r"https://\S+", mail.get_content()).group(0)


async def test_a_reset_link_is_emailed_works_once_and_signs_in(access_api):
    # given a user with an open session
    await new_customer_user(access_api, "olvido@example.com", "vieja.clave1")
    old_session = await access_api.sign_in("olvido@example.com", "vieja.clave1")
    # when they ask for a reset and follow the emailed link
    asked = await access_api.gql(REQUEST_RESET, {"login": "olvido@example.com"})
    mail = await access_api.mail_to("olvido@example.com")
    link = link_in(mail)
    token = parse_qs(urlsplit(link).query)["token"][0]
    reset = (await access_api.gql(RESET, {"token": token, "password": "nueva.clave.larga"}))["data"]["resetPassword"]
    # then
    assert asked["data"]["requestPasswordReset"] == {"ok": True, "errors": []}
    assert "cambiá tu contraseña" in mail["Subject"] and link.startswith("https://portal.example.com/reset-password?token=")
    assert reset["errors"] == [] and reset["accessToken"] and reset["viewer"]["name"] == "Prueba"
    assert (await access_api.post(ME, token=reset["accessToken"])).status_code == 200
    assert (await access_api.post(ME, token=old_session)).status_code == 401  # sessions before the reset end
    assert await access_api.sign_in("olvido@example.com", "nueva.clave.larga")
    # and the same link a second time is refused
    again = (await access_api.gql(RESET, {"token": token, "password": "otra.clave.larga"}))["data"]["resetPassword"]
    assert again["accessToken"] is None and [e["code"] for e in again["errors"]] == ["INVALID_RESET_LINK"]


async def test_an_expired_reset_link_is_refused(access_api):
    await new_customer_user(access_api, "tarde@example.com", "vieja.clave1")
    await access_api.gql(REQUEST_RESET, {"login": "tarde@example.com"})
    token = parse_qs(urlsplit(link_in(await access_api.mail_to("tarde@example.com"))).query)["token"][0]
    # when an hour and a minute have passed
    async with access_api.engine.begin() as conn:
        await conn.execute(update(one_time_secrets).where(one_time_secrets.c.purpose == "RESET", one_time_secrets.c.used_at.is_(None))
                           .values(expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    answer = (await access_api.gql(RESET, {"token": token, "password": "nueva.clave.larga"}, **{"Accept-Language": "en"}))
    # then
    payload = answer["data"]["resetPassword"]
    assert payload["accessToken"] is None and payload["errors"][0]["code"] == "INVALID_RESET_LINK"
    assert "expired" in payload["errors"][0]["message"]
    assert await access_api.sign_in("tarde@example.com", "vieja.clave1")  # the old password still works


async def test_a_reset_answers_the_same_for_an_unknown_login_and_sends_nothing(access_api):
    await access_api.settled()
    before = len(access_api.inbox.messages)
    unknown = await access_api.gql(REQUEST_RESET, {"login": "nadie.nunca@example.com"})
    known = await access_api.gql(REQUEST_RESET, {"login": "cliente@example.com"})
    await access_api.settled()
    assert unknown == known  # the whole answer, its reported cost included
    assert known["data"] == {"requestPasswordReset": {"ok": True, "errors": []}} and "errors" not in known
    assert len(access_api.inbox.messages) == before + 1
    assert not access_api.inbox.to("nadie.nunca@example.com")


async def test_a_new_password_must_be_long_enough(access_api):
    await new_customer_user(access_api, "corta@example.com", "vieja.clave1")
    await access_api.gql(REQUEST_RESET, {"login": "corta@example.com"})
    token = parse_qs(urlsplit(link_in(await access_api.mail_to("corta@example.com"))).query)["token"][0]
    short = (await access_api.gql(RESET, {"token": token, "password": "abc"}))["data"]["resetPassword"]
    assert [e["code"] for e in short["errors"]] == ["WEAK_PASSWORD"]
    ok = (await access_api.gql(RESET, {"token": token, "password": "larga.suficiente"}))["data"]["resetPassword"]
    assert ok["errors"] == []  # a refused weak password does not spend the link


def code_in(mail) -> str:
    return re.search(r"\b(\d{6})\b", mail.get_content()).group(1)


async def test_a_sign_in_code_is_emailed_and_signs_in_once(access_api):
    await new_customer_user(access_api, "codigo@example.com", "vieja.clave1")
    asked = (await access_api.gql(REQUEST_CODE, {"email": "Codigo@Example.com "}))["data"]["requestSignInCode"]
    mail = await access_api.mail_to("codigo@example.com")
    code = code_in(mail)
    signed = (await access_api.gql(WITH_CODE, {"email": "codigo@example.com", "code": code}))["data"]["signInWithCode"]
    assert asked == {"ok": True, "expiresIn": 600, "errors": []} and code in mail["Subject"]
    assert signed["errors"] == [] and signed["viewer"]["name"] == "Prueba"
    assert (await access_api.post(ME, token=signed["accessToken"])).status_code == 200
    again = (await access_api.gql(WITH_CODE, {"email": "codigo@example.com", "code": code}))["data"]["signInWithCode"]
    assert [e["code"] for e in again["errors"]] == ["INVALID_CODE"]


async def test_five_wrong_codes_spend_the_code(access_api):
    await new_customer_user(access_api, "cinco@example.com", "vieja.clave1")
    await access_api.gql(REQUEST_CODE, {"email": "cinco@example.com"})
    code = code_in(await access_api.mail_to("cinco@example.com"))
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        answer = (await access_api.gql(WITH_CODE, {"email": "cinco@example.com", "code": wrong}))["data"]["signInWithCode"]
        assert [e["code"] for e in answer["errors"]] in (["INVALID_CODE"], ["TOO_MANY_ATTEMPTS"])
    # when the right code finally comes
    late = (await access_api.gql(WITH_CODE, {"email": "cinco@example.com", "code": code}))["data"]["signInWithCode"]
    # then it no longer works
    assert late["accessToken"] is None and late["errors"][0]["code"] in ("INVALID_CODE", "TOO_MANY_ATTEMPTS")
    async with access_api.engine.connect() as conn:
        from sqlalchemy import select
        row = (await conn.execute(select(one_time_secrets.c.failures, one_time_secrets.c.used_at)
                                  .where(one_time_secrets.c.purpose == "CODE").order_by(one_time_secrets.c.id.desc()))).first()
    assert row.failures == 5 and row.used_at is not None


async def test_an_expired_code_is_refused(access_api):
    await new_customer_user(access_api, "vencido@example.com", "vieja.clave1")
    await access_api.gql(REQUEST_CODE, {"email": "vencido@example.com"})
    code = code_in(await access_api.mail_to("vencido@example.com"))
    async with access_api.engine.begin() as conn:
        await conn.execute(update(one_time_secrets).where(one_time_secrets.c.purpose == "CODE", one_time_secrets.c.used_at.is_(None))
                           .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    late = (await access_api.gql(WITH_CODE, {"email": "vencido@example.com", "code": code}))["data"]["signInWithCode"]
    assert [e["code"] for e in late["errors"]] == ["INVALID_CODE"]


async def test_codes_answer_the_same_for_an_unknown_email(access_api):
    answer = await access_api.gql(REQUEST_CODE, {"email": "fantasma@example.com"})
    await access_api.settled()
    assert answer["data"]["requestSignInCode"]["ok"] is True and not access_api.inbox.to("fantasma@example.com")


async def test_a_temporary_password_must_be_changed_before_anything_else(access_api):
    # given a user on first access with a temporary password
    await new_customer_user(access_api, "primera@example.com", "temporal.clave", must_change=True)
    token = await access_api.sign_in("primera@example.com", "temporal.clave")
    viewer = (await access_api.gql(ME, token=token))["data"]["viewer"]
    account = viewer["accounts"][0]["id"]
    # when it tries anything else
    blocked = await access_api.gql(CUSTOMER_BY_ID, {"id": account}, token)
    # then
    assert viewer["mustChangePassword"] is True
    assert blocked["errors"][0]["extensions"]["code"] == "PASSWORD_CHANGE_REQUIRED"
    # a wrong current password is refused, a right one frees the user
    wrong = (await access_api.gql(CHANGE, {"current": "nope.nope", "new": "mia.propia.clave"}, token))["data"]["changePassword"]
    assert [e["code"] for e in wrong["errors"]] == ["INVALID_CREDENTIALS"]
    same = (await access_api.gql(CHANGE, {"current": "temporal.clave", "new": "temporal.clave"}, token))["data"]["changePassword"]
    assert [e["code"] for e in same["errors"]] == ["WEAK_PASSWORD"]
    changed = (await access_api.gql(CHANGE, {"current": "temporal.clave", "new": "mia.propia.clave"}, token))["data"]["changePassword"]
    assert changed == {"viewer": {"mustChangePassword": False}, "errors": []}
    assert (await access_api.gql(CUSTOMER_BY_ID, {"id": account}, token))["data"]["customer"]["name"]
    # signing out works with a temporary password too
    fresh = await access_api.sign_in("primera@example.com", "mia.propia.clave")
    assert (await access_api.gql("mutation { signOut { ok } }", token=fresh))["data"]["signOut"]["ok"] is True


async def test_changing_the_password_ends_the_users_other_sessions(access_api):
    await new_customer_user(access_api, "dos.sesiones@example.com", "vieja.clave1")
    here = await access_api.sign_in("dos.sesiones@example.com", "vieja.clave1")
    there = await access_api.sign_in("dos.sesiones@example.com", "vieja.clave1")
    changed = (await access_api.gql(CHANGE, {"current": "vieja.clave1", "new": "nueva.clave.segura"}, here))
    assert changed["data"]["changePassword"]["errors"] == []
    assert (await access_api.post(ME, token=here)).status_code == 200
    assert (await access_api.post(ME, token=there)).status_code == 401
    unauthenticated = await access_api.gql(CHANGE, {"current": "a", "new": "b"})
    assert unauthenticated["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
