"""signContract (FEATURES.md D2) through HTTP on the demo business: the evidence, the signed copy
with its PAdES signature (checked with pyHanko's validator), and every refusal."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader
from sqlalchemy import insert, select
from ventanilla.cli.commands import main as cli
from ventanilla.connectors.native.tables import contracts
from ventanilla.render.signed_contract import ORIGINAL_NAME, SIGNATURE_NAME, self_signed_pair, verify_copy
from ventanilla.schema.relay import to_global_id
from ventanilla.store.features import set_switch
from ventanilla.store.tables import contract_signatures, events

from .tickets_portal import portal

SIGN = """mutation($input: SignContractInput!) { signContract(input: $input) {
  contract { id number status signedAt pdfUrl signedPdfUrl
             signature { signer signedAt contractSha256 signatureSha256 signedPdfSha256 } }
  errors { code message field } } }"""
READ = """query($id: ID!) { node(id: $id) { ... on Contract { status signedAt pdfUrl signedPdfUrl } } }"""


def drawn(size: tuple[int, int] = (400, 150), strokes: bool = True) -> bytes:
    """A signature as a browser's canvas exports it: dark strokes on a transparent PNG."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    if strokes:
        ImageDraw.Draw(image).line([(20, 110), (90, 30), (160, 120), (250, 40), (380, 90)], fill=(10, 20, 90, 255),
                                   width=4)  # fmt: skip
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.effect_noise((200, 80), 40).convert("RGB").save(out, "JPEG")
    return out.getvalue()


@pytest.fixture(scope="module")
async def signing(tmp_path_factory):
    """The demo portal on SQLite with a signing key, and five pending contracts: four of ana's
    (account 1), one of beto's (account 2)."""
    tmp = tmp_path_factory.mktemp("signing")
    signer = self_signed_pair(tmp / "key.pem", tmp / "cert.pem", "Demo Telecom SA")
    async with portal(tmp, contracts_signing_key=signer.key_path, contracts_certificate=signer.certificate_path) as p:
        ids = {}
        async with p.store.begin() as conn:
            for name, customer in (("a1", 1), ("a2", 1), ("a3", 1), ("a4", 1), ("b1", 2)):
                done = await conn.execute(insert(contracts).values(
                    customer_id=customer, number=f"CT-TEST-{name}", title="Contrato de servicio de Internet",
                    status="PENDING_SIGNATURE", issued_at=datetime(2026, 11, 2, 12, tzinfo=UTC), body="...",
                ))  # fmt: skip
                ids[name] = to_global_id("Contract", str(done.inserted_primary_key[0]))
        p.contracts = ids
        p.signer = signer
        p.url = str(p.store.url)
        yield p


async def sign(p, contract: str, caller: str = "ana", png: bytes | None = None, consent: bool = True,
               name: str = "firma.png", kind: str = "image/png", key: str | None = None) -> dict:  # fmt: skip
    variables = {"input": {"contractId": contract, "consent": consent, "signature": None,
                           **({"idempotencyKey": key} if key else {})}}  # fmt: skip
    body = await p.upload(SIGN, variables, {"input.signature": (name, drawn() if png is None else png, kind)}, caller)
    return body["data"]["signContract"]


async def download(p, url: str) -> bytes:
    parts = urlsplit(url)
    response = await p.client.get(f"{parts.path}?{parts.query}")
    assert response.status_code == 200, response.text
    return response.content


