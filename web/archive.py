"""A ZIP archive streamed as it is made (stream-zip): each member is produced only when the
archive reaches it and is let go once written, so a ZIP of 500 invoices never holds more than
one of their PDFs in memory, and the first bytes leave before the last PDF is drawn.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

ZIP = "application/zip"


@dataclass(frozen=True, slots=True)
class Member:
    """One file of the archive: its name, its time, and how its bytes are made when their turn comes."""

    name: str
    modified: datetime
    content: Callable[[], Awaitable[bytes]]


async def _chunks(content: bytes) -> AsyncIterator[bytes]:
    yield content


async def zip_stream(members: AsyncIterable[Member]) -> AsyncIterator[bytes]:
    """The ZIP of `members`, chunk by chunk. PDFs are compressed already: members are stored as
    they are (their size and CRC known once made), which keeps the server's work to drawing them."""
    from stream_zip import NO_COMPRESSION_32, async_stream_zip  # on the first archive, as render/ is

    async def files():  # the member tuples stream-zip reads, each made on its turn
        async for member in members:
            content = await member.content()
            method = NO_COMPRESSION_32(len(content), zlib.crc32(content))
            yield member.name, member.modified, 0o600, method, _chunks(content)
            del content  # not held while the next one is drawn

    async for chunk in async_stream_zip(files()):
        yield chunk
