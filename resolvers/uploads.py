"""Keeping the files of one request: every one checked (rules/uploads.py) before any is stored.

The mutations that take files (createTicket, replyToTicket, submitPaymentReceipt ...) call
`keep_uploads` and record the keys it returns with their object; a refused file means nothing of
the request was kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

from ..rules.uploads import Upload, UploadLimits, check_uploads
from ..store.blobs import BlobStore


@dataclass(frozen=True, slots=True)
class KeptFile:
    """A file in the blob store: what an attachment row records of it."""

    filename: str
    content_type: str
    size: int
    sha256: str


async def keep_uploads(
    blobs: BlobStore, limits: UploadLimits, files: Sequence[Upload], field: str = "attachments"
) -> list[KeptFile]:
    """Check every file (off the event loop: decoding takes CPU), then store them; an ApiError
    (INVALID_FILE, FILE_TOO_LARGE, LIMIT_REACHED) before anything is written."""
    checked = await run_in_threadpool(check_uploads, files, limits, field)
    return [
        KeptFile(f.filename, f.content_type, f.size, await blobs.put(f.content, f.content_type)) for f in checked
    ]
