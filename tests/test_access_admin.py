"""The business's side over HTTP and the CLI: grant, revoke at once, former customers, staff, audit (A7, A9, A12)."""

from __future__ import annotations

import asyncio
import base64

from sqlalchemy import update
from ventanilla.cli import main as cli_main
from ventanilla.connectors.native import tables as t
from ventanilla.store.users import create_user

from .conftest import TEST_SECRET

ADMIN = ("admin.test@example.com", "clave.admin.larga")
ANALYST = ("analista@example.com", "gato.tornillo")
CUSTOMER = ("cliente@example.com", "perro.calamar")

GRANT = """mutation($id: ID!, $login: String, $send: Boolean) {
  grantPortalAccess(input: {customerId: $id, login: $login, sendEmail: $send}) {
    login created temporaryPassword emailed errors { code message } } }"""
REVOKE = """mutation($id: ID!) { revokePortalAccess(input: {customerId: $id}) { usersAffected errors { code } } }"""
ME = "{ viewer { accounts { id } } }"
CUSTOMER_BY_ID = "query($id: ID!) { customer(id: $id) { name } }"
AUDIT = """query($login: String) { auditLog(first: 100, login: $login) { at event outcome login actor ip detail } }"""


async def cli(argv: list[str]) -> int:
    """The `ventanilla` command, in a thread: it runs its own event loop, as from a shell."""
    return await asyncio.to_thread(cli_main, argv)


def gid(raw: str) -> str:
    return base64.b64encode(f"Customer:{raw}".encode()).decode()


def codes(body: dict) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def test_an_admin_grants_access_and_the_customer_gets_an_email_without_the_password(access_api):
    admin = await access_api.sign_in(*ADMIN)
    # when
    body = await access_api.gql(GRANT, {"id": gid("11"), "login": "Nuevo.Cliente@example.com"}, admin)
    granted = body["data"]["grantPortalAccess"]
    mail = await access_api.mail_to("nuevo.cliente@example.com")
    # then a new user with a generated two-word temporary password, told the portal and user by email
    assert granted["errors"] == [] and granted["created"] is True and granted["emailed"] is True
    first, second = granted["temporaryPassword"].split(".")
    assert first.isalpha() and second.isalpha() and first != second
    text = mail.get_content()
    assert "https://portal.example.com" in text and "nuevo.cliente@example.com" in text
    assert granted["temporaryPassword"] not in text  # by default the business gives it by another channel
    # and the customer must change it on first access
    token = await access_api.sign_in("nuevo.cliente@example.com", granted["temporaryPassword"])
    viewer = (await access_api.gql("{ viewer { mustChangePassword accounts { id } } }", token=token))["data"]["viewer"]
    assert viewer == {"mustChangePassword": True, "accounts": [{"id": gid("11")}]}


async def test_the_password_goes_by_email_when_the_business_chooses_it_in_english(access_api):
    async with access_api.client_for(send_password_by_email=True) as client:
        signed = await client.post("/graphql", json={"query": 'mutation { signIn(input: {login: "admin.test@example.com", password: "clave.admin.larga"}) { accessToken } }'})
        admin = signed.json()["data"]["signIn"]["accessToken"]
        response = await client.post("/graphql", json={"query": GRANT, "variables": {"id": gid("12"), "login": "con.clave@example.com"}},
                                     headers={"Authorization": f"Bearer {admin}", "Accept-Language": "en"})
    granted = response.json()["data"]["grantPortalAccess"]
    mail = await access_api.mail_to("con.clave@example.com")
    assert mail["Subject"].startswith("Your access to") and granted["temporaryPassword"] in mail.get_content()


async def test_granting_an_existing_user_another_account_keeps_its_password(access_api):
    admin = await access_api.sign_in(*ADMIN)
    body = await access_api.gql(GRANT, {"id": gid("13"), "login": CUSTOMER[0], "send": False}, admin)
    granted = body["data"]["grantPortalAccess"]
    assert granted["created"] is False and granted["temporaryPassword"] is None and granted["emailed"] is False
    token = await access_api.sign_in(*CUSTOMER)
    assert gid("13") in {a["id"] for a in (await access_api.gql(ME, token=token))["data"]["viewer"]["accounts"]}
    missing = await access_api.gql(GRANT, {"id": gid("99999")}, admin)
    assert [e["code"] for e in missing["data"]["grantPortalAccess"]["errors"]] == ["NOT_FOUND"]


