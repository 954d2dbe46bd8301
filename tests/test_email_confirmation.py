"""A new sign-in e-mail is confirmed by a link sent to it first (FEATURES.md E1), over HTTP.

The demo's customer asks for a new sign-in e-mail with updateContactInfo; the link arrives at a
real local SMTP server (aiosmtpd); only confirmEmail with its token, signed in as that customer,
changes the login, once. Time passing is the link's expiry moved into the past in the store.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from ventanilla.demo.business import CUSTOMER_LOGIN
from ventanilla.store.tables import email_confirmations, events, user_customers, users
from ventanilla.store.users import create_user

from .conftest import SIGN_IN, mail_settled
from .test_branding import _deployment

ASK = """
mutation($email: String!) {
  updateContactInfo(input: {signInEmail: $email}) { signInEmailPending customer { name } errors { code field } }
}
"""
CONFIRM = "mutation($token: String!) { confirmEmail(input: {token: $token}) { login errors { code field } } }"
LINK = re.compile(r"https://config\.example\.com/confirm-email\?token=([A-Za-z0-9_\-%]+)")


@pytest.fixture
async def portal(tmp_path, smtp_inbox):
    async with _deployment("postgresql", tmp_path, smtp_url=smtp_inbox.url) as deployment:
        deployment.inbox = smtp_inbox
        yield deployment


async def _signs_in(portal, login: str, password: str = CUSTOMER_LOGIN[1]) -> str | None:
    body = await portal.a.gql(SIGN_IN, {"login": login, "password": password})
    return body["data"]["signIn"]["accessToken"]


async def _token_sent_to(portal, address: str) -> str:
    await mail_settled(portal.engine)
    mail = portal.inbox.last_to(address)
    found = LINK.search(mail.get_content())
    assert found, mail.get_content()
    return found.group(1)


def _new_address() -> str:
    return f"nuevo-{uuid.uuid4().hex[:8]}@example.com"


async def test_the_login_changes_only_once_the_link_sent_to_the_new_address_is_used(portal):
    customer = await _signs_in(portal, CUSTOMER_LOGIN[0])
    new = _new_address()
    # when the customer asks to sign in with a new address
    asked = (await portal.a.gql(ASK, {"email": new.upper()}, customer))["data"]["updateContactInfo"]
    assert asked["errors"] == [] and asked["signInEmailPending"] == new
    # then a link goes to the new address, and nothing changed yet: the old one signs in, the new does not
    token = await _token_sent_to(portal, new)
    assert "Portal Configurado" in portal.inbox.last_to(new)["Subject"]
    assert await _signs_in(portal, CUSTOMER_LOGIN[0]) and await _signs_in(portal, new) is None
    # when a wrong token is sent, it is refused and nothing changes
    wrong = (await portal.b.gql(CONFIRM, {"token": token[:-2] + "xx"}, customer))["data"]["confirmEmail"]
    assert wrong == {
        "login": None,
        "errors": [{"code": "INVALID_CONFIRMATION_LINK", "field": ["input", "token"]}],
    }
    assert await _signs_in(portal, new) is None
    # when the customer confirms with the link's token (on the other instance)
    confirmed = (await portal.b.gql(CONFIRM, {"token": token}, customer))["data"]["confirmEmail"]
    assert confirmed == {"login": new, "errors": []}
    # then the new address signs in, the old one no longer does, and the old one was told
    assert await _signs_in(portal, new) and await _signs_in(portal, CUSTOMER_LOGIN[0]) is None
    await mail_settled(portal.engine)
    notice = portal.inbox.last_to(CUSTOMER_LOGIN[0])
    assert new in notice.get_content() and "correo de ingreso" in notice["Subject"]
    # and the link works once only
    again = (await portal.a.gql(CONFIRM, {"token": token}, customer))["data"]["confirmEmail"]
    assert again["errors"][0]["code"] == "INVALID_CONFIRMATION_LINK"
    # and the business heard of it
    async with portal.engine.connect() as conn:
        told = (
            await conn.execute(select(events.c.payload).where(events.c.type == "SignInEmailChanged"))
        ).scalars()
        assert [new in payload for payload in told] == [True]


async def test_an_expired_or_replaced_link_or_one_of_another_user_changes_nothing(portal):
    customer = await _signs_in(portal, CUSTOMER_LOGIN[0])
    first, second = _new_address(), _new_address()
    await portal.a.gql(ASK, {"email": first}, customer)
    replaced = await _token_sent_to(portal, first)
    await portal.a.gql(ASK, {"email": second}, customer)
    token = await _token_sent_to(portal, second)
    # a link replaced by a later request no longer works
    body = await portal.a.gql(CONFIRM, {"token": replaced}, customer)
    assert body["data"]["confirmEmail"]["errors"][0]["code"] == "INVALID_CONFIRMATION_LINK"
    # another customer user holding the link cannot use it
    async with portal.engine.begin() as conn:
        account = (await conn.execute(select(user_customers.c.customer_id).join(users).where(
            users.c.login == CUSTOMER_LOGIN[0]).limit(1))).scalar_one()  # fmt: skip
        await create_user(conn, login="otra@example.com", name="Otra", password="pato.sombrero", kind="CUSTOMER",
                          customer_ids=[account])  # fmt: skip
    other = await _signs_in(portal, "otra@example.com", "pato.sombrero")
    body = await portal.a.gql(CONFIRM, {"token": token}, other)
    assert body["data"]["confirmEmail"]["errors"][0]["code"] == "INVALID_CONFIRMATION_LINK"
    # and anonymous callers are refused
    assert (await portal.a.gql(CONFIRM, {"token": token}))["errors"][0]["extensions"][
        "code"
    ] == "UNAUTHENTICATED"
    # when the link's time has passed, it is refused too
    async with portal.engine.begin() as conn:
        past = datetime.now(UTC) - timedelta(minutes=1)
        await conn.execute(update(email_confirmations).where(email_confirmations.c.new_email == second)
                           .values(expires_at=past))  # fmt: skip
    body = await portal.a.gql(CONFIRM, {"token": token}, customer)
    assert body["data"]["confirmEmail"]["errors"][0]["code"] == "INVALID_CONFIRMATION_LINK"
    # and the customer still signs in as before
    assert await _signs_in(portal, CUSTOMER_LOGIN[0])
    for address in (first, second):
        assert await _signs_in(portal, address) is None


async def test_two_confirmations_at_once_change_the_login_once(portal):
    customer = await _signs_in(portal, CUSTOMER_LOGIN[0])
    new = _new_address()
    await portal.a.gql(ASK, {"email": new}, customer)
    token = await _token_sent_to(portal, new)
    answers = await asyncio.gather(*(app.gql(CONFIRM, {"token": token}, customer)
                                     for app in (portal.a, portal.b, portal.a, portal.b)))  # fmt: skip
    results = [a["data"]["confirmEmail"] for a in answers]
    assert sorted(r["login"] or "" for r in results) == ["", "", "", new]
    assert (
        sum(1 for r in results if r["errors"] and r["errors"][0]["code"] == "INVALID_CONFIRMATION_LINK") == 3
    )


async def test_a_bad_or_taken_address_is_refused_and_no_link_is_sent(portal):
    customer = await _signs_in(portal, CUSTOMER_LOGIN[0])
    for address, field in (("no es un correo", ["input", "signInEmail"]), ("analista@example.com", ["input", "signInEmail"]),
                           (CUSTOMER_LOGIN[0], ["input", "signInEmail"])):  # fmt: skip
        answer = (await portal.a.gql(ASK, {"email": address}, customer))["data"]["updateContactInfo"]
        assert [(e["code"], e["field"]) for e in answer["errors"]] == [("BAD_INPUT", field)], address
    async with portal.engine.connect() as conn:
        assert (await conn.execute(select(email_confirmations))).all() == []
    # staff cannot change a customer's sign-in e-mail
    body = await portal.a.gql(ASK, {"email": _new_address()}, portal.admin)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
