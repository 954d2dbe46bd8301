"""signContract and updateBillingInfo (FEATURES.md D2, B13) through HTTP over the legacy sources:
customers, invoices and contracts read from a SAP ECC replica (PostgreSQL) and from an
ISPCube-style system (MariaDB). The signature's evidence and the billing data changes are kept in
the store (neither mapping declares a write for them); the contract reads SIGNED at once from the
store's evidence, the ERP's own row is left as it was, and the ERP learns of both from the events."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json

import pytest
from pypdf import PdfReader
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from ventanilla.render.signed_contract import self_signed_pair, verify_copy
from ventanilla.schema.relay import to_global_id
from ventanilla.store.features import set_switch
from ventanilla.store.tables import billing_changes, contract_signatures, events, portal_comments

from .test_billing_info import DECIDE, SEEN, TAX_IDS, checked_tax_ids, update
from .test_contract_signing import READ, download, drawn, jpeg, sign
from .tickets_portal import portal

ROUTED = ("customers", "invoices", "contracts")
CONNECTORS = ("sap", "ispcube")


# How each ERP keeps a contract: its tables (each keyed by the first column named), the customer's
# column, and what makes one pending (unsigned); the ERP's own status of a contract.
ERP_CONTRACTS = {
    "sap": {"tables": {"VBAK": ("VBELN", "KUNNR"), "VEDA": ("VBELN", None)},
            "where": '"VBTYP" = \'G\'', "pending": {"VEDA": {"VKUEGRU": "", "VUNTDAT": "00000000"}},
            "status": 'SELECT "VUNTDAT" FROM "VEDA" WHERE "VBELN" = :key'},
    "ispcube": {"tables": {"contracts": ("id", "customer_id")}, "where": "1 = 1",
                "pending": {"contracts": {"state": "pending", "signed_at": None}},
                "status": "SELECT state FROM contracts WHERE id = :key"},
}  # fmt: skip
NEW_CONTRACTS = 49_000_000  # above the demo's numbers of either ERP


def _erp_key(connector: str, number: int) -> object:
    return str(number).zfill(10) if connector == "sap" else number


async def pending_contract(
    legacy: AsyncEngine, connector: str, customer: int, made: list
) -> tuple[str, object]:
    """A new pending contract of the ERP customer, written in the ERP's own tables as a copy of one of
    its demo contracts: its global id and the ERP's key."""
    erp = ERP_CONTRACTS[connector]
    (first, (key_column, _)), *_ = erp["tables"].items()
    made.append(NEW_CONTRACTS + len(made) + 1)
    key = _erp_key(connector, made[-1])
    async with legacy.begin() as conn:
        quote = conn.dialect.identifier_preparer.quote
        model = (await conn.execute(text(
            f"SELECT MIN({quote(key_column)}) FROM {quote(first)} WHERE {erp['where']}"))).scalar()  # fmt: skip
        for table, (column, customer_column) in erp["tables"].items():
            rows = await conn.execute(
                text(f"SELECT * FROM {quote(table)} WHERE {quote(column)} = :k"), {"k": model}
            )
            for row in rows.mappings().all():
                values = {**row, column: key, **erp["pending"].get(table, {})}
                if customer_column is not None:
                    values[customer_column] = _erp_key(connector, customer)
                names = list(values)
                await conn.execute(text(f"INSERT INTO {quote(table)} ({', '.join(quote(n) for n in names)}) "
                                        f"VALUES ({', '.join(f':v{i}' for i in range(len(names)))})"),
                                   {f"v{i}": values[n] for i, n in enumerate(names)})  # fmt: skip
    return to_global_id("Contract", str(made[-1])), key


async def erp_status(legacy: AsyncEngine, connector: str, key: object) -> object:
    async with legacy.connect() as conn:
        return (await conn.execute(text(ERP_CONTRACTS[connector]["status"]), {"key": key})).scalar()


@pytest.fixture(scope="module", params=CONNECTORS)
async def legacy(request, tmp_path_factory):
    """The demo business on a legacy ERP (customers, invoices, contracts routed to it), with a signing
    key: its store on PostgreSQL, so concurrent signatures race for real."""
    connector = request.param
    tmp = tmp_path_factory.mktemp(f"actions-{connector}")
    signer = self_signed_pair(tmp / "key.pem", tmp / "cert.pem", "Demo Telecom SA")
    async with portal(tmp, connector, store_backend="postgresql", routed=ROUTED, contracts_signing_key=signer.key_path,
                      contracts_certificate=signer.certificate_path) as p:  # fmt: skip
        p.signer = signer
        p.taken = []  # the numbers of the ERP contracts the tests made
        yield p


