"""The blob store: files Ventanilla keeps itself (uploads, the demo's attachments), content-addressed by SHA-256.

One small protocol, two places (`[files] store`, settings.py):

- `DirectoryBlobs`: a directory on disk (the default; the demo's sits next to its database).
  A file lives at `<directory>/<first two hex digits>/<sha256>`; it is written to a temporary
  file in the same folder, flushed and renamed, so a reader never sees half a file.
- `DatabaseBlobs`: the `blobs` table of the store (store/tables.py), for several instances
  without a shared disk.

Both are idempotent: the same bytes always have the same key and are kept once. A key is 64
lower-case hex digits; anything else reads as missing (no path is ever built from other text).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from ..settings import FileStore, Settings
from .engine import Store
from .tables import blobs

_KEY = re.compile(r"[0-9a-f]{64}")


def blob_key(content: bytes) -> str:
    """The key of `content`: its SHA-256, in hex."""
    return hashlib.sha256(content).hexdigest()


def is_key(text: str) -> bool:
    return _KEY.fullmatch(text) is not None


class BlobStore(Protocol):
    """Where Ventanilla keeps files, by the SHA-256 of their bytes."""

    async def put(self, content: bytes, content_type: str) -> str:
        """Keep `content` (once, whatever the number of calls) and return its key."""
        ...

    async def get(self, key: str) -> bytes | None:
        """The bytes kept under `key`, None when there are none."""
        ...

    async def exists(self, key: str) -> bool: ...


class DirectoryBlobs:
    """Blobs as files of a directory, written atomically (temporary file, fsync, rename)."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def path_of(self, key: str) -> Path:
        return self.directory / key[:2] / key

    async def put(self, content: bytes, content_type: str) -> str:
        key = blob_key(content)
        await asyncio.to_thread(self._write, key, content)
        return key

    def _write(self, key: str, content: bytes) -> None:
        target = self.path_of(key)
        if target.exists():
            return  # the same bytes are there already
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(content)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, target)  # atomic on one file system
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    async def get(self, key: str) -> bytes | None:
        if not is_key(key):
            return None
        try:
            return await asyncio.to_thread(self.path_of(key).read_bytes)
        except FileNotFoundError:
            return None

    async def exists(self, key: str) -> bool:
        return is_key(key) and await asyncio.to_thread(self.path_of(key).is_file)


class DatabaseBlobs:
    """Blobs as rows of the store's `blobs` table."""

    def __init__(self, store: Store) -> None:
        self.store = store  # connect() and begin() bounded by [store] timeout_seconds

    async def put(self, content: bytes, content_type: str) -> str:
        key = blob_key(content)
        if await self.exists(key):
            return key
        row = {"sha256": key, "content_type": content_type, "size": len(content), "content": content,
               "created_at": datetime.now(UTC)}  # fmt: skip
        try:
            async with self.store.begin() as conn:
                await conn.execute(insert(blobs), row)
        except IntegrityError:
            pass  # another request kept the same bytes meanwhile: same key, same content
        return key

    async def get(self, key: str) -> bytes | None:
        if not is_key(key):
            return None
        async with self.store.connect() as conn:
            found = await conn.scalar(select(blobs.c.content).where(blobs.c.sha256 == key))
        return None if found is None else bytes(found)

    async def exists(self, key: str) -> bool:
        if not is_key(key):
            return False
        async with self.store.connect() as conn:
            count = await conn.scalar(select(func.count()).select_from(blobs).where(blobs.c.sha256 == key))
        return bool(count)


def blob_store(settings: Settings, store: Store) -> BlobStore:
    """The blob store `[files] store` names: a directory (`[files] directory`) or the store's table."""
    if FileStore(settings.files_store) is FileStore.DATABASE:
        return DatabaseBlobs(store)
    return DirectoryBlobs(settings.files_directory)
