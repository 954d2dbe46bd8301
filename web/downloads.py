"""Signed file downloads: GET /files/{kind}/{id}.{fmt} renders invoice, contract, delivery note and statement files."""

from __future__ import annotations

import asyncio
import logging
import re
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..auth.links import LINK_PARAMS
from ..auth.principals import Principal
from ..auth.sessions import principal_from_link
from ..connectors.base import Source, SourceError
from ..connectors.records import Company, Customer, InvoiceKind
from ..errors import ApiError, ErrorCode, language_of, not_found
from ..render.pdf import contract_pdf, delivery_note_pdf, invoice_pdf, statement_pdf
from ..render.xlsx import statement_xlsx
from ..rules.billing import statement
from ..settings import Feature, Settings

log = logging.getLogger("ventanilla.web.downloads")

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

STATUS: dict[ErrorCode, int] = {
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.BAD_INPUT: 400,
    ErrorCode.SOURCE_UNAVAILABLE: 503,
}  # every other refusal (bad link, disabled user or feature) is a 403

INVOICE_FILE_NAMES: dict[InvoiceKind, str] = {
    InvoiceKind.INVOICE: "factura",
    InvoiceKind.CREDIT_NOTE: "nota-de-credito",
    InvoiceKind.DEBIT_NOTE: "nota-de-debito",
}


@dataclass(frozen=True, slots=True)
class File:
    content: bytes
    filename: str
    media_type: str


@dataclass(frozen=True, slots=True)
class Ask:
    """One download request, once the link and its user have been checked."""

    source: Source
    principal: Principal
    raw_id: str
    fmt: str
    params: dict[str, str]
    today: date


@dataclass(frozen=True, slots=True)
class Kind:
    feature: Feature
    formats: tuple[str, ...]
    build: Callable[[Ask], Awaitable[File]]


def download_routes() -> list[Route]:
    return [Route("/files/{kind}/{name}", download, methods=["GET"])]


async def download(request: Request) -> Response:
    """Check the link, its user, the feature and ownership, then render; refusals are JSON errors."""
    language = language_of(request.headers.get("accept-language"))
    try:
        file = await _serve(request)
    except ApiError as error:
        return _refusal(error, language)
    except SourceError as exc:
        log.warning("billing source failed: %s", exc)
        return _refusal(ApiError(ErrorCode.SOURCE_UNAVAILABLE), language)
    return Response(
        file.content,
        media_type=file.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{file.filename}"',
            "Cache-Control": "private, no-store",  # a customer's bills must not stay in shared caches
            "X-Content-Type-Options": "nosniff",
        },
    )


def _refusal(error: ApiError, language: str) -> JSONResponse:
    body = {"errors": [{"message": error.message(language), "extensions": {"code": error.code.value}}]}
    return JSONResponse(body, status_code=STATUS.get(error.code, 403), headers={"Cache-Control": "no-store"})


async def _serve(request: Request) -> File:
    kind_name, name = request.path_params["kind"], request.path_params["name"]
    kind = KINDS.get(kind_name)
    raw_id, _, fmt = name.rpartition(".")
    if kind is None or fmt not in kind.formats or not raw_id:
        raise not_found("object")
    # The path as resolvers/files.py signed it, whatever prefix a proxy mounted the app under.
    state = request.app.state
    path = f"/files/{kind_name}/{name}"
    principal = await principal_from_link(state.engine, state.secret, path, request.url.query)
    settings: Settings = request.app.state.settings
    if not settings.has(kind.feature):
        raise ApiError(ErrorCode.FEATURE_DISABLED, feature=kind.feature.value)
    today = datetime.now(ZoneInfo(settings.timezone)).date()
    params = {k: v for k, v in request.query_params.items() if k not in LINK_PARAMS}
    return await kind.build(Ask(request.app.state.source, principal, raw_id, fmt, params, today))


def _owns(ask: Ask, customer_id: str) -> bool:
    """The ownership rule; callers answer another customer's document exactly like a missing one."""
    return ask.principal.may_read_customer(customer_id)