async def fresh(p, customer: int = 1) -> tuple[str, object]:
    return await pending_contract(p.legacy, p.connector, customer, p.taken)


# --- signContract ------------------------------------------------------------------------------


async def test_a_customer_signs_an_erp_contract_and_it_reads_signed_at_once(legacy) -> None:
    p = legacy
    contract, key = await fresh(p)
    before = (await p.gql(READ, {"id": contract}, "ana"))["data"]["node"]
    assert before["status"] == "PENDING_SIGNATURE" and before["signedPdfUrl"] is None
    shown = await download(p, before["pdfUrl"])
    erp_before = await erp_status(p.legacy, p.connector, key)
    png = drawn()
    payload = await sign(p, contract, png=png)
    assert payload["errors"] == [], payload
    signed = payload["contract"]
    assert signed["status"] == "SIGNED" and signed["signedAt"]
    evidence = signed["signature"]
    assert evidence["contractSha256"] == hashlib.sha256(shown).hexdigest()
    assert evidence["signatureSha256"] == hashlib.sha256(png).hexdigest()
    # every later read shows it signed: by node and in the customer's list
    assert (await p.gql(READ, {"id": contract}, "ana"))["data"]["node"]["status"] == "SIGNED"
    listed = await p.gql("""query($id: ID!) { customer(id: $id) { contracts(first: 50) { nodes { id status } } } }""",
                         {"id": p.account("ana")}, "ana")  # fmt: skip
    assert {n["id"]: n["status"] for n in listed["data"]["customer"]["contracts"]["nodes"]}[
        contract
    ] == "SIGNED"
    # the evidence is the store's, by the canonical ids; the ERP's row is untouched, the event tells it
    async with p.store.connect() as conn:
        (row,) = (await conn.execute(select(contract_signatures).where(
            contract_signatures.c.contract_id == _raw(signed["id"])))).all()  # fmt: skip
        told = [json.loads(e.payload) for e in await conn.execute(select(events.c.payload).where(
            events.c.type == "ContractSigned"))]  # fmt: skip
    assert row.customer_id == "1" and row.contract_sha256 == evidence["contractSha256"]
    assert await erp_status(p.legacy, p.connector, key) == erp_before
    assert evidence["contractSha256"] in [t["contractSha256"] for t in told]
    # the signed copy carries the evidence page and a PAdES signature that one changed byte breaks
    copy = await download(p, signed["signedPdfUrl"])
    assert "Constancia de firma" in PdfReader(io.BytesIO(copy)).pages[-1].extract_text()
    assert (await asyncio.to_thread(verify_copy, copy, p.signer.certificate_path)).valid
    altered = bytearray(copy)
    altered[11] ^= 0x01
    assert not (await asyncio.to_thread(verify_copy, bytes(altered), p.signer.certificate_path)).intact


async def test_a_second_signature_is_already_signed_also_when_they_race(legacy) -> None:
    p = legacy
    contract, _ = await fresh(p)
    answers = await asyncio.gather(*(sign(p, contract) for _ in range(3)))
    assert sorted(e["code"] for a in answers for e in a["errors"]) == ["ALREADY_SIGNED", "ALREADY_SIGNED"]
    later = await sign(p, contract)
    assert [e["code"] for e in later["errors"]] == ["ALREADY_SIGNED"] and later["contract"] is None
    async with p.store.connect() as conn:
        rows = (await conn.execute(select(contract_signatures.c.id).where(
            contract_signatures.c.contract_id == _raw(contract)))).all()  # fmt: skip
    assert len(rows) == 1


@pytest.mark.parametrize(
    ("png", "name", "kind", "code"),
    [(drawn(strokes=False), "firma.png", "image/png", "BAD_INPUT"), (jpeg(), "firma.jpg", "image/jpeg", "INVALID_FILE"),
     (b"no soy una imagen", "firma.png", "image/png", "INVALID_FILE")],
    ids=["blank", "jpeg", "not-an-image"],
)  # fmt: skip
async def test_a_blank_or_non_image_signature_signs_nothing(legacy, png, name, kind, code) -> None:
    p = legacy
    contract, _ = await fresh(p)
    payload = await sign(p, contract, png=png, name=name, kind=kind)
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, ["input", "signature"])]
    assert (await p.gql(READ, {"id": contract}, "ana"))["data"]["node"]["status"] == "PENDING_SIGNATURE"