async def test_a_customer_signs_a_contract_and_gets_a_signed_copy_anyone_can_verify(signing, tmp_path) -> None:
    p = signing
    # given the contract as its download link serves it
    before = await p.gql(READ, {"id": p.contracts["a1"]}, "ana")
    shown = await download(p, before["data"]["node"]["pdfUrl"])
    assert before["data"]["node"]["signedPdfUrl"] is None
    # when ana signs it with her drawn signature
    png = drawn()
    payload = await sign(p, p.contracts["a1"], png=png)
    # then it is signed, with the evidence of what she was shown and what she drew
    assert payload["errors"] == []
    contract = payload["contract"]
    assert contract["status"] == "SIGNED" and contract["signedAt"]
    evidence = contract["signature"]
    assert evidence["signer"] == "Ana Pérez"
    assert evidence["contractSha256"] == hashlib.sha256(shown).hexdigest()
    assert evidence["signatureSha256"] == hashlib.sha256(png).hexdigest()
    async with p.store.connect() as conn:
        row = (await conn.execute(select(contract_signatures))).first()
        event = (await conn.execute(select(events).where(events.c.type == "ContractSigned"))).first()
    assert row.ip and row.user_agent and row.user_id
    assert json.loads(event.payload)["contractSha256"] == evidence["contractSha256"]
    # and the signed copy holds the original pages, the signature image and the evidence page
    copy = await download(p, contract["signedPdfUrl"])
    assert hashlib.sha256(copy).hexdigest() == evidence["signedPdfSha256"]
    reader = PdfReader(io.BytesIO(copy))
    original = PdfReader(io.BytesIO(shown))
    assert len(reader.pages) == len(original.pages) + 1
    last = reader.pages[-1]
    text = last.extract_text()
    assert "Constancia de firma" in text and "Ana Pérez" in text
    assert evidence["contractSha256"] in text and evidence["signatureSha256"] in text
    assert len(last.images) == 1  # the drawn signature
    assert reader.attachments[ORIGINAL_NAME] == [shown] and reader.attachments[SIGNATURE_NAME] == [png]
    # and pyHanko's validator accepts its PAdES signature, made with the business's certificate
    checked = await asyncio.to_thread(verify_copy, copy, p.signer.certificate_path)  # it runs a loop of its own
    assert checked.intact and checked.valid and checked.trusted and checked.whole_file
    # but one changed byte makes it fail
    altered = bytearray(copy)
    altered[11] ^= 0x01
    assert not (await asyncio.to_thread(verify_copy, bytes(altered), p.signer.certificate_path)).intact
    # and `ventanilla contracts verify` says the same against the recorded hashes
    (tmp_path / "ok.pdf").write_bytes(copy)
    (tmp_path / "bad.pdf").write_bytes(bytes(altered))
    args = ["--db", p.url, "--certificate", p.signer.certificate_path]
    assert await asyncio.to_thread(cli, ["contracts", "verify", str(tmp_path / "ok.pdf"), *args]) == 0
    assert await asyncio.to_thread(cli, ["contracts", "verify", str(tmp_path / "bad.pdf"), *args]) == 1
    # and every later read shows it signed
    after = await p.gql(READ, {"id": p.contracts["a1"]}, "ana")
    assert after["data"]["node"]["status"] == "SIGNED" and after["data"]["node"]["signedPdfUrl"]


async def test_a_contract_is_signed_only_once(signing) -> None:
    p = signing
    first = await sign(p, p.contracts["a2"], key="firma-a2")
    assert first["errors"] == []
    again = await sign(p, p.contracts["a2"])
    assert [e["code"] for e in again["errors"]] == ["ALREADY_SIGNED"] and again["contract"] is None
    assert "ya fue firmado" in again["errors"][0]["message"]
    repeated = await sign(p, p.contracts["a2"], key="firma-a2")  # the same request again: the first answer
    assert repeated["errors"] == [] and repeated["contract"]["signature"] == first["contract"]["signature"]
    async with p.store.connect() as conn:
        rows = (await conn.execute(select(contract_signatures).where(
            contract_signatures.c.contract_id == first["contract"]["id"]))).all()  # fmt: skip
    assert len(rows) <= 1


@pytest.mark.parametrize(
    ("png", "name", "kind", "code"),
    [
        (drawn(strokes=False), "firma.png", "image/png", "BAD_INPUT"),  # blank
        (jpeg(), "firma.jpg", "image/jpeg", "INVALID_FILE"),  # not a PNG
        (b"esto no es una imagen", "firma.png", "image/png", "INVALID_FILE"),  # not an image
        (drawn()[:-40], "firma.png", "image/png", "INVALID_FILE"),  # truncated: does not decode
    ],
    ids=["blank", "jpeg", "not-an-image", "truncated"],
)
async def test_a_signature_that_is_no_drawn_png_is_refused_and_signs_nothing(signing, png, name, kind, code) -> None:
    p = signing
    payload = await sign(p, p.contracts["a3"], png=png, name=name, kind=kind)
    assert [e["code"] for e in payload["errors"]] == [code]
    assert payload["errors"][0]["field"] == ["input", "signature"]
    after = await p.gql(READ, {"id": p.contracts["a3"]}, "ana")
    assert after["data"]["node"]["status"] == "PENDING_SIGNATURE"


async def test_without_consent_nothing_is_signed(signing) -> None:
    p = signing
    payload = await sign(p, p.contracts["a3"], consent=False)
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("BAD_INPUT", ["input", "consent"])]
    assert "consent" in payload["errors"][0]["message"]
    assert (await p.gql(READ, {"id": p.contracts["a3"]}, "ana"))["data"]["node"]["status"] == "PENDING_SIGNATURE"


