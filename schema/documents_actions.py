"""shareDocument (FEATURES.md D8): staff attach a file to a customer (resolvers/documents.py)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.file_uploads import Upload
from strawberry.types import Info

from ..errors import ApiError
from ..resolvers import documents as write
from .access import user_error
from .commerce import Document, document_type
from .errors import UserError
from .relay import from_global_id
from .tickets import _uploads


@strawberry.input(description="A file the business shares with one customer.")
class ShareDocumentInput:
    customer_id: strawberry.ID = strawberry.field(description="Global id of the customer it is for.")
    title: str = strawberry.field(description="Title the customer sees, e.g. Contrato 2026.")
    file: Upload = strawberry.field(description="The file (multipart request): a PDF or an image, checked by its content.")
    category: str | None = strawberry.field(default=None, description="Category, e.g. Contratos, Informes.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="A key of the caller's choice: a repeated request with it shares nothing more (24 h)."
    )


@strawberry.type(description="Result of shareDocument.")
class ShareDocumentPayload:
    document: Document | None = strawberry.field(description="The shared document; null when it was not shared.")
    errors: list[UserError] = strawberry.field(description="Why it was not shared; empty on success.")


async def share_document(
    info: Info, input: Annotated[ShareDocumentInput, strawberry.argument(description="The document.")]
) -> ShareDocumentPayload:
    ctx = info.context
    try:
        _, customer_id = from_global_id(input.customer_id, "Customer")
        (file,) = await _uploads([input.file])
        document = await write.share_document(ctx, customer_id, input.title, file, input.category, input.idempotency_key)
    except ApiError as error:
        return ShareDocumentPayload(document=None, errors=[user_error(error, ctx.language)])
    return ShareDocumentPayload(document=document_type(document), errors=[])