async def test_another_customers_erp_contract_is_not_found_and_the_switch_is_kept(legacy) -> None:
    p = legacy
    theirs, _ = await fresh(p, customer=2)
    refused = await sign(p, theirs, caller="ana")
    assert [e["code"] for e in refused["errors"]] == ["NOT_FOUND"]
    assert (await p.gql(READ, {"id": theirs}, "beto"))["data"]["node"]["status"] == "PENDING_SIGNATURE"
    mine, _ = await fresh(p)
    async with p.store.begin() as conn:
        await set_switch(conn, "CONTRACT_SIGNING", False, "test")
    try:
        off = await sign(p, mine)
    finally:
        async with p.store.begin() as conn:
            await set_switch(conn, "CONTRACT_SIGNING", True, "test")
    assert [e["code"] for e in off["errors"]] == ["FEATURE_DISABLED"]
    async with p.store.connect() as conn:
        kept = (await conn.execute(select(contract_signatures.c.contract_id))).scalars().all()
    assert not {raw for raw in kept} & {_raw(theirs), _raw(mine)}


def _raw(global_id: str) -> str:
    from ventanilla.schema.relay import from_global_id

    return from_global_id(global_id)[1]


# --- updateBillingInfo ---------------------------------------------------------------------------


@TAX_IDS
async def test_an_erp_customers_tax_id_is_checked_with_its_countrys_check_digits(legacy, country, valid, kind, compact,
                                                                                 wrong) -> None:  # fmt: skip
    refused, accepted = await checked_tax_ids(legacy, country, valid, wrong)
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("BAD_INPUT", ["input", "taxId"])]
    assert accepted["errors"] == []
    assert (accepted["change"]["taxIdKind"], accepted["change"]["taxId"]) == (kind, compact)


async def test_an_erp_customers_change_applies_at_once_or_waits_for_review(legacy) -> None:
    p = legacy
    settings = p.app.state.services.settings
    # without review: applied at once, the ERP told by the event, its customer row left as it was
    async with p.legacy.connect() as conn:
        name_sql = ('SELECT "NAME1" FROM "KNA1" WHERE "KUNNR" = \'0000000001\'' if p.connector == "sap"
                    else "SELECT name FROM customers WHERE id = 1")  # fmt: skip
        erp_name = (await conn.execute(text(name_sql))).scalar()
    now = await update(p, name="Ana Pérez SRL", taxId="20-26756539-3", address="Mitre 123, Rosario")
    assert now["errors"] == [] and now["change"]["state"] == "APPLIED"
    async with p.store.connect() as conn:
        told = [json.loads(e.payload) for e in await conn.execute(select(events.c.payload).where(
            events.c.type == "BillingInfoChangeRequested"))]  # fmt: skip
        owner = (await conn.execute(select(billing_changes.c.customer_id).where(
            billing_changes.c.id == int(now["change"]["id"])))).scalar()  # fmt: skip
    assert told[-1]["changeId"] == now["change"]["id"] and told[-1]["name"] == "Ana Pérez SRL"
    assert owner == "1"  # the canonical id of the ERP's customer
    async with p.legacy.connect() as conn:
        assert (await conn.execute(text(name_sql))).scalar() == erp_name
    # with review: pending, then rejected with a reason or applied by staff; the customer sees each
    settings.billing_data_review = True
    try:
        first = (await update(p, name="Ana Pérez SA"))["change"]
        second = (await update(p, taxCondition="Monotributo"))["change"]
    finally:
        settings.billing_data_review = False
    assert first["state"] == second["state"] == "PENDING_REVIEW"
    reason = "Falta la constancia de inscripción"
    rejected = await p.gql(
        DECIDE, {"input": {"changeId": first["id"], "approve": False, "reason": reason}}, "agent"
    )
    applied = await p.gql(DECIDE, {"input": {"changeId": second["id"], "approve": True}}, "agent")
    assert rejected["data"]["decideBillingInfoChange"]["change"]["state"] == "REJECTED"
    assert applied["data"]["decideBillingInfoChange"]["change"]["state"] == "APPLIED"
    seen = (await p.gql(SEEN, {"id": p.account("ana")}, "ana"))["data"]["customer"]["billingInfoChanges"]
    assert [(c["id"], c["state"], c["reason"]) for c in seen[:3]] == [
        (second["id"], "APPLIED", None), (first["id"], "REJECTED", reason), (now["change"]["id"], "APPLIED", None)]  # fmt: skip


