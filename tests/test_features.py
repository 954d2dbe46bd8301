"""Feature switches (FEATURES.md F1): stored in the store, in force on every instance at once.

Two app instances share one PostgreSQL store, as two servers behind a load balancer do: an admin
switches a feature off on one, and the other refuses it on its very next request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import event, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from ventanilla.auth.principals import Principal, PrincipalKind
from ventanilla.connectors.native import tables as t
from ventanilla.errors import ApiError, ErrorCode
from ventanilla.resolvers.actions import Action, Done, perform
from ventanilla.resolvers.context import request_context
from ventanilla.settings import Feature, Settings
from ventanilla.store.tables import audit_log, events
from ventanilla.store.users import create_user
from ventanilla.web.app import create_app

from .conftest import SIGN_IN, TEST_SECRET, fresh_database
from .test_statement_counts import build_business

CUSTOMER = ("cliente@example.com", "perro.calamar")
ANALYST = ("analista@example.com", "gato.tornillo")
ADMIN = ("admin@example.com", "tigre.lampara")

TICKETS = "{ viewer { customer { tickets(first: 5) { nodes { subject } } contracts { nodes { title } } } } }"
PORTAL = "{ portal { features } }"
SET_FEATURE = """
mutation($feature: Feature!, $enabled: Boolean!) {
  setFeature(input: {feature: $feature, enabled: $enabled}) { features errors { code message field } }
}
"""
AUDIT = """
query($event: String, $customerId: ID) {
  auditLog(first: 50, event: $event, customerId: $customerId) {
    event outcome actor customerId objectId detail login ip
  }
}
"""


@dataclass
class Instance:
    """One app (one server of the deployment) and a client of it."""

    app: object
    client: httpx.AsyncClient

    async def gql(self, query: str, variables: dict | None = None, token: str | None = None) -> dict:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.client.post("/graphql", json={"query": query, "variables": variables or {}},
                                          headers=headers)  # fmt: skip
        assert response.status_code == 200, response.text
        return response.json()

    async def sign_in(self, login: tuple[str, str]) -> str:
        body = await self.gql(SIGN_IN, {"login": login[0], "password": login[1]})
        return body["data"]["signIn"]["accessToken"]


@dataclass
class Deployment:
    url: str
    a: Instance
    b: Instance


def codes(body: dict) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


@pytest.fixture(params=["postgresql", "sqlite"])
async def deployment(request, tmp_path) -> AsyncIterator[Deployment]:
    async with fresh_database(request.param, tmp_path) as url:
        await build_business(url, customers=2, invoices_per_customer=1)
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await create_user(conn, login=ADMIN[0], name="Admin", password=ADMIN[1], kind="STAFF", role="admin")
        await engine.dispose()
        async with AsyncExitStack() as stack:
            instances = []
            for _ in range(2):
                app = create_app(Settings(database_url=url, secret_key=TEST_SECRET, timezone="UTC"))
                stack.push_async_callback(app.state.close)
                transport = httpx.ASGITransport(app=app)
                client = await stack.enter_async_context(httpx.AsyncClient(transport=transport, base_url="http://t"))
                instances.append(Instance(app, client))
            yield Deployment(url, *instances)


async def test_a_switch_set_on_one_instance_is_in_force_on_the_other_at_once(deployment):
    a, b = deployment.a, deployment.b
    admin, customer = await a.sign_in(ADMIN), await b.sign_in(CUSTOMER)
    # given B serves the customer's tickets
    served = await b.gql(TICKETS, token=customer)
    assert codes(served) == [] and len(served["data"]["viewer"]["customer"]["tickets"]["nodes"]) == 3
    # when an admin switches tickets off on A
    switched = (await a.gql(SET_FEATURE, {"feature": "TICKETS", "enabled": False}, admin))["data"]["setFeature"]
    assert switched["errors"] == [] and "TICKETS" not in switched["features"]
    # then B refuses them on its next request, and says so; the rest of the answer arrives
    refused = await b.gql(TICKETS, token=customer)
    assert codes(refused) == ["FEATURE_DISABLED"]
    assert refused["errors"][0]["path"] == ["viewer", "customer", "tickets"]
    assert refused["data"]["viewer"]["customer"]["tickets"] is None
    assert refused["data"]["viewer"]["customer"]["contracts"]["nodes"]
    # and portal.features follows, on both, signed out too
    for instance in (a, b):
        features = (await instance.gql(PORTAL))["data"]["portal"]["features"]
        assert "TICKETS" not in features and "CONTRACTS" in features
    # when it is switched on again on B, A serves it again
    again = (await b.gql(SET_FEATURE, {"feature": "TICKETS", "enabled": True}, await b.sign_in(ADMIN)))
    assert "TICKETS" in again["data"]["setFeature"]["features"]
    assert codes(await a.gql(TICKETS, token=await a.sign_in(CUSTOMER))) == []


async def test_a_switch_overrides_the_configuration_both_ways(tmp_path):
    async with fresh_database("sqlite", tmp_path) as url:
        await build_business(url, customers=1, invoices_per_customer=1)
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await create_user(conn, login=ADMIN[0], name="Admin", password=ADMIN[1], kind="STAFF", role="admin")
        await engine.dispose()
        # given ventanilla.toml leaves contracts off
        configured = [f for f in Feature if f is not Feature.CONTRACTS]
        app = create_app(Settings(database_url=url, secret_key=TEST_SECRET, timezone="UTC", features=configured))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            instance = Instance(app, client)
            customer = await instance.sign_in(CUSTOMER)
            assert "CONTRACTS" not in (await instance.gql(PORTAL))["data"]["portal"]["features"]
            assert codes(await instance.gql(TICKETS, token=customer)) == ["FEATURE_DISABLED"]
            # when an admin switches them on
            await instance.gql(SET_FEATURE, {"feature": "CONTRACTS", "enabled": True}, await instance.sign_in(ADMIN))
            # then the stored switch wins over the file
            assert "CONTRACTS" in (await instance.gql(PORTAL))["data"]["portal"]["features"]
            assert codes(await instance.gql(TICKETS, token=customer)) == []
        await app.state.close()


async def test_analysts_and_customers_cannot_switch_features(deployment):
    a = deployment.a
    for login in (ANALYST, CUSTOMER):
        body = await a.gql(SET_FEATURE, {"feature": "TICKETS", "enabled": False}, await a.sign_in(login))
        assert codes(body) == ["FORBIDDEN"], body
    body = await a.gql(SET_FEATURE, {"feature": "TICKETS", "enabled": False})  # signed out
    assert codes(body) in (["FORBIDDEN"], ["UNAUTHENTICATED"])
    # nothing changed
    assert "TICKETS" in (await a.gql(PORTAL))["data"]["portal"]["features"]


async def test_a_switch_is_audited(deployment):
    a = deployment.a
    admin = await a.sign_in(ADMIN)
    await a.gql(SET_FEATURE, {"feature": "PLAN_REQUESTS", "enabled": False}, admin)
    entries = (await a.gql(AUDIT, {"event": "SET_FEATURE"}, admin))["data"]["auditLog"]
    assert [(e["outcome"], e["objectId"], e["detail"], e["customerId"]) for e in entries] == [
        ("OK", "PLAN_REQUESTS", "off", None)
    ]
    assert entries[0]["actor"].startswith("staff:")


async def test_a_request_reads_the_switches_once(deployment):
    # given a query whose tickets, contracts and plans each check their switch
    b = deployment.b
    token = await b.sign_in(CUSTOMER)
    query = "{ portal { features } viewer { customer { tickets { nodes { subject } } contracts { nodes { title } } " \
            "subscriptions { plan { name } } } } }"  # fmt: skip
    executed: list[str] = []
    engines = [b.app.state.engine.sync_engine, b.app.state.reads.sync_engine]  # the store's writes and reads
    listener = lambda *args: executed.append(args[2])  # noqa: E731
    for engine in engines:
        event.listen(engine, "before_cursor_execute", listener)
    body = await b.gql(query, token=token)
    for engine in engines:
        event.remove(engine, "before_cursor_execute", listener)
    assert codes(body) == []
    # then the store was asked for them once
    assert sum("feature_switches" in statement for statement in executed) == 1


async def test_a_disabled_action_answers_feature_disabled_and_changes_nothing(deployment):
    a = deployment.a
    await a.gql(SET_FEATURE, {"feature": "TICKET_CREATION", "enabled": False}, await a.sign_in(ADMIN))
    ctx = request_context(a.app.state.services, Principal(PrincipalKind.CUSTOMER, user_id=1, customer_ids=("1",)))

    async def work(conn: AsyncConnection) -> Done:  # a real write, which must never run
        await conn.execute(insert(t.companies).values(id=99, code="C99", name="X", currency="ARS", country="AR"))
        return Done(answer={"id": "99"})

    with pytest.raises(ApiError) as refused:
        await perform(ctx, Action("createTicket", "1", {"subject": "x"}, "k-1", Feature.TICKET_CREATION), work)
    assert refused.value.code is ErrorCode.FEATURE_DISABLED
    engine = create_async_engine(deployment.url)
    async with engine.connect() as conn:
        companies = (await conn.execute(select(func.count()).select_from(t.companies).where(t.companies.c.id == 99)))
        assert companies.scalar_one() == 0
        assert (await conn.execute(select(func.count()).select_from(events))).scalar_one() == 0
        outcome = (await conn.execute(select(audit_log.c.outcome).where(audit_log.c.event == "CREATE_TICKET"))).all()
        assert [o.outcome for o in outcome] == ["FEATURE_DISABLED"]
    await engine.dispose()


async def test_the_audit_of_actions_names_the_customer_and_object_and_no_secret(deployment):
    a = deployment.a
    admin = await a.sign_in(ADMIN)
    customer_token = await a.sign_in(CUSTOMER)
    await a.gql(SIGN_IN, {"login": CUSTOMER[0], "password": "una.clave.equivocada"})  # a failure, audited
    ctx = request_context(a.app.state.services, Principal(PrincipalKind.CUSTOMER, user_id=1, customer_ids=("1", "2")))

    def opened(ticket: str):  # noqa: ANN202
        async def work(conn: AsyncConnection) -> Done:
            return Done(answer={"id": ticket}, object_id=ticket)

        return work

    secret_key = "clave-idempotente-secreta"
    await perform(ctx, Action("createTicket", "1", {"subject": "Sin conexión"}, secret_key), opened("T-1"))
    await perform(ctx, Action("createTicket", "1", {"subject": "Sin conexión"}, secret_key), opened("T-1"))
    await perform(ctx, Action("closeTicket", "2", {"ticketId": "T-9"}), opened("T-9"))
    customer_1 = "Q3VzdG9tZXI6MQ=="  # Customer:1
    # when an admin reads the audit of customer 1
    entries = (await a.gql(AUDIT, {"customerId": customer_1}, admin))["data"]["auditLog"]
    # then it holds its actions, with the customer's global id and the object, newest first
    assert [(e["event"], e["outcome"], e["objectId"], e["customerId"]) for e in entries] == [
        ("CREATE_TICKET", "REPEATED", "T-1", customer_1),
        ("CREATE_TICKET", "OK", "T-1", customer_1),
    ]
    assert all(e["actor"] == "customer:1" for e in entries)
    # and nothing secret is anywhere in the audit: passwords, tokens, keys of the actions
    everything = str((await a.gql(AUDIT, {}, admin))["data"]["auditLog"])
    engine = create_async_engine(deployment.url)
    async with engine.connect() as conn:
        everything += str((await conn.execute(select(audit_log))).all())
    await engine.dispose()
    for secret in (CUSTOMER[1], ADMIN[1], "una.clave.equivocada", admin, customer_token, secret_key, TEST_SECRET):
        assert secret not in everything


# --- the agent role: the demo's helpdesk user, and `staff add --role agent` ------------------------


async def test_the_demo_has_an_agent_and_the_cli_adds_agents(tmp_path):
    import asyncio
    from datetime import date

    from ventanilla.cli.commands import main as cli_main
    from ventanilla.demo.business import AGENT_LOGIN, generate_demo
    from ventanilla.store.blobs import DirectoryBlobs

    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    engine = create_async_engine(url)
    summary = await generate_demo(engine, customers=12, seed=3, today=date(2026, 6, 15),
                                  blobs=DirectoryBlobs(tmp_path / "files"))  # fmt: skip
    await engine.dispose()
    (agent,) = [s for s in summary.sign_ins if s[0] == AGENT_LOGIN]
    # an agent added from the CLI gets a printed temporary password
    printed = await asyncio.to_thread(
        lambda: cli_main(["staff", "add", "mesa@example.com", "--role", "agent", "--db", url])
    )
    assert printed == 0
    app = create_app(Settings(database_url=url, secret_key=TEST_SECRET, timezone="UTC"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        instance = Instance(app, client)
        token = await instance.sign_in((agent[0], agent[1]))
        viewer = (await instance.gql("{ viewer { kind role } }", token=token))["data"]["viewer"]
        assert viewer == {"kind": "STAFF", "role": "agent"}
        # and the agent is no admin
        assert codes(await instance.gql(SET_FEATURE, {"feature": "TICKETS", "enabled": False}, token)) == ["FORBIDDEN"]
    await app.state.close()
    from ventanilla.store.tables import users

    engine = create_async_engine(url)
    async with engine.connect() as conn:
        role = (await conn.execute(select(users.c.role).where(users.c.login == "mesa@example.com"))).scalar_one()
    await engine.dispose()
    assert role == "agent"


async def test_a_download_follows_a_switch_set_on_another_instance(deployment):
    a, b = deployment.a, deployment.b
    token = await b.sign_in(CUSTOMER)
    invoices = await b.gql("{ viewer { customer { invoices(first: 1) { nodes { pdfUrl } } } } }", token=token)
    link = invoices["data"]["viewer"]["customer"]["invoices"]["nodes"][0]["pdfUrl"]
    assert (await b.client.get(link)).status_code == 200
    # when an admin switches invoice downloads off on A
    await a.gql(SET_FEATURE, {"feature": "INVOICE_DOWNLOAD", "enabled": False}, await a.sign_in(ADMIN))
    # then B refuses the link it signed
    refused = await b.client.get(link, headers={"Accept-Language": "en"})
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["extensions"]["code"] == "FEATURE_DISABLED"


async def test_with_the_store_down_portal_features_is_null_and_the_rest_of_portal_answers(tmp_path):
    from .proxy import Proxy, through

    async with fresh_database("postgresql", tmp_path) as url:
        await build_business(url, customers=1, invoices_per_customer=1)
        proxy = await Proxy.started_for(url, 5432)
        settings = Settings(database_url=through(url, proxy), secret_key=TEST_SECRET, timezone="UTC",
                            store_timeout_seconds=2.0)  # fmt: skip
        app = create_app(settings)
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
                instance = Instance(app, client)
                assert (await instance.gql("{ portal { name features } }"))["data"]["portal"]["features"]
                await proxy.stop()
                body = await instance.gql("{ portal { name features } }")
            # then the switches are not guessed: features is null with STORE_UNAVAILABLE, the name arrives
            assert body["data"]["portal"]["name"] and body["data"]["portal"]["features"] is None
            assert codes(body) == ["STORE_UNAVAILABLE"]
            assert body["errors"][0]["path"] == ["portal", "features"]
        finally:
            await proxy.restore()
            await app.state.close()


async def test_the_cli_switches_a_feature_for_the_running_instances(deployment, capsys):
    import asyncio

    from ventanilla.cli.commands import main as cli_main

    b = deployment.b
    token = await b.sign_in(CUSTOMER)
    # when the business switches tickets off from the command line, on the deployment's store
    assert await asyncio.to_thread(cli_main, ["features", "off", "tickets", "--db", deployment.url]) == 0
    listed = capsys.readouterr().out
    assert "TICKETS                off  (store)" in listed and "CONTRACTS              on   (ventanilla.toml)" in listed
    # then the running instance refuses them on its next request; the switch is audited as the CLI's
    assert codes(await b.gql(TICKETS, token=token)) == ["FEATURE_DISABLED"]
    admin = await b.sign_in(ADMIN)
    (entry,) = (await b.gql(AUDIT, {"event": "SET_FEATURE"}, admin))["data"]["auditLog"]
    assert (entry["actor"], entry["objectId"], entry["detail"]) == ("cli", "TICKETS", "off")
    # a name that is no feature changes nothing
    assert await asyncio.to_thread(cli_main, ["features", "on", "TICKET", "--db", deployment.url]) == 2
    assert await asyncio.to_thread(cli_main, ["features", "on", "TICKETS", "--db", deployment.url]) == 0
    assert codes(await b.gql(TICKETS, token=token)) == []
