"""`ventanilla documents add CUSTOMER FILE --title T`: share a file with a customer (FEATURES.md D8).

The same action as the shareDocument mutation (resolvers/documents.py): the file checked by its
content (PDFs and images), kept in the blob store, the document listed in the customer's
documents; audited as SHARE_DOCUMENT by a staff principal named "cli", with a DocumentShared event.
"""

from __future__ import annotations

import argparse
import asyncio
import mimetypes
from pathlib import Path
from typing import Any, cast


def _documents(args: argparse.Namespace) -> int:
    from ..auth.principals import Principal, PrincipalKind, StaffRole
    from ..connectors.executor import pooled_engine
    from ..connectors.routing import build_source
    from ..errors import ApiError
    from ..resolvers.context import Services, request_context
    from ..resolvers.documents import share_document
    from ..rules.uploads import Upload
    from ..settings import load_settings
    from ..store.blobs import blob_store
    from ..store.engine import Store, store_engine
    from ..store.schema import migrate

    settings = load_settings(args.config, **({"database_url": args.db} if args.db else {}))
    path = Path(args.file)
    if not path.is_file():
        print(f"No existe el archivo / no such file: {path}")
        return 2
    upload = Upload(path.name, path.read_bytes(), mimetypes.guess_type(path.name)[0])

    async def run() -> int:
        engine = store_engine(settings.database_url, 2, settings.store_timeout_seconds)
        reads = pooled_engine(settings.database_url, 2, isolation_level="AUTOCOMMIT")
        store = Store(engine, settings.store_timeout_seconds)
        blobs = blob_store(settings, store)
        source: Any = build_source(settings, reads, Path(args.config) if args.config else None, blobs=blobs)
        try:
            await migrate(engine)
            services = Services(settings=settings, store=store, source=source, access=cast(Any, None),
                                secret=settings.secret_key or "cli", blobs=blobs)  # fmt: skip
            principal = Principal(kind=PrincipalKind.STAFF, name="cli", role=StaffRole.ADMIN)
            ctx = request_context(services, principal)
            try:
                document = await share_document(ctx, args.customer, args.title, upload, args.category, None)
            except ApiError as error:
                print(error.message(ctx.language))
                return 1
            print(f"Documento {document.id} compartido con el cliente {args.customer}: {document.title} "
                  f"({document.filename}, {document.size} bytes)")  # fmt: skip
            return 0
        finally:
            if hasattr(source, "dispose"):
                await source.dispose()
            await reads.dispose()
            await engine.dispose()

    return asyncio.run(run())


def add_documents_command(commands: argparse._SubParsersAction) -> None:
    documents = commands.add_parser("documents", help="share a file (PDF or image) with a customer")
    sub = documents.add_subparsers(dest="action", required=True)
    add = sub.add_parser("add", help="share FILE with CUSTOMER (its canonical id), titled --title")
    add.add_argument("customer", help="the customer's canonical id, e.g. 42")
    add.add_argument("file", help="the file: a PDF or an image")
    add.add_argument("--title", required=True, help="the title the customer sees")
    add.add_argument("--category", help="a category, e.g. Contratos")
    add.add_argument("--config", help="ventanilla.toml (default: ./ventanilla.toml if present)")
    add.add_argument("--db", help="the store's URL, instead of the configuration's [store] url")
    add.set_defaults(run=_documents)
