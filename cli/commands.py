"""The `ventanilla` command: demo, serve, migrate, export-schema, access, features, documents, payments."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from . import access, config, contracts, documents, events, features, payments, sources

DEFAULT_DEMO_DB = "ventanilla-demo.db"


def _demo(args: argparse.Namespace) -> int:
    import uvicorn
    from sqlalchemy import inspect
    from sqlalchemy.ext.asyncio import create_async_engine

    from ..demo.business import generate_demo, is_demo_database
    from ..settings import load_settings
    from ..store.blobs import DirectoryBlobs
    from ..store.schema import migrate
    from ..web.app import create_app
    from ..web.logs import logging_config

    db = Path(args.db).resolve()
    url = f"sqlite+aiosqlite:///{db}"
    files = db.with_name(f"{db.stem}-files")  # the attachments' blob store, next to the database

    async def prepare() -> tuple[tuple[str, str, str], ...] | None:
        engine = create_async_engine(url)
        try:
            if await is_demo_database(engine):
                async with engine.connect() as conn:
                    columns = await conn.run_sync(lambda sync: inspect(sync).get_columns("attachments"))
                if "sha256" not in {c["name"] for c in columns}:
                    raise SystemExit(
                        f"{db} es de una versión anterior: borrala para generar otra / "
                        "was made by an older version (attachments have no files): delete it to generate a new one"
                    )
                await migrate(engine)  # a demo database from an older version: bring it up to date
                return None
            if db.exists() and db.stat().st_size > 0:
                raise SystemExit(
                    f"{db} existe pero no es una base de demo / exists but is not a demo database"
                )
            print(f"Generando datos de demo / generating demo data: {args.customers} clientes en {db}")
            summary = await generate_demo(
                engine, customers=args.customers, seed=args.seed, progress=True, blobs=DirectoryBlobs(files)
            )
            print(
                f"  {summary.customers} clientes, {summary.invoices} facturas, {summary.payments} pagos, "
                f"{summary.tickets} tickets, {summary.contracts} contratos"
            )
            return summary.sign_ins
        finally:
            await engine.dispose()

    sign_ins = asyncio.run(prepare())
    from ..demo.business import ANALYST_LOGIN, CUSTOMER_LOGIN

    if sign_ins is None:
        print(f"Usando la base de demo existente / reusing the demo database {db}")
        sign_ins = (
            (*CUSTOMER_LOGIN, "cliente con dos cuentas / customer user with two accounts"),
            (*ANALYST_LOGIN, "analista (solo lectura) / analyst (read-only)"),
        )
    base = f"http://{args.host}:{args.port}"
    print()
    print(f"Ventanilla demo: GraphiQL en {base}/graphql")
    print("Ingresos de demo / demo sign-ins (mutation signIn):")
    for login, password, what in sign_ins:
        print(f"  {login:<24} {password:<18} {what}")
    print('Luego / then: Headers -> {"Authorization": "Bearer <accessToken>"}')
    print()
    # Reset links in the demo's e-mails point at this server, unless a portal is configured.
    portal = None if os.environ.get("VENTANILLA_PORTAL_URL") else f"http://{args.host}:{args.port}"
    settings = load_settings(
        database_url=url, demo=True, portal_url=portal, files_store="directory", files_directory=str(files),
        **_demo_signer(db),
    )  # fmt: skip
    standin, settings = _demo_payments(settings, base)
    app = create_app(settings)
    try:
        uvicorn.run(
            app, host=args.host, port=args.port, log_config=logging_config(settings), access_log=False
        )
    finally:
        if standin is not None:
            standin.stop()
    return 0


def _demo_payments(settings, base: str):  # type: ignore[no-untyped-def]
    """Unless the configuration names providers: Mercado Pago, Stripe and Redsys configured against a
    LOCAL STAND-IN (payments/standin.py) started on 127.0.0.1, with secrets made for this run. No
    real payment: the stand-in's pages say so and pay at a click. Every provider takes any currency
    (the demo bills in ARS; the real Redsys takes EUR)."""
    import base64
    import secrets

    from pydantic import SecretStr

    from ..payments.standin import StandInConfig, run_standin_in_thread
    from ..settings import MercadoPagoProvider, RedsysProvider, StripeProvider

    if settings.payment_providers:
        return None, settings
    mp_token, mp_secret = f"TEST-{secrets.token_hex(8)}", secrets.token_hex(16)
    stripe_key, stripe_secret = f"sk_test_{secrets.token_hex(12)}", f"whsec_{secrets.token_hex(16)}"
    redsys_key, merchant = base64.b64encode(secrets.token_bytes(24)).decode(), "999008881"
    config = StandInConfig(
        mercadopago_access_token=mp_token, mercadopago_webhook_secret=mp_secret, stripe_api_key=stripe_key,
        stripe_webhook_secret=stripe_secret, stripe_webhook_url=f"{base}/payments/stripe/notifications",
        redsys_secret_key=redsys_key, redsys_merchant_code=merchant,
    )  # fmt: skip
    standin = run_standin_in_thread(config)
    url = standin.url
    providers = {
        "mercadopago": MercadoPagoProvider(
            kind="mercadopago",
            display_name="Mercado Pago",
            api_url=url,
            access_token=SecretStr(mp_token),
            webhook_secret=SecretStr(mp_secret),
        ),  # fmt: skip
        "stripe": StripeProvider(
            kind="stripe",
            display_name="Tarjeta (Stripe)",
            api_url=url,
            api_key=SecretStr(stripe_key),
            webhook_secret=SecretStr(stripe_secret),
        ),  # fmt: skip
        "redsys": RedsysProvider(
            kind="redsys",
            display_name="Tarjeta (Redsys)",
            api_url=url,
            merchant_code=merchant,
            secret_key=SecretStr(redsys_key),
        ),  # fmt: skip
    }
    print(f"Pagos online / online payments: Mercado Pago, Stripe y Redsys contra un SIMULADOR LOCAL en {url}")
    print("  (local stand-in, NOT a real payment: startPayment -> redirectUrl -> Pay / Refuse)")
    print()
    return standin, settings.model_copy(
        update={"payment_providers": providers, "public_url": settings.public_url or base}
    )


def _demo_signer(db: Path) -> dict[str, str]:
    """The demo's contract-signing key and self-signed certificate, next to its database (made once)."""
    from ..render.signed_contract import self_signed_pair

    key, certificate = db.with_name(f"{db.stem}-firma.key.pem"), db.with_name(f"{db.stem}-firma.cert.pem")
    if not (key.exists() and certificate.exists()):
        self_signed_pair(key, certificate, "Ventanilla Demo (certificado de prueba)")
    return {"contracts_signing_key": str(key), "contracts_certificate": str(certificate)}


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from ..settings import load_settings
    from ..web.logs import logging_config

    if args.no_access_log:
        os.environ["VENTANILLA_ACCESS_LOG"] = "false"  # through the environment, for every worker
    settings = load_settings(args.config)  # validates the file now
    if args.config:
        os.environ["VENTANILLA_CONFIG"] = str(args.config)  # through the environment, for every worker
    uvicorn.run(
        "ventanilla.web.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=logging_config(settings),  # every worker's loggers, uvicorn's included (web/logs.py)
        access_log=False,  # web/requestlog.py writes the access line, with the request id
        # SIGTERM: stop accepting, give requests in flight this long, then shut down (docs/operations.md)
        timeout_graceful_shutdown=args.graceful_seconds,
        # Behind a reverse proxy: the client's address and scheme from X-Forwarded-For/-Proto, trusted
        # only from these addresses (docs/deployment.md); the per-IP sign-in limits count that address.
        proxy_headers=args.proxy_headers,
        forwarded_allow_ips=args.forwarded_allow_ips,
    )
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from sqlalchemy.ext.asyncio import create_async_engine

    from ..settings import load_settings
    from ..store.schema import migrate

    settings = load_settings(args.config, **({"database_url": args.db} if args.db else {}))

    async def run() -> None:
        engine = create_async_engine(settings.database_url)
        try:
            done = await migrate(engine)
        finally:
            await engine.dispose()
        if done.before == done.after:
            print(f"El store ya está al día / the store is up to date (revision {done.after})")
        else:
            print(
                f"Store migrado / store migrated: {done.before or 'sin versión / unversioned'} -> {done.after}"
            )

    asyncio.run(run())
    return 0


