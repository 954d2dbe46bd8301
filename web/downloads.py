"""Signed file downloads: GET /files/{kind}/{id}.{fmt} renders invoice, contract, delivery note and statement
files; GET /files/attachment/{name} serves a ticket message's attachment as it was kept, and
GET /files/document/{id} a document staff shared with the customer (resolvers/documents.py);
GET /files/invoices/{customer}.zip?ids=.. streams a ZIP of the invoices the customer chose (B5,
resolvers/invoice_zip.py): the whole choice is checked before the first byte, then each PDF is
drawn when the archive reaches it (web/archive.py).

A download is one more client of what the GraphQL resolvers use: the link's user gets the
same per-request context (loaders over the same source), each document comes through the
resolvers (the ownership guard, the feature switches, the statement), and a refusal has the
body of every other refusal (web/errors.py).

The renderers (render/: fpdf2, openpyxl, segno) are imported where a document is drawn, on the
first download: they take some 45 MB that a worker which draws no document does not hold.
"""

from __future__ import annotations

import asyncio
import logging
import re
import unicodedata
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from ..auth.links import LINK_PARAMS
from ..auth.ownership import authorize_account
from ..auth.sessions import principal_from_link
from ..connectors.records import Company, Contract, Customer, DeliveryNote, Invoice, InvoiceKind, InvoiceLine
from ..errors import ApiError, ErrorCode, language_of, not_found
from ..resolvers import billing, commerce, commitments, customers, invoice_zip, links, nodes, support
from ..resolvers import contracts as signing
from ..resolvers import documents as shared
from ..resolvers.context import Context, Services, request_context
from ..rules.features import require_feature
from ..settings import Feature
from .archive import ZIP, Member, zip_stream
from .errors import api_error, refusal

log = logging.getLogger(__name__)

PDF = "application/pdf"
OCTETS = "application/octet-stream"
# A media type as `type/subtype` and nothing else: an ERP's record cannot smuggle header text in.
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9][\w.+-]*/[A-Za-z0-9][\w.+-]*")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

STATUS: dict[ErrorCode, int] = {
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.BAD_INPUT: 400,
    ErrorCode.SOURCE_UNAVAILABLE: 503,
    ErrorCode.STORE_UNAVAILABLE: 503,
    ErrorCode.INTERNAL_ERROR: 500,
}  # every other refusal (bad link, disabled user or feature) is a 403

INVOICE_FILE_NAMES: dict[InvoiceKind, str] = {
    InvoiceKind.INVOICE: "factura",
    InvoiceKind.CREDIT_NOTE: "nota-de-credito",
    InvoiceKind.DEBIT_NOTE: "nota-de-debito",
}


# Invoices whose lines are asked for in one source query while a ZIP streams.
ZIP_BATCH = 25


@dataclass(frozen=True, slots=True)
class File:
    content: bytes | AsyncIterable[bytes]  # a stream (the invoice ZIP) is sent as it is made
    filename: str
    media_type: str


@dataclass(frozen=True, slots=True)
class DownloadRequest:
    """One download, once its link has been checked: the link user's context and what the path names."""

    ctx: Context
    raw_id: str
    fmt: str
    params: dict[str, str]  # the path's own parameters (cutOff, company), without the link's


@dataclass(frozen=True, slots=True)
class FileKind:
    """What a `/files/{kind}/...` path serves: the feature it needs, its formats, how it is made.
    Without formats the whole last segment is the id (an attachment's own type is its record's)."""

    feature: Feature
    formats: tuple[str, ...] | None
    build: Callable[[DownloadRequest], Awaitable[File]]


def download_routes(services: Services) -> list[Route]:
    async def download(request: Request) -> Response:
        """Check the link, its user, the feature and ownership, then render; refusals are JSON errors."""
        try:
            file = await _serve(services, request)
        except Exception as failure:  # every failure is answered; unknown ones masked and logged
            error = api_error(failure)
            language = language_of(request.headers.get("accept-language"))
            return refusal(error, language, STATUS.get(error.code, 403))
        # no-store, nosniff and the rest: web/headers.py, on every answer
        headers = {
            "Content-Disposition": f'attachment; filename="{file.filename}"',
            "Cache-Control": "private, no-store",  # a customer's bills must not stay in shared caches
        }
        if isinstance(file.content, bytes):
            return Response(file.content, media_type=file.media_type, headers=headers)
        return StreamingResponse(file.content, media_type=file.media_type, headers=headers)

    return [Route("/files/{kind}/{name}", download, methods=["GET"])]