async def test_an_erp_customers_placeholder_tax_id_and_another_customers_data_are_refused(legacy) -> None:
    p = legacy
    assert [e["code"] for e in (await update(p, taxId="99999999"))["errors"]] == ["PLACEHOLDER_TAX_ID"]
    refused = await update(p, caller="beto", customerId=p.account("ana"), name="Intruso")
    assert [e["code"] for e in refused["errors"]] == ["NOT_FOUND"]
    async with p.store.connect() as conn:
        assert "Intruso" not in (await conn.execute(select(billing_changes.c.name))).scalars().all()


# --- addComment on the ERP's invoices and contracts ------------------------------------------------
# (ISPCube keeps no quotes, orders or delivery notes: its mapping has none; quotes are tested on SAP
# in tests/test_quotes.py and tests/test_quote_decisions_legacy.py.)

COMMENT = """mutation($input: AddCommentInput!) { addComment(input: $input) {
  comment { id author fromCustomer body createdAt } errors { code message field } } }"""
FIRST = """query($id: ID!) { customer(id: $id) { invoices(first: 1) { nodes { id } } contracts(first: 1) { nodes { id } } } }"""
COMMENTS = """query($id: ID!) { node(id: $id) { ... on Invoice { comments { id author fromCustomer body createdAt } }
  ... on Contract { comments { id author fromCustomer body createdAt } } } }"""


async def test_comments_on_an_erp_invoice_and_contract_are_kept_beside_it_and_read_oldest_first(
    legacy,
) -> None:
    p = legacy
    firsts = (await p.gql(FIRST, {"id": p.account("ana")}, "ana"))["data"]["customer"]
    for subject in (firsts["invoices"]["nodes"][0]["id"], firsts["contracts"]["nodes"][0]["id"]):
        asked = await p.gql(COMMENT, {"input": {"subjectId": subject, "body": "¿Me lo explican?"}}, "ana")
        assert asked["data"]["addComment"]["errors"] == [], asked
        answered = await p.gql(COMMENT, {"input": {"subjectId": subject, "body": "Claro que sí."}}, "agent")
        assert answered["data"]["addComment"]["comment"]["fromCustomer"] is False
        thread = (await p.gql(COMMENTS, {"id": subject}, "ana"))["data"]["node"]["comments"]
        assert [(c["body"], c["fromCustomer"], c["author"]) for c in thread[-2:]] == [
            ("¿Me lo explican?", True, "Ana Pérez"), ("Claro que sí.", False, answered["data"]["addComment"]["comment"]["author"])]  # fmt: skip
        assert thread[-2]["createdAt"] <= thread[-1]["createdAt"]
        # kept in the store by the canonical ids of the ERP's document and customer, each an event
        async with p.store.connect() as conn:
            kept = (await conn.execute(select(portal_comments.c.customer_id, portal_comments.c.body).where(
                portal_comments.c.subject_id == _raw(subject)))).all()  # fmt: skip
            told = (
                (await conn.execute(select(events.c.payload).where(events.c.type == "CommentAdded")))
                .scalars()
                .all()
            )
        assert sorted(kept) == [("1", "Claro que sí."), ("1", "¿Me lo explican?")]
        assert sum(json.loads(t)["subjectId"] == _raw(subject) for t in told) == 2
        # another customer may neither comment nor read it
        theirs = await p.gql(COMMENT, {"input": {"subjectId": subject, "body": "Hola"}}, "beto")
        assert [e["code"] for e in theirs["data"]["addComment"]["errors"]] == ["NOT_FOUND"]
        assert (await p.gql(COMMENTS, {"id": subject}, "beto"))["data"]["node"] is None


async def test_with_comments_switched_off_nothing_is_kept_beside_the_erp(legacy) -> None:
    p = legacy
    invoice = (await p.gql(FIRST, {"id": p.account("ana")}, "ana"))["data"]["customer"]["invoices"]["nodes"][
        0
    ]["id"]
    async with p.store.begin() as conn:
        await set_switch(conn, "COMMENTS", False, "test")
    try:
        off = await p.gql(COMMENT, {"input": {"subjectId": invoice, "body": "Apagado"}}, "ana")
    finally:
        async with p.store.begin() as conn:
            await set_switch(conn, "COMMENTS", True, "test")
    assert [e["code"] for e in off["data"]["addComment"]["errors"]] == ["FEATURE_DISABLED"]
    async with p.store.connect() as conn:
        assert "Apagado" not in (await conn.execute(select(portal_comments.c.body))).scalars().all()