def _export_schema(args: argparse.Namespace) -> int:
    from ..schema.root import build_schema

    sdl = build_schema().as_str() + "\n"
    if args.output == "-":
        sys.stdout.write(sdl)
    else:
        Path(args.output).write_text(sdl, encoding="utf-8")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="ventanilla", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="create a SQLite demo database and serve the API with GraphiQL")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--db", default=DEFAULT_DEMO_DB, help="demo database file; reused when it exists")
    demo.add_argument("--customers", type=int, default=300, help="how many customers to generate")
    demo.add_argument("--seed", type=int, default=7, help="seed of the generated data")
    demo.set_defaults(run=_demo)

    serve = commands.add_parser("serve", help="serve the API from a configuration file")
    serve.add_argument("--config", help="ventanilla.toml (default: ./ventanilla.toml if present)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument(
        "--no-access-log", action="store_true", help="no line per request (when a proxy in front logs them)"
    )
    serve.add_argument(
        "--graceful-seconds", type=float, default=30.0,
        help="on SIGTERM, how long requests in flight may take before the workers stop (default 30)",
    )  # fmt: skip
    serve.add_argument(
        "--proxy-headers", action=argparse.BooleanOptionalAction, default=True,
        help="take the client's address and scheme from X-Forwarded-For/-Proto of a trusted proxy (default: on)",
    )  # fmt: skip
    serve.add_argument(
        "--forwarded-allow-ips", default=None, metavar="IPS",
        help="the proxies trusted for those headers, comma-separated, or * (default: 127.0.0.1)",
    )  # fmt: skip
    serve.set_defaults(run=_serve)

    migrate = commands.add_parser("migrate", help="bring the store to the newest schema (run before serve)")
    migrate.add_argument("--config", help="ventanilla.toml (default: ./ventanilla.toml if present)")
    migrate.add_argument("--db", help="the store's URL, instead of the configuration's [store] url")
    migrate.set_defaults(run=_migrate)

    export = commands.add_parser("export-schema", help="write the GraphQL SDL (default: schema.graphql)")
    export.add_argument("output", nargs="?", default="schema.graphql")
    export.set_defaults(run=_export_schema)
    access.add_access_commands(commands)  # access, partners, staff
    features.add_features_command(commands)  # features list|on|off
    events.add_events_commands(commands)  # events list|resend
    documents.add_documents_command(commands)  # documents add
    sources.register(commands)  # demo-data, check-mapping
    contracts.add_contracts_command(commands)  # contracts verify
    config.add_config_commands(commands)  # check-config, settings-reference
    payments.add_payments_command(commands)  # payments reconcile
    return root


def main(argv: list[str] | None = None) -> int:
    from ..connectors import executor  # noqa: F401 - every engine of a command connects as the app's do
    from ..errors import ApiError

    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except (
        ApiError
    ) as refusal:  # a refusal of the flow (a customer not found ...): its words, not a traceback
        print(f"ventanilla: {refusal.message('es')} / {refusal.message('en')}", file=sys.stderr)
        return 2