async def test_revocation_is_immediate_for_a_token_already_issued(access_api):
    # given a customer user signed in, whose only account is 14
    admin = await access_api.sign_in(*ADMIN)
    granted = (await access_api.gql(GRANT, {"id": gid("14"), "login": "revocado@example.com", "send": False}, admin))
    password = granted["data"]["grantPortalAccess"]["temporaryPassword"]
    token = await access_api.sign_in("revocado@example.com", password)
    assert (await access_api.post(ME, token=token)).status_code == 200
    # when the business revokes the account
    revoked = await access_api.gql(REVOKE, {"id": gid("14")}, admin)
    # then the token it already holds is refused on its next request, and signing in says why
    assert revoked["data"]["revokePortalAccess"] == {"usersAffected": 1, "errors": []}
    assert (await access_api.post(ME, token=token)).status_code == 401
    again = await access_api.gql("""mutation($l: String!, $p: String!) { signIn(input: {login: $l, password: $p}) {
        accessToken errors { code } } }""", {"l": "revocado@example.com", "p": password})
    assert again["data"]["signIn"]["errors"] == [{"code": "ACCESS_REVOKED"}]


async def test_revoking_one_of_two_accounts_removes_it_at_once(access_api):
    admin = await access_api.sign_in(*ADMIN)
    await access_api.gql(GRANT, {"id": gid("15"), "login": "dos.cuentas@example.com", "send": False}, admin)
    password = "clave.dos.cuentas"
    async with access_api.engine.begin() as conn:
        from ventanilla.store.users import set_password, user_by_login
        user = await user_by_login(conn, "dos.cuentas@example.com")
        await set_password(conn, user.id, password)
    await access_api.gql(GRANT, {"id": gid("16"), "login": "dos.cuentas@example.com", "send": False}, admin)
    token = await access_api.sign_in("dos.cuentas@example.com", password)
    assert (await access_api.gql(CUSTOMER_BY_ID, {"id": gid("16")}, token))["data"]["customer"]
    # when
    await access_api.gql(REVOKE, {"id": gid("16")}, admin)
    # then the same token still works for account 15, and account 16 answers like another customer's
    assert (await access_api.gql(ME, token=token))["data"]["viewer"]["accounts"] == [{"id": gid("15")}]
    gone = await access_api.gql(CUSTOMER_BY_ID, {"id": gid("16")}, token)
    assert gone["data"]["customer"] is None and codes(gone) == ["NOT_FOUND"]


async def test_customers_and_analysts_cannot_use_admin_mutations(access_api):
    customer = await access_api.sign_in(*CUSTOMER)
    analyst = await access_api.sign_in(*ANALYST)
    # a customer granting itself another customer's account, or revoking one
    for token in (customer, analyst):
        grant = await access_api.gql(GRANT, {"id": gid("20"), "login": CUSTOMER[0]}, token)
        revoke = await access_api.gql(REVOKE, {"id": gid("20")}, token)
        audit = await access_api.gql(AUDIT, {}, token)
        suggestion = await access_api.gql("{ suggestedPassword }", {}, token)
        assert codes(suggestion) == ["FORBIDDEN"]
        assert grant["data"] is None and codes(grant) == ["FORBIDDEN"]
        assert revoke["data"] is None and codes(revoke) == ["FORBIDDEN"]
        assert codes(audit) == ["FORBIDDEN"]
    anonymous = await access_api.gql(GRANT, {"id": gid("20")})
    assert codes(anonymous) == ["UNAUTHENTICATED"]
    token = await access_api.sign_in(*CUSTOMER)
    assert gid("20") not in {a["id"] for a in (await access_api.gql(ME, token=token))["data"]["viewer"]["accounts"]}


async def test_former_customers_stay_out_unless_the_business_lets_them_in(access_api):
    # given a user whose only account is closed (DELETED in the ERP)
    async with access_api.engine.begin() as conn:
        await create_user(conn, login="ex@example.com", name="Ex", password="ex.cliente.clave", kind="CUSTOMER", customer_ids=["21"])
        await conn.execute(update(t.customers).where(t.customers.c.id == 21).values(status="DELETED"))
    query = """mutation { signIn(input: {login: "ex@example.com", password: "ex.cliente.clave"}) { accessToken errors { code message } } }"""
    # when / then: out by default, with a clear reason
    refused = (await access_api.gql(query))["data"]["signIn"]
    assert refused["accessToken"] is None and refused["errors"][0]["code"] == "FORMER_CUSTOMER"
    assert "dada de baja" in refused["errors"][0]["message"]
    # and in when the setting is on
    async with access_api.client_for(former_customers_keep_access=True) as client:
        allowed = (await client.post("/graphql", json={"query": query})).json()["data"]["signIn"]
        assert allowed["errors"] == []
        me = (await client.post("/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {allowed['accessToken']}"})).json()
        assert me["data"]["viewer"]["accounts"] == [{"id": gid("21")}]


async def test_a_closed_account_disappears_from_the_viewer_of_a_user_with_another(access_api):
    async with access_api.engine.begin() as conn:
        await create_user(conn, login="mixto@example.com", name="Mixto", password="mixto.clave.larga", kind="CUSTOMER",
                          customer_ids=["22", "23"])
        await conn.execute(update(t.customers).where(t.customers.c.id == 23).values(status="DELETED"))
    token = await access_api.sign_in("mixto@example.com", "mixto.clave.larga")
    assert (await access_api.gql(ME, token=token))["data"]["viewer"]["accounts"] == [{"id": gid("22")}]