async def _serve(services: Services, request: Request) -> File:
    kind_name, name = request.path_params["kind"], request.path_params["name"]
    kind = FILE_KINDS.get(kind_name)
    raw_id, _, fmt = name.rpartition(".") if kind is None or kind.formats else (name, "", "")
    if kind is None or (kind.formats and fmt not in kind.formats) or not raw_id:
        raise not_found("object")
    # The path as resolvers/links.py signed it, whatever prefix a proxy mounted the app under.
    path = f"/files/{kind_name}/{name}"
    principal = await principal_from_link(services.store, services.secret, path, request.url.query)
    ctx = request_context(services, principal, request)
    await require_feature(ctx, kind.feature)
    params = {k: v for k, v in request.query_params.items() if k not in LINK_PARAMS}
    return await kind.build(DownloadRequest(ctx, raw_id, fmt, params))


async def _render(function: Callable[..., bytes], *args: Any) -> bytes:
    # Laying out a long statement takes a while: keep it off the event loop.
    return await run_in_threadpool(function, *args)


async def _invoice_file(asked: DownloadRequest) -> File:
    ctx = asked.ctx
    invoice: Invoice = await nodes.fetch(ctx, "Invoice", asked.raw_id)
    lines, customer, company = await asyncio.gather(
        billing.invoice_lines(ctx, invoice),
        customers.customer_of(ctx, invoice),
        customers.company(ctx, invoice, invoice.company_id),
    )
    from ..render.pdf import invoice_pdf

    content = await _render(invoice_pdf, invoice, lines, customer, company, ctx.today)
    return File(content, f"{INVOICE_FILE_NAMES[invoice.kind]}-{_slug(invoice.number)}.pdf", PDF)


async def _invoices_zip_file(asked: DownloadRequest) -> File:
    """The ZIP of the invoices the link names: every one checked (the customer's, visible to the
    caller) before the answer starts; then streamed, one PDF drawn at a time."""
    ctx = asked.ctx
    limit = ctx.settings.max_zip_invoices
    ids = links.unpack_ids(asked.params.get("ids", ""), limit)
    if ids is None:
        raise ApiError(ErrorCode.BAD_INPUT, field=["ids"], detail="ids")
    customer = await customers.customer(ctx, asked.raw_id)
    chosen = await invoice_zip.chosen_invoices(ctx, customer, ids)
    filename = f"facturas-{_slug(customer.code)}-{ctx.today.isoformat()}.zip"
    return File(_logged(zip_stream(_invoice_members(ctx, customer, chosen))), filename, ZIP)


async def _invoice_members(
    ctx: Context, customer: Customer, chosen: Sequence[Invoice]
) -> AsyncIterator[Member]:
    """One member per invoice, named as its own download is; lines asked for a batch at a time."""
    names: set[str] = set()
    for start in range(0, len(chosen), ZIP_BATCH):
        batch = chosen[start : start + ZIP_BATCH]
        all_lines = await asyncio.gather(*(billing.invoice_lines(ctx, i) for i in batch))
        for invoice, lines in zip(batch, all_lines, strict=True):
            company = await customers.company(ctx, invoice, invoice.company_id)
            name = f"{INVOICE_FILE_NAMES[invoice.kind]}-{_slug(invoice.number)}"
            if name in names:  # one number in two companies of the group: told apart by the id
                name = f"{name}-{_slug(invoice.id)}"
            names.add(name)
            draw = _drawing(invoice, lines, customer, company, ctx.today)
            yield Member(f"{name}.pdf", datetime.combine(invoice.issue_date, time(12)), draw)


def _drawing(
    invoice: Invoice, lines: Sequence[InvoiceLine], customer: Customer, company: Company | None, today: date
) -> Callable[[], Awaitable[bytes]]:
    """The PDF of one invoice, drawn off the event loop when the archive asks for it."""
    from ..render.pdf import invoice_pdf

    return lambda: _render(invoice_pdf, invoice, lines, customer, company, today)


