"""Contract signatures (signContract, FEATURES.md D2) in the store: the evidence, one row per contract.

`record_signature` inserts the evidence on the action's transaction; the unique `contract_id`
makes the second of two signatures of one contract fail, which it answers False (the resolver's
ALREADY_SIGNED). Reading the rows back, and turning a native contract SIGNED, are
connectors/signed_contracts.py's (`signatures_of`, `mark_signed`), which the reads of a legacy
source's contracts share.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import contract_signatures

MAX_SIGNER = 120  # the column's width


@dataclass(frozen=True, slots=True)
class SignatureRow:
    """What a signature keeps: who, when, from where, and the hashes of what was shown and drawn."""

    contract_id: str
    customer_id: str
    user_id: int | None
    signer: str
    actor: str
    signed_at: datetime
    ip: str | None
    user_agent: str | None
    contract_sha256: str
    signature_sha256: str
    signed_pdf_sha256: str


async def record_signature(conn: AsyncConnection, row: SignatureRow) -> bool:
    """The evidence kept; False when the contract already has a signature (nothing is written)."""
    values = asdict(row)
    values["signer"] = row.signer[:MAX_SIGNER]
    try:
        async with conn.begin_nested():
            await conn.execute(insert(contract_signatures).values(**values))
    except IntegrityError:
        return False
    return True
