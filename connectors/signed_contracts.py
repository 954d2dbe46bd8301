"""Contract signatures where the contract lives (signContract, FEATURES.md D2).

Every signature's evidence is a `contract_signatures` row of the store (store/tables.py), one per
contract. What turns the contract SIGNED depends on its source:

- on the native store (the `contracts` domain routed to it), `mark_signed` sets the native row's
  status and signed_at in the action's transaction, only while it is PENDING_SIGNATURE: of two
  concurrent signatures the second finds it signed (and the unique contract_id refuses it too);
- on a read-only legacy source, the row is an overlay: `SignedContracts` (what `RoutedSource`
  serves for such a `contracts` domain) reads the source and shows each contract that has a
  signature row as SIGNED at its time. The ERP learns of it from the ContractSigned event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..store.tables import contract_signatures
from .base import ContractSource
from .executor import Executor, read_rows
from .native.tables import contracts
from .records import Contract, ContractStatus, Page, PageOf
from .shapes import bound_keys
from .values import instant

# Built once: a dashboard's contracts over a read-only source read them.
_SIGNATURES = select(contract_signatures).where(contract_signatures.c.contract_id.in_(bound_keys()))
_SIGNED_AT = select(contract_signatures.c.contract_id, contract_signatures.c.signed_at).where(
    contract_signatures.c.contract_id.in_(bound_keys())
)


def native_key(contract_id: str) -> int | None:
    return int(contract_id) if contract_id.isascii() and contract_id.isdigit() and len(contract_id) < 10 else None


async def mark_signed(conn: AsyncConnection, contract_id: str, signed_at: datetime) -> bool:
    """The native contract SIGNED at `signed_at` if it was pending; False when it was not."""
    key = native_key(contract_id)
    if key is None:
        return False
    done = await conn.execute(
        update(contracts)
        .where(contracts.c.id == key, contracts.c.status == ContractStatus.PENDING_SIGNATURE.value)
        .values(status=ContractStatus.SIGNED.value, signed_at=signed_at)
    )
    return done.rowcount == 1


async def signatures_of(conn: AsyncConnection, contract_ids: Sequence[str]) -> dict[str, Any]:
    """The signature rows of the given contracts, by contract id."""
    if not contract_ids:
        return {}
    rows = await read_rows(conn, _SIGNATURES, {"ids": list(contract_ids)})
    return {row.contract_id: row for row in rows}


class SignedContracts:
    """A read-only source's contracts with the portal's signatures laid over them."""

    def __init__(self, inner: ContractSource, engine: AsyncEngine, timeout: float = 10.0) -> None:
        self.inner = inner
        self._db = Executor(engine, timeout, "store")

    async def _signed(self, found: Sequence[Contract | None]) -> list[Contract | None]:
        ids = [c.id for c in found if c is not None]
        if not ids:
            return list(found)
        rows = await self._db.fetch_with(_SIGNED_AT, ids=ids)
        signed = {row.contract_id: instant(row.signed_at) for row in rows}
        return [
            replace(c, status=ContractStatus.SIGNED, signed_at=signed[c.id]) if c is not None and c.id in signed else c
            for c in found
        ]

    async def contracts_by_id(self, ids: Sequence[str]) -> list[Contract | None]:
        return await self._signed(await self.inner.contracts_by_id(ids))

    async def contracts_of(self, customer_ids: Sequence[str], page: Page) -> list[PageOf]:
        pages = await self.inner.contracts_of(customer_ids, page)
        every = [c for p in pages for c in p.items]
        signed = {c.id: c for c in await self._signed(every) if c is not None}
        return [replace(p, items=[signed.get(c.id, c) for c in p.items]) for p in pages]

    async def contract_counts_of(self, customer_ids: Sequence[str]) -> list[int]:
        return await self.inner.contract_counts_of(customer_ids)
