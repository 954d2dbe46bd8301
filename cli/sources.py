"""`ventanilla demo-data` and `ventanilla check-mapping`: legacy-shaped demo databases and mapping checks."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path

PRESETS = ("native", "sap", "sapb1", "ispcube")  # demo/legacy WRITERS, and native


def _demo_data(args: argparse.Namespace) -> int:
    from sqlalchemy.ext.asyncio import create_async_engine

    from ..demo.business import generate_demo
    from ..demo.legacy import WRITERS
    from ..settings import load_settings
    from ..store.blobs import DirectoryBlobs, blob_store
    from ..store.engine import Store

    today = date.fromisoformat(args.today) if args.today else None
    if args.store and args.preset == "native":
        print(
            "--store va con un preset de ERP (sap, sapb1, ispcube): la base native ya es un store / "
            "--store goes with a legacy preset: a native database is a store itself (nothing was written)",
            file=sys.stderr,
        )
        return 2

    async def run() -> None:
        engine = create_async_engine(args.url)
        try:
            if args.preset == "native":
                # The attachments go to --files, else to the blob store the configuration names ([files]).
                settings = load_settings()
                blobs = (
                    DirectoryBlobs(args.files)
                    if args.files
                    else blob_store(settings, Store(engine, settings.store_timeout_seconds))
                )
                summary = await generate_demo(
                    engine, customers=args.customers, seed=args.seed, today=today, progress=True, blobs=blobs
                )
                print(
                    f"native: {summary.customers} clientes, {summary.invoices} facturas, {summary.payments} pagos"
                )
                for login, password, what in summary.sign_ins:
                    print(f"  {login:<24} {password:<18} {what}")
            else:
                writer = WRITERS[args.preset]
                files = Path(args.files) if args.files else None  # the ERP's attachment share
                counts = await writer(engine, customers=args.customers, seed=args.seed, today=today, files=files)
                print(f"{args.preset}: " + ", ".join(f"{table} {n}" for table, n in counts.items()))
                if files:
                    print(f"  adjuntos / attachments: {files} (the source's attachments_dir)")
        finally:
            await engine.dispose()
        if args.store and args.preset != "native":
            # The same business in the store: sign-ins, and the domains a read-only ERP cannot hold.
            store = create_async_engine(args.store)
            try:
                summary = await generate_demo(store, customers=args.customers, seed=args.seed, today=today)
                for login, password, what in summary.sign_ins:
                    print(f"  {login:<24} {password:<18} {what}")
            finally:
                await store.dispose()

    asyncio.run(run())
    return 0


def _check_mapping(args: argparse.Namespace) -> int:
    from ..connectors.routing import read_routing
    from ..connectors.sql.check import check_source

    targets: list[tuple[str, str, str, dict]] = []
    if args.config:
        specs, _ = read_routing(Path(args.config))
        for name, spec in specs.items():
            if spec.get("connector") != "native":
                targets.append((name, spec["connector"], args.url or spec["url"], spec.get("params") or {}))
    else:
        if not (args.preset or args.mapping) or not args.url:
            raise SystemExit("check-mapping: give --config, or --preset/--mapping with --url")
        targets.append((args.preset or args.mapping, args.preset or args.mapping, args.url, {}))
    failures = 0
    for name, connector, url, params in targets:
        problems = asyncio.run(check_source(connector, url, params))
        status = "ok" if not problems else f"{len(problems)} problem(s)"
        print(f"[{name}] {connector} at {url.split('@')[-1]}: {status}")
        for problem in problems:
            print(f"  - {problem}")
        failures += len(problems)
    return 1 if failures else 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add the connector commands to `ventanilla`'s parser (cli.py)."""
    demo = commands.add_parser(
        "demo-data", help="write the demo business into a native or legacy-shaped database"
    )
    demo.add_argument("--preset", choices=PRESETS, required=True)
    demo.add_argument("--url", required=True, help="SQLAlchemy async URL of an empty database")
    demo.add_argument("--customers", type=int, default=300)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--today", help="YYYY-MM-DD the history ends on (default: today)")
    demo.add_argument("--store", help="with a legacy preset: also write the same business, with demo sign-ins, to this store URL")
    demo.add_argument(
        "--files",
        help="directory for the attachments: native, the blob store (default: [files] of the configuration); "
        "a legacy preset, the ERP's attachment share (default: none written)",
    )
    demo.set_defaults(run=_demo_data)

    check = commands.add_parser("check-mapping", help="validate a mapping against a live database")
    check.add_argument("--config", help="ventanilla.toml: check every [sources] entry")
    check.add_argument("--preset", choices=PRESETS[1:])
    check.add_argument("--mapping", help="a mapping file (TOML)")
    check.add_argument("--url", help="the legacy database (overrides the config's url)")
    check.set_defaults(run=_check_mapping)