async def test_the_audit_log_records_who_when_where_and_never_a_secret(access_api):
    await access_api.gql("""mutation { signIn(input: {login: "cliente@example.com", password: "mal.clave"}) { accessToken } }""")
    await access_api.sign_in(*CUSTOMER)
    admin = await access_api.sign_in(*ADMIN)
    entries = (await access_api.gql(AUDIT, {"login": "cliente@example.com"}, admin))["data"]["auditLog"]
    outcomes = [(e["event"], e["outcome"]) for e in entries]
    assert ("SIGN_IN", "INVALID_CREDENTIALS") in outcomes and ("SIGN_IN", "OK") in outcomes
    assert all(e["ip"] and e["at"] for e in entries if e["event"] == "SIGN_IN")
    everything = str((await access_api.gql(AUDIT, {}, admin))["data"])
    assert "mal.clave" not in everything and "perro.calamar" not in everything
    grants = [e for e in (await access_api.gql(AUDIT, {}, admin))["data"]["auditLog"] if e["event"] == "ACCESS_GRANTED"]
    assert grants and all(e["actor"].startswith("staff:") for e in grants)


async def test_the_cli_grants_lists_resets_revokes_and_manages_staff(access_api, capsys):
    db = ["--db", access_api.url]
    # staff: an admin added from the CLI signs in with the printed temporary password, then is disabled
    assert await cli(["staff", "add", "jefa@example.com", "--name", "Jefa", "--role", "admin", *db]) == 0
    password = capsys.readouterr().out.strip().rsplit(" ", 1)[1]
    token = await access_api.sign_in("jefa@example.com", password)
    assert (await access_api.gql("{ viewer { role mustChangePassword } }", token=token))["data"]["viewer"] == {
        "role": "admin", "mustChangePassword": True}
    assert await cli(["staff", "list", *db]) == 0 and "jefa@example.com" in capsys.readouterr().out
    assert await cli(["staff", "disable", "jefa@example.com", *db]) == 0
    assert (await access_api.post(ME, token=token)).status_code == 401
    # access: grant, list, reset, revoke, audit
    assert await cli(["access", "grant", "24", "--login", "cli@example.com", "--no-email", *db]) == 0
    temporary = capsys.readouterr().out.split("temporary password: ")[1].split()[0]
    customer = await access_api.sign_in("cli@example.com", temporary)
    assert await cli(["access", "list", *db]) == 0 and "cli@example.com" in capsys.readouterr().out
    assert await cli(["access", "reset", "cli@example.com", *db]) == 0
    reset_to = capsys.readouterr().out.rsplit(" ", 1)[1].strip()
    assert (await access_api.post(ME, token=customer)).status_code == 401  # a reset ends its sessions
    customer = await access_api.sign_in("cli@example.com", reset_to)
    assert await cli(["access", "revoke", "24", *db]) == 0
    assert (await access_api.post(ME, token=customer)).status_code == 401
    capsys.readouterr()
    assert await cli(["access", "audit", "--login", "cli@example.com", *db]) == 0
    log = capsys.readouterr().out
    assert "ACCESS_GRANTED" in log and "ACCESS_REVOKED" in log and temporary not in log and reset_to not in log


async def test_the_cli_sends_the_access_email_it_grants_and_lists_the_emails(access_api, capsys, monkeypatch):
    # given the deployment's SMTP server and secret key (the servers' workers can then read what the CLI queues)
    monkeypatch.setenv("VENTANILLA_SMTP_URL", access_api.inbox.url)
    monkeypatch.setenv("VENTANILLA_SECRET_KEY", TEST_SECRET)
    db, login = ["--db", access_api.url], f"correo.{access_api.backend}@example.com"
    # when access is granted from the command line
    assert await cli(["access", "grant", "25", "--login", login, *db]) == 0
    granted = capsys.readouterr().out
    # then the access email arrives, once, and the emails listing shows it sent, without its text
    mail = await access_api.mail_to(login)
    assert "correo / email: " in granted and len(access_api.inbox.to(login)) == 1
    assert await cli(["access", "emails", "--status", "SENT", *db]) == 0
    listed = [line for line in capsys.readouterr().out.splitlines() if login in line]
    assert len(listed) == 1 and " access " in listed[0] and " SENT " in listed[0]
    assert mail["Subject"] not in listed[0]


async def test_an_admin_asks_for_another_generated_pair_as_often_as_needed(access_api):
    admin = await access_api.sign_in(*ADMIN)
    pairs = [(await access_api.gql("{ suggestedPassword }", {}, admin))["data"]["suggestedPassword"] for _ in range(5)]
    assert all(len(p.split(".")) == 2 and all(w.isalpha() and w.islower() for w in p.split(".")) for p in pairs)
    assert len(set(pairs)) > 1  # a refresh gives another pair