async def _customer(source: Source, customer_id: str, what: str) -> Customer:
    [customer] = await source.customers_by_id([customer_id])
    if customer is None:
        raise not_found(what)
    return customer


async def _company(source: Source, company_id: str | None) -> Company | None:
    if not company_id:
        return None
    [company] = await source.companies_by_id([company_id])
    return company


async def _render(function: Callable[..., bytes], *args: Any) -> bytes:
    # Laying out a long statement takes a while: keep it off the event loop.
    return await run_in_threadpool(function, *args)


async def _invoice_file(ask: Ask) -> File:
    [invoice] = await ask.source.invoices_by_id([ask.raw_id])
    if invoice is None or not _owns(ask, invoice.customer_id):
        raise not_found("Invoice")
    lines, customer, company = await asyncio.gather(
        ask.source.lines_of([invoice.id]),
        _customer(ask.source, invoice.customer_id, "Invoice"),
        _company(ask.source, invoice.company_id),
    )
    content = await _render(invoice_pdf, invoice, lines[0], customer, company, ask.today)
    return File(content, f"{INVOICE_FILE_NAMES[invoice.kind]}-{_slug(invoice.number)}.pdf", PDF)


async def _contract_file(ask: Ask) -> File:
    [contract] = await ask.source.contracts_by_id([ask.raw_id])
    if contract is None or not _owns(ask, contract.customer_id):
        raise not_found("Contract")
    customer = await _customer(ask.source, contract.customer_id, "Contract")
    company = await _company(ask.source, customer.company_id)
    content = await _render(contract_pdf, contract, customer, company)
    return File(content, f"contrato-{_slug(contract.number)}.pdf", PDF)


async def _delivery_note_file(ask: Ask) -> File:
    [note] = await ask.source.delivery_notes_by_id([ask.raw_id])
    if note is None or not _owns(ask, note.customer_id):
        raise not_found("DeliveryNote")
    lines, customer = await asyncio.gather(
        ask.source.commercial_lines_of("DELIVERY_NOTE", [note.id]),
        _customer(ask.source, note.customer_id, "DeliveryNote"),
    )
    company = await _company(ask.source, customer.company_id)
    content = await _render(delivery_note_pdf, note, lines[0], customer, company)
    return File(content, f"remito-{_slug(note.number)}.pdf", PDF)


async def _statement_file(ask: Ask) -> File:
    if not _owns(ask, ask.raw_id):
        raise not_found("Customer")
    cut_off = _cut_off(ask)
    company_id = ask.params.get("company") or None
    customer = await _customer(ask.source, ask.raw_id, "Customer")
    company = await _company(ask.source, company_id)
    if company_id and company is None:
        raise not_found("Company")
    [items] = await ask.source.open_items_of([customer.id], cut_off, company_id)
    figures = statement(items, cut_off, customer.currency, customer.credit_limit)
    render = statement_pdf if ask.fmt == "pdf" else statement_xlsx
    content = await _render(render, figures, customer, company)
    filename = f"estado-de-cuenta-{_slug(customer.code)}-{cut_off.isoformat()}.{ask.fmt}"
    return File(content, filename, PDF if ask.fmt == "pdf" else XLSX)


def _cut_off(ask: Ask) -> date:
    text = ask.params.get("cutOff")
    if not text:
        return ask.today
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ApiError(ErrorCode.BAD_INPUT, field=["cutOff"], detail="cutOff (2026-06-30)") from None


def _slug(text: str) -> str:
    """A file-name-safe ASCII spelling: "B 0003-00012345" -> "B-0003-00012345"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_text).strip("-.") or "documento"


KINDS: dict[str, Kind] = {
    "invoice": Kind(Feature.INVOICE_DOWNLOAD, ("pdf",), _invoice_file),
    "contract": Kind(Feature.CONTRACTS, ("pdf",), _contract_file),
    "delivery-note": Kind(Feature.DELIVERY_NOTES, ("pdf",), _delivery_note_file),
    "statement": Kind(Feature.STATEMENT, ("pdf", "xlsx"), _statement_file),
}
