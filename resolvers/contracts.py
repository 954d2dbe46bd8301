"""signContract (FEATURES.md D1-D2): consent, a drawn signature, the evidence, the signed copy.

The order of one signature:

1. the contract through the ownership guard (another customer's answers NOT_FOUND), consent
   true (BAD_INPUT), the PNG checked and not blank (rules/signatures.py);
2. the contract PDF rendered as its download link serves it (render/pdf.py `contract_pdf`: the
   same records, the same bytes) and hashed: that is the document the customer was shown;
3. the signed copy made (render/signed_contract.py: original pages, evidence page, PAdES signature
   with `[contracts] signing_key`/`certificate`) and kept in the blob store under its SHA-256,
   before the transaction (as every upload is: resolvers/tickets.py `keep_files`);
4. `perform` (resolvers/actions.py): the evidence row (one per contract: the unique contract_id
   makes the second of two concurrent signatures ALREADY_SIGNED), the native contract SIGNED
   (connectors/signed_contracts.py; a legacy source's reads get it from the row), the
   ContractSigned event, the audit.

A refused signature leaves its signed copy as an unreferenced blob, never served.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiodataloader import DataLoader
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.concurrency import run_in_threadpool

from ..auth.ownership import authorize, authorize_account
from ..connectors.records import Company, Contract, ContractStatus, Customer
from ..connectors.routing import STORE, RoutedSource
from ..connectors.signed_contracts import mark_signed, signatures_of
from ..errors import ApiError, ErrorCode, not_found
from ..rules.signatures import check_signature
from ..rules.uploads import PDF, Upload, UploadLimits
from ..settings import Feature
from ..store.contracts import SignatureRow, record_signature
from ..store.events import DomainEvent
from .access import caller
from .actions import Action, Done, perform
from .context import Context

if TYPE_CHECKING:  # render/ is imported when a contract is signed (web/downloads.py says why)
    from ..render.signed_contract import Signer

MAX_USER_AGENT = 400


@dataclass(frozen=True, slots=True)
class Signature:
    """The evidence of a contract's signature, as the API shows it."""

    contract_id: str
    signer: str
    signed_at: datetime
    contract_sha256: str
    signature_sha256: str
    signed_pdf_sha256: str


def signer_of(ctx: Context) -> Signer:
    """The configured key and certificate; without both, signing is not available (FEATURE_DISABLED)."""
    settings = ctx.settings
    if not settings.contracts_signing_key or not settings.contracts_certificate:
        raise ApiError(ErrorCode.FEATURE_DISABLED, field=["input"],
                       feature=f"{Feature.CONTRACT_SIGNING.value} ([contracts] signing_key, certificate)")  # fmt: skip
    from ..render.signed_contract import Signer

    return Signer(settings.contracts_signing_key, settings.contracts_certificate)


async def contract(ctx: Context, contract_id: str) -> Contract:
    """The contract, if the caller may see it: another customer's answers NOT_FOUND like a missing one."""
    found = await ctx.loaders.contract_by_id.load(contract_id)
    if found is None:
        raise not_found("Contract")
    return authorize(ctx.principal, found, "Contract")


async def sign_contract(
    ctx: Context, contract_id: str, consent: bool, signature: Upload, idempotency_key: str | None
) -> Contract:
    """D2: sign the caller's contract (see the module's text); the contract as read afterwards."""
    found = await _whole_contract(ctx, contract_id)
    if consent is not True:
        raise ApiError(
            ErrorCode.BAD_INPUT, field=["input", "consent"],
            detail="para firmar tenés que aceptar los términos del contrato (consent: true)",
            detail_en="to sign you must accept the contract's terms (consent: true)",
        )  # fmt: skip
    png = await run_in_threadpool(check_signature, signature, UploadLimits.of(ctx.settings))
    if idempotency_key is None:  # a repeated key answers the first signature (perform), not a refusal
        _signable(found)
    signer = signer_of(ctx)
    customer, company = await _parties(ctx, found)
    from ..render.pdf import contract_pdf
    from ..render.signed_contract import Evidence, sha256, signed_copy

    shown = await run_in_threadpool(contract_pdf, found, customer, company)  # what pdfUrl serves
    moment = datetime.now(UTC).replace(microsecond=0)
    principal = ctx.principal
    user_agent = ctx.request.headers.get("user-agent") if ctx.request is not None else None
    evidence = Evidence(
        contract_id=found.id, contract_number=found.number, contract_title=found.title,
        customer_id=customer.id, customer_code=customer.code, customer_name=customer.name,
        signer=principal.name or customer.name, user_id=principal.user_id, signed_at=moment.isoformat(),
        ip=caller(ctx).ip, user_agent=(user_agent or "")[:MAX_USER_AGENT] or None,
        contract_sha256=sha256(shown), signature_sha256=sha256(png), business=company.name if company else "",
    )  # fmt: skip
    copy = await run_in_threadpool(signed_copy, shown, evidence, png, signer)
    copy_key = await ctx.services.blobs.put(copy, PDF)
    native = _native_contracts(ctx)

    async def work(conn: AsyncConnection) -> Done:
        if native and not await mark_signed(conn, found.id, moment):
            raise already_signed() if found.status is not ContractStatus.VOID else _void()
        if not await record_signature(conn, SignatureRow(
            contract_id=found.id, customer_id=found.customer_id, user_id=principal.user_id,
            signer=evidence.signer, actor=principal.actor, signed_at=moment, ip=evidence.ip,
            user_agent=evidence.user_agent, contract_sha256=evidence.contract_sha256,
            signature_sha256=evidence.signature_sha256, signed_pdf_sha256=copy_key,
        )):  # fmt: skip
            raise already_signed()
        event = DomainEvent("ContractSigned", found.customer_id, {
            "contractId": found.id, "number": found.number, "signedAt": moment.isoformat(),
            "signer": evidence.signer, "contractSha256": evidence.contract_sha256,
            "signatureSha256": evidence.signature_sha256, "signedPdfSha256": copy_key,
        })  # fmt: skip
        return Done({"id": found.id}, [event], found.id)

    request = {"contractId": found.id, "consent": True, "signature": evidence.signature_sha256}
    action = Action("signContract", found.customer_id, request, idempotency_key, Feature.CONTRACT_SIGNING)
    answer = await perform(ctx, action, work)
    ctx.loaders.contract_by_id.clear(answer["id"])
    return await contract(ctx, answer["id"])


