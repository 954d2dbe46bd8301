"""Download links for the files the API describes (invoice, contract, delivery note and statement PDFs,
ticket attachments ...).

A link is absolute, so a portal on another origin opens it as it comes: it starts with the
configured public URL of the API (`[api] public_url`), else with the origin the request came
to (scheme://host[:port] and the app's root path). The signature covers the path from
`/files/` on, whatever prefix the API is reached under (web/downloads.py checks it so).
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Sequence
from datetime import date

from ..auth.links import signed_link
from ..auth.ownership import authorize
from ..auth.principals import Principal
from ..connectors.records import Attachment, Contract, Customer, DeliveryNote, Document, Invoice, Ticket
from .context import Context


def file_url(ctx: Context, kind: str, document: Invoice | Contract | DeliveryNote, fmt: str) -> str:
    """A link signed for the caller and its session, e.g. https://api/files/invoice/12.pdf?u=..&s=..&exp=..&sig=.."""
    authorize(ctx.principal, document)
    path = f"/files/{kind}/{document.id}.{fmt}"
    return _base(ctx) + signed_link(ctx.services.secret, path, *_signer(ctx.principal))


def attachment_url(ctx: Context, ticket: Ticket, attachment: Attachment) -> str:
    """A link to an attachment of one of `ticket`'s messages, signed like the others."""
    authorize(ctx.principal, ticket)
    path = f"/files/attachment/{attachment_name(ticket.id, attachment.id)}"
    return _base(ctx) + signed_link(ctx.services.secret, path, *_signer(ctx.principal))


def document_url(ctx: Context, document: Document) -> str:
    """A link to a shared document's file (D8), signed like the others: only the caller opens it."""
    authorize(ctx.principal, document)
    path = f"/files/document/{document.id}"
    return _base(ctx) + signed_link(ctx.services.secret, path, *_signer(ctx.principal))


def attachment_name(ticket_id: str, attachment_id: str) -> str:
    """The last segment of an attachment's path: both ids, which may hold "/" (legacy keys), in
    URL-safe base64."""
    return base64.urlsafe_b64encode(f"{ticket_id}\n{attachment_id}".encode()).decode().rstrip("=")


def attachment_ids(name: str) -> tuple[str, str] | None:
    """(ticket id, attachment id) of an `attachment_name`, None for anything else."""
    try:
        text = base64.urlsafe_b64decode(name + "=" * (-len(name) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    ticket_id, separator, attachment_id = text.partition("\n")
    return (ticket_id, attachment_id) if separator and ticket_id and attachment_id else None


def statement_url(ctx: Context, customer: Customer, cut_off: date, company_id: str | None, fmt: str) -> str:
    authorize(ctx.principal, customer)
    params = {"cutOff": cut_off.isoformat()}
    if company_id:
        params["company"] = company_id
    path = f"/files/statement/{customer.id}.{fmt}"
    return _base(ctx) + signed_link(ctx.services.secret, path, *_signer(ctx.principal), params)


def invoices_zip_url(ctx: Context, customer: Customer, invoice_ids: Sequence[str]) -> str:
    """A link to one ZIP of the customer's chosen invoices (B5), signed like the others. The ids
    ride in the signed query, packed (`pack_ids`) so 500 of them make a link browsers still open."""
    authorize(ctx.principal, customer)
    path = f"/files/invoices/{customer.id}.zip"
    params = {"ids": pack_ids(invoice_ids)}
    return _base(ctx) + signed_link(ctx.services.secret, path, *_signer(ctx.principal), params)


def pack_ids(ids: Sequence[str]) -> str:
    """Raw ids as one URL-safe word: their JSON list, deflated, in base64url."""
    text = json.dumps(list(ids), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(zlib.compress(text, 9)).decode().rstrip("=")


def unpack_ids(word: str, limit: int) -> list[str] | None:
    """The ids `pack_ids` packed; None for anything else (or more than `limit` ids, or an inflation
    past what that many ids could take: a crafted word cannot make the server inflate a bomb)."""
    try:
        packed = base64.urlsafe_b64decode(word + "=" * (-len(word) % 4))
        inflater = zlib.decompressobj()
        text = inflater.decompress(packed, 256 * (limit + 1))
        if inflater.unconsumed_tail or not inflater.eof:
            return None
        ids = json.loads(text)
    except (ValueError, zlib.error):
        return None
    if (
        not isinstance(ids, list)
        or not 0 < len(ids) <= limit
        or not all(isinstance(i, str) and i for i in ids)
    ):
        return None
    return ids


def _base(ctx: Context) -> str:
    """The public URL of the API without its trailing slash; links are relative without a request."""
    configured = ctx.settings.public_url
    if configured:
        return configured.rstrip("/")
    if ctx.request is None:
        return ""
    return str(ctx.request.base_url).rstrip("/")  # base_url keeps the app's root_path


def _signer(principal: Principal) -> tuple[int, str]:
    """The user and session a link is signed for (a partner has neither: its links open nothing)."""
    return principal.user_id or 0, principal.session_id or "none"
