"""shareDocument (FEATURES.md D8) through HTTP: staff share a file, the customer lists it and
downloads it through a link only they can use; bad files and other callers are refused."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from ventanilla.connectors.native.tables import documents
from ventanilla.schema.relay import from_global_id
from ventanilla.store.tables import audit_log, events

from .test_uploads import pdf
from .tickets_portal import photo, portal

SHARE = """mutation($input: ShareDocumentInput!) { shareDocument(input: $input) {
  document { id title filename contentType size url } errors { code message field } } }"""
LIST = """query($id: ID!) { customer(id: $id) { documents(first: 50) { nodes { id title url } } } }"""
NODE = """query($id: ID!) { node(id: $id) { ... on Document { id title } } }"""


async def count(engine) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(documents))).scalar()


@pytest.fixture(scope="module")
async def served(tmp_path_factory):
    async with portal(tmp_path_factory.mktemp("documents")) as found:
        yield found


async def share(served, caller: str, name: str, content: bytes, kind: str, account: str = "ana") -> dict:
    variables = {"input": {"customerId": served.account(account), "title": "Contrato 2026", "file": None}}
    return await served.upload(SHARE, variables, {"input.file": (name, content, kind)}, caller)


async def test_an_agent_shares_a_pdf_and_only_its_customer_downloads_it(served) -> None:
    content = pdf()
    body = (await share(served, "agent", "contrato.pdf", content, "application/pdf"))["data"]["shareDocument"]
    assert body["errors"] == [], body
    document = body["document"]
    assert (document["title"], document["contentType"], document["size"]) == ("Contrato 2026", "application/pdf",
                                                                               len(content))  # fmt: skip
    listed = (await served.gql(LIST, {"id": served.account("ana")}, "ana"))["data"]["customer"]["documents"]["nodes"]
    mine = [d for d in listed if d["id"] == document["id"]]
    assert len(mine) == 1
    downloaded = await served.client.get(mine[0]["url"])
    assert downloaded.status_code == 200 and downloaded.content == content
    # another customer neither sees it nor opens its link with their own session
    assert (await served.gql(NODE, {"id": document["id"]}, "beto"))["data"]["node"] is None
    tampered = mine[0]["url"].replace("sig=", "sig=0")
    assert (await served.client.get(tampered)).status_code == 403
    async with served.store.connect() as conn:
        assert (await conn.execute(select(events.c.type).where(events.c.type == "DocumentShared"))).scalars().all()


async def test_a_photo_is_accepted_and_a_file_that_is_not_what_it_says_is_refused(served) -> None:
    assert (await share(served, "agent", "foto.jpg", photo(), "image/jpeg"))["data"]["shareDocument"]["errors"] == []
    before = await count(served.store)
    body = await share(served, "agent", "informe.pdf", b"no soy un pdf", "application/pdf")
    assert [e["code"] for e in body["data"]["shareDocument"]["errors"]] == ["INVALID_FILE"]
    assert await count(served.store) == before


@pytest.mark.parametrize("caller", ["ana", "analyst", "partner"])
async def test_customers_analysts_and_partners_may_not_share(served, caller) -> None:
    body = await share(served, caller, "contrato.pdf", pdf(), "application/pdf")
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body


async def test_the_cli_shares_a_file_the_customer_then_lists(served, tmp_path, capsys, monkeypatch) -> None:
    import asyncio

    from ventanilla.cli.commands import main

    file = tmp_path / "informe.pdf"
    file.write_bytes(pdf())
    url = served.store.url.render_as_string(hide_password=False)
    monkeypatch.setenv("VENTANILLA_FILES_DIRECTORY", str(served.files))  # the deployment's blob directory
    code = await asyncio.to_thread(main, ["documents", "add", "1", str(file), "--title", "Informe anual", "--db", url])
    assert code == 0, capsys.readouterr().out
    listed = (await served.gql(LIST, {"id": served.account("ana")}, "ana"))["data"]["customer"]["documents"]["nodes"]
    shared = [d for d in listed if d["title"] == "Informe anual"]
    assert len(shared) == 1 and (await served.client.get(shared[0]["url"])).content == file.read_bytes()
    async with served.store.connect() as conn:  # the audit names the command line, not a user that is not there
        actors = (await conn.execute(select(audit_log.c.actor).where(  # the audit row of this document's sharing
            audit_log.c.event == "SHARE_DOCUMENT", audit_log.c.object_id == from_global_id(shared[0]["id"])[1]))).scalars()  # fmt: skip
        assert list(actors) == ["cli"]
    bad = tmp_path / "informe2.pdf"
    bad.write_bytes(b"texto")
    assert await asyncio.to_thread(main, ["documents", "add", "1", str(bad), "--title", "Otro", "--db", url]) == 1


@pytest.mark.parametrize("connector", ["sap", "ispcube"])
async def test_a_document_shared_with_a_legacy_customer_is_listed_and_downloaded_by_that_customer_only(
    tmp_path, connector
) -> None:
    async with portal(tmp_path, connector=connector) as erp:
        content = pdf()
        body = (await share(erp, "agent", "contrato.pdf", content, "application/pdf"))["data"]["shareDocument"]
        assert body["errors"] == [], body
        listed = (await erp.gql(LIST, {"id": erp.account("ana")}, "ana"))["data"]["customer"]["documents"]["nodes"]
        mine = [d for d in listed if d["id"] == body["document"]["id"]]
        assert len(mine) == 1 and (await erp.client.get(mine[0]["url"])).content == content
        assert (await erp.gql(NODE, {"id": body["document"]["id"]}, "beto"))["data"]["node"] is None
        other = (await share(erp, "agent", "x.pdf", pdf(), "application/pdf", account="beto"))["data"]["shareDocument"]
        assert other["errors"] == []
        again = (await erp.gql(LIST, {"id": erp.account("ana")}, "ana"))["data"]["customer"]["documents"]["nodes"]
        assert other["document"]["id"] not in [d["id"] for d in again]