async def test_another_customers_contract_is_not_found(signing) -> None:
    p = signing
    payload = await sign(p, p.contracts["b1"], caller="ana")
    assert [e["code"] for e in payload["errors"]] == ["NOT_FOUND"]
    assert (await p.gql(READ, {"id": p.contracts["b1"]}, "beto"))["data"]["node"]["status"] == "PENDING_SIGNATURE"


async def test_with_the_feature_off_nothing_is_signed(signing) -> None:
    p = signing
    async with p.store.begin() as conn:
        await set_switch(conn, "CONTRACT_SIGNING", False, "test")
    try:
        payload = await sign(p, p.contracts["a3"])
    finally:
        async with p.store.begin() as conn:
            await set_switch(conn, "CONTRACT_SIGNING", True, "test")
    assert [e["code"] for e in payload["errors"]] == ["FEATURE_DISABLED"]
    assert (await p.gql(READ, {"id": p.contracts["a3"]}, "ana"))["data"]["node"]["status"] == "PENDING_SIGNATURE"


async def test_of_two_concurrent_signatures_one_wins(tmp_path) -> None:
    signer = self_signed_pair(tmp_path / "key.pem", tmp_path / "cert.pem", "Demo Telecom SA")
    async with portal(tmp_path, store_backend="postgresql", contracts_signing_key=signer.key_path,
                      contracts_certificate=signer.certificate_path) as p:  # fmt: skip
        async with p.store.begin() as conn:
            done = await conn.execute(insert(contracts).values(
                customer_id=1, number="CT-RACE", title="Contrato", status="PENDING_SIGNATURE",
                issued_at=datetime(2026, 11, 2, 12, tzinfo=UTC), body="...",
            ))  # fmt: skip
        contract = to_global_id("Contract", str(done.inserted_primary_key[0]))
        answers = await asyncio.gather(*(sign(p, contract) for _ in range(3)))
        codes = sorted(e["code"] for a in answers for e in a["errors"])
        assert codes == ["ALREADY_SIGNED", "ALREADY_SIGNED"]
        async with p.store.connect() as conn:
            assert len((await conn.execute(select(contract_signatures))).all()) == 1
            assert len((await conn.execute(select(events).where(events.c.type == "ContractSigned"))).all()) == 1


async def test_a_read_only_sources_contract_reads_signed_from_the_stores_evidence(tmp_path) -> None:
    """The overlay RoutedSource lays over a `contracts` domain whose source takes no signatures: here
    over the native tables read as if they were an ERP's (its row stays PENDING_SIGNATURE)."""
    from sqlalchemy.ext.asyncio import create_async_engine
    from ventanilla.connectors.native.source import NativeSource
    from ventanilla.connectors.records import ContractStatus, Page
    from ventanilla.connectors.signed_contracts import SignedContracts
    from ventanilla.demo.business import generate_demo
    from ventanilla.store.blobs import DirectoryBlobs

    from .conftest import fresh_database

    async with fresh_database("sqlite", tmp_path) as url:
        engine = create_async_engine(url)
        try:
            await generate_demo(engine, customers=2, seed=3, blobs=DirectoryBlobs(tmp_path / "files"))
            async with engine.begin() as conn:
                done = await conn.execute(insert(contracts).values(
                    customer_id=1, number="CT-ERP", title="Contrato", status="PENDING_SIGNATURE",
                    issued_at=datetime(2026, 11, 2, 12, tzinfo=UTC), body="...",
                ))  # fmt: skip
                erp_id = str(done.inserted_primary_key[0])
                await conn.execute(insert(contract_signatures).values(
                    contract_id=erp_id, customer_id="1", signer="Ana", actor="customer:1",
                    signed_at=datetime(2026, 12, 1, 10, tzinfo=UTC), contract_sha256="a" * 64,
                    signature_sha256="b" * 64, signed_pdf_sha256="c" * 64,
                ))  # fmt: skip
            erp = NativeSource(engine)
            overlaid = SignedContracts(erp, engine)
            (plain,), (signed,) = await erp.contracts_by_id([erp_id]), await overlaid.contracts_by_id([erp_id])
            assert plain.status is ContractStatus.PENDING_SIGNATURE
            assert signed.status is ContractStatus.SIGNED and signed.signed_at == datetime(2026, 12, 1, 10, tzinfo=UTC)
            (page,) = await overlaid.contracts_of(["1"], Page(first=50))
            assert {c.id: c.status for c in page.items}[erp_id] is ContractStatus.SIGNED
        finally:
            await engine.dispose()
