"""Shared documents (FEATURES.md D8): staff (agents, admins) attach a file to a customer; the
customer lists it (`Customer.documents`) and downloads it through a signed link.

`share_document` checks the file by its content like every upload (resolvers/uploads.py
`keep_uploads`: PDFs and images; INVALID_FILE, FILE_TOO_LARGE), keeps it in the blob store by
SHA-256, and writes, in the action's transaction, the native `documents` row and its
`shared_document_files` row (the blob's key). Documents are Ventanilla's own (the `documents`
domain is the store's; a legacy customer is named by its canonical id, which must be a native
one). The GraphQL mutation (shareDocument) and the CLI (`ventanilla documents add`) both call it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from ..auth.ownership import authorize
from ..connectors.native.ids import db_id
from ..connectors.records import Document
from ..errors import ApiError, ErrorCode, not_found
from ..rules.uploads import Upload, UploadLimits
from ..settings import Feature
from ..store.documents import NewDocument, file_of, insert_document
from ..store.events import DomainEvent
from .actions import Action, Done, perform
from .context import Context
from .uploads import keep_uploads

MAX_TITLE = 200


async def share_document(
    ctx: Context,
    customer_id: str,
    title: str,
    file: Upload,
    category: str | None,
    idempotency_key: str | None,
) -> Document:
    customer = await ctx.loaders.customer_by_id.load(customer_id)
    if customer is None:
        raise not_found("Customer")
    authorize(ctx.principal, customer)
    native_customer = db_id(customer.id)
    if native_customer is None:
        raise ApiError(ErrorCode.BAD_INPUT, field=["input", "customerId"],
                       detail="customerId (un cliente del portal / a portal customer)")  # fmt: skip
    name = (title or "").strip()
    if not name or len(name) > MAX_TITLE:
        raise ApiError(ErrorCode.BAD_INPUT, field=["input", "title"], detail=f"title (1..{MAX_TITLE})")
    (kept,) = await keep_uploads(ctx.services.blobs, UploadLimits.of(ctx.settings), [file], field="file")
    request = {"customerId": customer.id, "title": name, "category": category, "file": kept.sha256}

    async def work(conn: AsyncConnection) -> Done:
        document_id = await insert_document(conn, NewDocument(
            customer_id=native_customer, title=name, category=category, filename=kept.filename,
            content_type=kept.content_type, size=kept.size, sha256=kept.sha256, uploaded_at=datetime.now(UTC),
        ))  # fmt: skip
        event = DomainEvent("DocumentShared", customer.id, {"documentId": str(document_id), "title": name,
                            "filename": kept.filename, "contentType": kept.content_type, "size": kept.size,
                            "sha256": kept.sha256})  # fmt: skip
        return Done({"id": str(document_id)}, [event], str(document_id))

    answer = await perform(
        ctx, Action("shareDocument", customer.id, request, idempotency_key, Feature.DOCUMENTS), work
    )
    ctx.loaders.document_by_id.clear(answer["id"])
    document = await ctx.loaders.document_by_id.load(answer["id"])
    if document is None:
        raise not_found("Document")
    return document


async def document_content(ctx: Context, document: Document) -> bytes | None:
    """The shared file's bytes (None for a document without a kept file, e.g. the demo's)."""
    authorize(ctx.principal, document)
    native = db_id(document.id)
    sha256 = None if native is None else await ctx.services.store.read(lambda conn: file_of(conn, native))
    return None if sha256 is None else await ctx.services.blobs.get(sha256)
