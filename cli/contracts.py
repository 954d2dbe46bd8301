"""`ventanilla contracts verify FILE`: is this signed copy of a contract the one the portal issued?

Checks, each printed with its result (exit 0 when all pass, 1 otherwise):

1. the PAdES signature: intact, valid, made with the business's certificate (`[contracts]
   certificate`), covering the whole file (pyHanko's validator);
2. the file's SHA-256 is the signed copy's recorded when the contract was signed (the store's
   `contract_signatures` row of the contract the embedded evidence names);
3. the embedded contract PDF and signature image have the SHA-256 recorded then.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any


def _verify(args: argparse.Namespace) -> int:
    from sqlalchemy.ext.asyncio import create_async_engine

    from ..connectors.signed_contracts import signatures_of
    from ..render.signed_contract import ORIGINAL_NAME, SIGNATURE_NAME, sha256, verify_copy
    from ..settings import load_settings

    settings = load_settings(args.config, **({"database_url": args.db} if args.db else {}))
    certificate = args.certificate or settings.contracts_certificate
    if not certificate:
        print("Falta el certificado / no certificate: [contracts] certificate or --certificate")
        return 2
    content = Path(args.file).read_bytes()
    found = verify_copy(content, certificate)
    evidence = found.evidence or {}
    contract_id = str(evidence.get("contract_id") or "")

    async def recorded() -> Any:
        engine = create_async_engine(settings.database_url)
        try:
            async with engine.connect() as conn:
                return (await signatures_of(conn, [contract_id])).get(contract_id) if contract_id else None
        finally:
            await engine.dispose()

    row = asyncio.run(recorded())
    embedded = found.embedded
    checks = [
        ("firma PAdES íntegra y válida / PAdES signature intact and valid", found.intact and found.valid),
        ("firmada con el certificado de la empresa / made with the business's certificate", found.trusted),
        ("sin cambios posteriores / nothing added after it", found.whole_file),
        ("firma registrada / signature on record", row is not None),
        ("copia firmada = la registrada / signed copy as recorded",
         row is not None and sha256(content) == row.signed_pdf_sha256),
        ("contrato mostrado = el registrado / contract shown as recorded",
         row is not None and ORIGINAL_NAME in embedded and sha256(embedded[ORIGINAL_NAME]) == row.contract_sha256),
        ("imagen de la firma = la registrada / signature image as recorded",
         row is not None and SIGNATURE_NAME in embedded and sha256(embedded[SIGNATURE_NAME]) == row.signature_sha256),
    ]  # fmt: skip
    if row is not None:
        print(f"Contrato {evidence.get('contract_number')} firmado por {row.signer} el {evidence.get('signed_at')}")
    for label, passed in checks:
        print(f"  {'OK   ' if passed else 'FALLA'} {label}")
    ok = all(passed for _, passed in checks)
    print("Verificada / verified" if ok else "NO verificada / NOT verified")
    return 0 if ok else 1


def add_contracts_command(commands: argparse._SubParsersAction) -> None:
    contracts = commands.add_parser("contracts", help="signed contracts: verify a signed copy")
    sub = contracts.add_subparsers(dest="action", required=True)
    verify = sub.add_parser("verify", help="check a signed copy's PAdES signature and its recorded hashes")
    verify.add_argument("file", help="the signed copy (PDF)")
    verify.add_argument("--config", help="ventanilla.toml (default: ./ventanilla.toml if present)")
    verify.add_argument("--db", help="the store's URL, instead of the configuration's [store] url")
    verify.add_argument("--certificate", help="the business's certificate (PEM), instead of [contracts] certificate")
    verify.set_defaults(run=_verify)