async def _whole_contract(ctx: Context, contract_id: str) -> Contract:
    """The contract with every attribute (the request's loaders read only what its query selects,
    and the PDF needs them all, as the download link reads them); NOT_FOUND for another's."""
    (found,) = await ctx.loaders.source.contracts_by_id([contract_id])
    if found is None:
        raise not_found("Contract")
    return authorize(ctx.principal, found, "Contract")


async def _parties(ctx: Context, found: Contract) -> tuple[Customer, Company | None]:
    """The contract's customer and company, whole, as the contract PDF prints them."""
    authorize_account(ctx.principal, found.customer_id)
    (customer,) = await ctx.loaders.source.customers_by_id([found.customer_id])
    if customer is None:
        raise not_found("Customer")
    company = None
    if customer.company_id is not None:
        (company,) = await ctx.loaders.source.companies_by_id([customer.company_id])
    return customer, company


def already_signed() -> ApiError:
    return ApiError(ErrorCode.ALREADY_SIGNED, field=["input", "contractId"])


def _void() -> ApiError:
    return ApiError(ErrorCode.BAD_INPUT, field=["input", "contractId"], detail="el contrato está anulado",
                    detail_en="the contract is void")  # fmt: skip


def _signable(found: Contract) -> None:
    if found.status is ContractStatus.SIGNED:
        raise already_signed()
    if found.status is ContractStatus.VOID:
        raise _void()


def _native_contracts(ctx: Context) -> bool:
    """Whether contracts are the store's native ones (else the signature row is their overlay)."""
    source = ctx.services.source
    return not isinstance(source, RoutedSource) or source.routes["contracts"] == STORE


# --- reading the evidence (Contract.signature, signedPdfUrl, the signed copy's download) -------

_LOADERS: weakref.WeakKeyDictionary[Any, DataLoader] = weakref.WeakKeyDictionary()


def _signature_loader(ctx: Context) -> DataLoader:
    """One batching loader per request (keyed by its Loaders object, gone with it)."""
    loader = _LOADERS.get(ctx.loaders)
    if loader is None:
        store = ctx.services.store

        async def batch(ids: Sequence[str]) -> list[Signature | None]:
            rows = await store.read(lambda conn: signatures_of(conn, list(ids)))
            return [_signature(rows[i]) if i in rows else None for i in ids]

        loader = _LOADERS[ctx.loaders] = DataLoader(batch_load_fn=batch, max_batch_size=500)
    return loader


def _signature(row: Any) -> Signature:
    signed_at = row.signed_at if row.signed_at.tzinfo else row.signed_at.replace(tzinfo=UTC)
    return Signature(row.contract_id, row.signer, signed_at, row.contract_sha256, row.signature_sha256,
                     row.signed_pdf_sha256)  # fmt: skip


async def signature_of(ctx: Context, found: Contract) -> Signature | None:
    """The evidence of a contract's signature made in the portal; None when it has none."""
    authorize(ctx.principal, found)
    return await _signature_loader(ctx).load(found.id)


async def signed_copy_content(ctx: Context, found: Contract) -> bytes:
    """The signed copy's bytes (the download of Contract.signedPdfUrl); NOT_FOUND when unsigned."""
    evidence = await signature_of(ctx, found)
    content = None if evidence is None else await ctx.services.blobs.get(evidence.signed_pdf_sha256)
    if content is None:
        raise not_found("Contract")
    return content
