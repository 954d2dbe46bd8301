"""The bytes of an attachment: from Ventanilla's blob store by key, or from a legacy ERP's file share by path.

An ERP keeps its attachments on a file share and names each by a path of its own world
(`\\\\b1\\attachments\\foto.jpg`, `/sapmnt/PRD/attach/...`, `tickets/12/34-foto.jpg`). A source's
`attachments_dir` is where the gateway reads that share, and `attachments_root` the prefix
the ERP's paths start with, which stands for that directory (docs/connectors.md). A path
that would leave the directory (`..`, an absolute path that does not start with the root, a
drive letter, a symbolic link pointing out) is refused and logged: it answers as a missing file.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Protocol

from .records import Attachment

log = logging.getLogger("ventanilla.files")

_DRIVE = re.compile(r"^[A-Za-z]:")


class BlobReader(Protocol):
    """What a source needs of the blob store (store/blobs.py): the bytes of a key, None when missing."""

    async def get(self, key: str) -> bytes | None: ...


@dataclass(frozen=True, slots=True)
class FileShare:
    """An ERP's attachment folder, as the gateway reaches it: `directory`, standing for `erp_root`."""

    directory: Path
    erp_root: str | None = None

    def local_path(self, erp_path: str) -> Path | None:
        """The file `erp_path` names inside `directory`, or None when it would lie outside it."""
        text = erp_path.replace("\\", "/")
        if self.erp_root:
            root = self.erp_root.replace("\\", "/").rstrip("/") + "/"
            if not text.casefold().startswith(root.casefold()):  # Windows shares ignore case
                return None
            text = text[len(root) :]
        parts = PurePosixPath(text).parts
        if not parts or text.startswith("/") or _DRIVE.match(text) or "\x00" in text or ".." in parts:
            return None
        base = self.directory.resolve()
        candidate = (base / PurePosixPath(*parts)).resolve()  # symbolic links followed
        return candidate if candidate.is_relative_to(base) else None

    async def read(self, erp_path: str, attachment_id: str) -> bytes | None:
        return await asyncio.to_thread(self._read, erp_path, attachment_id)

    def _read(self, erp_path: str, attachment_id: str) -> bytes | None:
        local = self.local_path(erp_path)
        if local is None:
            log.warning("attachment %s refused: its path leaves the attachments directory", attachment_id)
            return None
        try:
            return local.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None


def share_of(directory: str | None, erp_root: str | None = None) -> FileShare | None:
    """A source's `attachments_dir` and `attachments_root`, as a FileShare (None without a directory)."""
    return FileShare(Path(directory), erp_root or None) if directory else None


async def attachment_content(
    attachment: Attachment, blobs: BlobReader | None, share: FileShare | None
) -> bytes | None:
    """The bytes of `attachment`: by its key from `blobs`, else by its path from `share`; None when
    neither has them."""
    if attachment.sha256 and blobs is not None:
        found = await blobs.get(attachment.sha256)
        if found is not None:
            return found
    if attachment.path and share is not None:
        return await share.read(attachment.path, attachment.id)
    return None