async def _logged(stream: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """Once the answer has started a failure can only cut it short: the log says why."""
    try:
        async for chunk in stream:
            yield chunk
    except Exception:
        log.exception("invoice ZIP cut short")
        raise


async def _contract_file(asked: DownloadRequest) -> File:
    ctx = asked.ctx
    contract: Contract = await nodes.fetch(ctx, "Contract", asked.raw_id)
    customer = await customers.customer(ctx, contract.customer_id)
    company = await customers.company(ctx, customer, customer.company_id)
    from ..render.pdf import contract_pdf

    content = await _render(contract_pdf, contract, customer, company)
    return File(content, f"contrato-{_slug(contract.number)}.pdf", PDF)


async def _signed_contract_file(asked: DownloadRequest) -> File:
    """The signed copy of a contract, as it was kept when signed (resolvers/contracts.py)."""
    contract: Contract = await nodes.fetch(asked.ctx, "Contract", asked.raw_id)
    content = await signing.signed_copy_content(asked.ctx, contract)
    return File(content, f"contrato-{_slug(contract.number)}-firmado.pdf", PDF)


async def _delivery_note_file(asked: DownloadRequest) -> File:
    ctx = asked.ctx
    note: DeliveryNote = await nodes.fetch(ctx, "DeliveryNote", asked.raw_id)
    lines, customer = await asyncio.gather(
        commerce.lines(ctx, "DELIVERY_NOTE", note), customers.customer(ctx, note.customer_id)
    )
    company = await customers.company(ctx, customer, customer.company_id)
    from ..render.pdf import delivery_note_pdf

    content = await _render(delivery_note_pdf, note, lines, customer, company)
    return File(content, f"remito-{_slug(note.number)}.pdf", PDF)


async def _statement_file(asked: DownloadRequest) -> File:
    ctx = asked.ctx
    authorize_account(ctx.principal, asked.raw_id)  # another's account answers NOT_FOUND, whatever the cut-off
    cut_off = _cut_off(asked)
    customer = await customers.customer(ctx, asked.raw_id)
    company_id = asked.params.get("company") or None
    company = await customers.company(ctx, customer, company_id)
    if company_id and company is None:
        raise not_found("Company")
    figures = await billing.customer_statement(ctx, customer, cut_off, company_id)
    # The commitments active at the cut-off are listed (the due dates stay), asked on the business's day.
    zone = ctx.services.zone
    promised = [replace(c, requested_at=c.requested_at.astimezone(zone))
                for c in await commitments.statement_commitments(ctx, customer, figures.cut_off)]  # fmt: skip
    from ..render.pdf import statement_pdf
    from ..render.xlsx import statement_xlsx

    render = statement_pdf if asked.fmt == "pdf" else statement_xlsx
    content = await _render(render, figures, customer, company, promised)
    filename = f"estado-de-cuenta-{_slug(customer.code)}-{cut_off.isoformat()}.{asked.fmt}"
    return File(content, filename, PDF if asked.fmt == "pdf" else XLSX)


async def _attachment_file(asked: DownloadRequest) -> File:
    """A ticket message's attachment: the ticket through the guard, the message as the caller is
    shown it (an internal note's files reach staff only), the bytes where its source keeps them."""
    ids = links.attachment_ids(asked.raw_id)
    if ids is None:
        raise not_found("Attachment")
    ctx = asked.ctx
    ticket = await nodes.fetch(ctx, "Ticket", ids[0])
    attachment = await support.attachment(ctx, ticket, ids[1])
    content = await support.attachment_content(ctx, attachment)
    media_type = attachment.content_type if _MEDIA_TYPE.fullmatch(attachment.content_type) else OCTETS
    return File(content, _slug(attachment.filename), media_type)


async def _document_file(asked: DownloadRequest) -> File:
    """A document staff shared with the customer (D8): through the guard, its bytes from the blob store."""
    ctx = asked.ctx
    document = await nodes.fetch(ctx, "Document", asked.raw_id)
    content = await shared.document_content(ctx, document)
    if content is None:
        raise not_found("Document")
    media_type = document.content_type if _MEDIA_TYPE.fullmatch(document.content_type) else OCTETS
    return File(content, _slug(document.filename), media_type)


def _cut_off(asked: DownloadRequest) -> date:
    text = asked.params.get("cutOff")
    if not text:
        return asked.ctx.today
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ApiError(ErrorCode.BAD_INPUT, field=["cutOff"], detail="cutOff (2026-06-30)") from None


def _slug(text: str) -> str:
    """A file-name-safe ASCII spelling: "B 0003-00012345" -> "B-0003-00012345"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_text).strip("-.") or "documento"


FILE_KINDS: dict[str, FileKind] = {
    "invoice": FileKind(Feature.INVOICE_DOWNLOAD, ("pdf",), _invoice_file),
    "contract": FileKind(Feature.CONTRACTS, ("pdf",), _contract_file),
    "signed-contract": FileKind(Feature.CONTRACTS, ("pdf",), _signed_contract_file),
    "delivery-note": FileKind(Feature.DELIVERY_NOTES, ("pdf",), _delivery_note_file),
    "statement": FileKind(Feature.STATEMENT, ("pdf", "xlsx"), _statement_file),
    "attachment": FileKind(Feature.TICKETS, None, _attachment_file),
    "document": FileKind(Feature.DOCUMENTS, None, _document_file),
    "invoices": FileKind(Feature.INVOICE_DOWNLOAD, ("zip",), _invoices_zip_file),
}
