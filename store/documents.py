"""Shared documents (shareDocument, `ventanilla documents add`; FEATURES.md D8) in the store.

A shared document is a native `documents` row (the `documents` domain is the store's) and a
`shared_document_files` row naming its file's key in the blob store (the file's SHA-256), both
inserted on the action's transaction. The demo's documents have no kept file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..connectors.native.tables import documents
from .tables import shared_document_files


@dataclass(frozen=True, slots=True)
class NewDocument:
    customer_id: int  # the native customer's key
    title: str
    category: str | None
    filename: str
    content_type: str
    size: int
    sha256: str  # the file's key in the blob store
    uploaded_at: datetime


async def insert_document(conn: AsyncConnection, new: NewDocument) -> int:
    """The document and its file's key; the new document's id."""
    inserted = await conn.execute(insert(documents).values(
        customer_id=new.customer_id, title=new.title, category=new.category, filename=new.filename,
        content_type=new.content_type, size=new.size, uploaded_at=new.uploaded_at,
    ))  # fmt: skip
    key = inserted.inserted_primary_key
    assert key is not None
    document_id = int(key[0])
    await conn.execute(insert(shared_document_files).values(document_id=document_id, sha256=new.sha256))
    return document_id


async def file_of(conn: AsyncConnection, document_id: int) -> str | None:
    """The blob key of a shared document's file; None for a document without one."""
    found = await conn.execute(
        select(shared_document_files.c.sha256).where(shared_document_files.c.document_id == document_id)
    )
    return found.scalar()
