"""`ventanilla access|partners|staff`: the business's side of access from the command line (FEATURES.md A7, A11, A12)."""

from __future__ import annotations

import argparse
import asyncio
import secrets
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

CLI_ACTOR = "cli"


def _run(args: argparse.Namespace, work: Callable[..., Awaitable[int]]) -> int:
    from ..auth.services import AccessServices
    from ..settings import load_settings
    from ..store.engine import Store
    from ..store.schema import migrate

    settings = load_settings(args.config, **({"database_url": args.db} if args.db else {}))

    async def main() -> int:
        engine = create_async_engine(settings.database_url)
        try:
            await migrate(engine)  # a new deployment's store gets every table here (store/schema.py)
            # The CLI signs no tokens; a throw-away key only keys hashes it never compares.
            store = Store(engine, settings.store_timeout_seconds)
            services = AccessServices.build(store, settings.secret_key or secrets.token_urlsafe(32), settings)
            return await work(args, services, engine)
        finally:
            await engine.dispose()

    return asyncio.run(main())


@asynccontextmanager
async def _source(args: argparse.Namespace, services, engine: AsyncEngine):  # noqa: ANN001, ANN202
    """The deployment's billing source, as the server builds it: the customers may live in a legacy
    ERP that ventanilla.toml routes to, not in the store."""
    from pathlib import Path

    from ..connectors.routing import build_source

    source = build_source(services.settings, engine, Path(args.config) if args.config else None)
    try:
        yield source
    finally:
        if hasattr(source, "dispose"):
            await source.dispose()  # the legacy pools (the store's engine is the caller's)


async def _grant(args: argparse.Namespace, services, engine: AsyncEngine) -> int:  # noqa: ANN001
    from ..auth.grants import grant_access
    from ..auth.services import Caller
    from ..store.mail import SENT, mail_entries

    async with _source(args, services, engine) as source:
        granted = await grant_access(services, source, args.customer_id, args.login, not args.no_email,
                                     CLI_ACTOR, Caller(language=args.language))  # fmt: skip
    print(
        f"{granted.login}: {'nuevo usuario / new user' if granted.created else 'usuario existente / existing user'}"
    )
    if granted.temporary_password:
        print(f"  contraseña temporal / temporary password: {granted.temporary_password}")
    if granted.message_id is not None:
        # Sent from here at once; a failure leaves it queued for the servers' workers, which can
        # read it only when this command ran with the deployment's secret key.
        await services.outbox.deliver_due([granted.message_id])
        async with engine.connect() as conn:
            (entry,) = await mail_entries(conn, 1, message_id=granted.message_id)
        state = "enviado / sent" if entry.status == SENT else f"en cola / queued ({entry.last_error})"
        print(f"  correo / email: {state}")
    else:
        print("  correo / email: no")
    return 0


async def _revoke(args: argparse.Namespace, services, engine: AsyncEngine) -> int:  # noqa: ANN001
    from ..auth.grants import revoke_access
    from ..auth.services import Caller

    async with _source(args, services, engine) as source:
        affected = await revoke_access(services, source, args.customer_id, CLI_ACTOR, Caller())
    print(f"{affected} usuario(s) sin acceso a / user(s) lost access to customer {args.customer_id}")
    return 0


async def _reset(args: argparse.Namespace, services, engine: AsyncEngine) -> int:  # noqa: ANN001
    from ..auth.grants import reset_to_temporary

    password = await reset_to_temporary(services, args.login, CLI_ACTOR)
    print(f"{args.login}: contraseña temporal / temporary password: {password}")
    return 0


async def _list_users(kind: str, engine: AsyncEngine) -> int:
    from ..store.users import list_users

    async with engine.connect() as conn:
        for user in await list_users(conn, kind):
            state = (
                "disabled"
                if user.disabled
                else ("must change password" if user.must_change_password else "ok")
            )
            extra = user.role if kind == "STAFF" else ",".join(user.customer_ids)
            print(f"{user.login:<32} {user.name:<28} {extra:<20} {state}")
    return 0


async def _list(args: argparse.Namespace, services, engine: AsyncEngine) -> int:  # noqa: ANN001
    return await _list_users("CUSTOMER", engine)


async def _audit(args: argparse.Namespace, services, engine: AsyncEngine) -> int:  # noqa: ANN001
    from ..store.access import audit_entries

    async with engine.connect() as conn:
        for e in await audit_entries(conn, args.limit, args.login, args.event):
            print(f"{e.at:%Y-%m-%d %H:%M:%S} {e.event:<16} {e.outcome:<20} {e.login or '-':<28} "
                  f"ip={e.ip or '-'} actor={e.actor or '-'} {e.detail or ''}")  # fmt: skip
    return 0


async def _emails(args: argparse.Namespace, services, engine: AsyncEngine) -> int:  # noqa: ANN001
    from ..store.mail import mail_entries

    async with engine.connect() as conn:
        for m in await mail_entries(conn, args.limit, args.status):
            when = m.sent_at or m.failed_at or m.next_attempt_at or m.created_at
            print(f"{m.created_at:%Y-%m-%d %H:%M:%S} {m.template:<8} {m.recipient:<32} {m.status:<7} "
                  f"attempts={m.attempts} {when:%Y-%m-%d %H:%M:%S} {m.last_error or ''}")  # fmt: skip
    return 0


async def _partner_add(args: argparse.Namespace, services, engine: AsyncEngine) -> int:  # noqa: ANN001
    from ..auth.partners import register_client

    scopes = [s for part in args.scopes for s in part.replace(",", " ").split()]
    origins = [o for part in args.origins for o in part.replace(",", " ").split()]
    try:
        registered = await register_client(services, args.name, scopes, origins, CLI_ACTOR)
    except ValueError as exc:
        raise SystemExit(str(exc)) from None
    print(f"client_id:     {registered.client_id}")
    print(f"client_secret: {registered.client_secret}")
    print("Guardá el secreto ahora: no se vuelve a mostrar / keep the secret now: it is not shown again.")
    return 0


async def _partner_list(args: argparse.Namespace, services, engine: AsyncEngine) -> int:  # noqa: ANN001
    from ..store.partners import list_clients

    async with engine.connect() as conn:
        for c in await list_clients(conn):
            state = "disabled" if c.disabled else "ok"
            print(
                f"{c.client_id:<22} {c.name:<28} {' '.join(sorted(c.scopes)):<40} {' '.join(c.origins)} {state}"
            )
    return 0


async def _partner_disable(args: argparse.Namespace, services, engine: AsyncEngine) -> int:  # noqa: ANN001
    from ..store.partners import set_client_disabled

    async with engine.begin() as conn:
        found = await set_client_disabled(conn, args.client_id, True)
    print("deshabilitado / disabled" if found else "no existe / not found")
    return 0 if found else 1


def _document(args: argparse.Namespace) -> str:
    """The document to register: --query's text or the file's, exactly as the client sends it;
    one that is not valid GraphQL against the served schema is refused before it is kept."""
    from pathlib import Path

    from graphql import parse, validate
    from graphql.error import GraphQLError

    from ..schema.root import build_schema

    if (args.file is None) == (args.query is None):
        raise SystemExit("partners queries add: un archivo o --query / a FILE or --query, one of them")
    try:
        text = args.query if args.query is not None else Path(args.file).read_text(encoding="utf-8")
    except OSError as failure:
        raise SystemExit(f"{args.file}: {failure}") from None
    try:
        problems = validate(build_schema()._schema, parse(text))
    except GraphQLError as failure:
        problems = [failure]
    if problems:
        raise SystemExit(
            "no es un documento válido / not a valid document: " + "; ".join(p.message for p in problems[:3])
        )
    return text


async def _queries_add(args: argparse.Namespace, services, engine: AsyncEngine) -> int:  # noqa: ANN001
    from ..store.access import audit
    from ..store.partners import add_query, client_by_id
    from ..web.persisted import sha256

    text = _document(args)
    digest = sha256(text)
    async with engine.begin() as conn:
        if await client_by_id(conn, args.client_id) is None:
            print("no existe / not found")
            return 1
        new = await add_query(conn, args.client_id, digest, text)
        await audit(conn, "PARTNER_QUERY_ADDED", "OK" if new else "REPEATED", login=args.client_id,
                                   actor=CLI_ACTOR, detail=digest)  # fmt: skip
    print(f"{digest} {'registrado / registered' if new else 'ya registrado / already registered'}")
    print(f"{args.client_id}: solo corre sus documentos registrados / runs only its registered documents")
    return 0


async def _queries_list(args: argparse.Namespace, services, engine: AsyncEngine) -> int:  # noqa: ANN001
    from ..store.partners import client_by_id, list_queries

    async with engine.connect() as conn:
        client = await client_by_id(conn, args.client_id)
        if client is None:
            print("no existe / not found")
            return 1
        listed = await list_queries(conn, args.client_id)
    mode = "lista / allow-list" if client.queries_only else "libre / any document"
    print(f"{client.client_id} {client.name}: {mode}, {len(listed)} documento(s)")
    for q in listed:
        print(f"{q.sha256} {q.created_at:%Y-%m-%d %H:%M} {' '.join(q.query.split())[:60]}")
    return 0


async def _queries_remove(args: argparse.Namespace, services, engine: AsyncEngine) -> int:  # noqa: ANN001
    from ..store.access import audit
    from ..store.partners import remove_query

    async with engine.begin() as conn:
        found = await remove_query(conn, args.client_id, args.hash.lower())
        if found:
            await audit(conn, "PARTNER_QUERY_REMOVED", "OK", login=args.client_id, actor=CLI_ACTOR,
                                       detail=args.hash.lower())  # fmt: skip
    print("quitado / removed" if found else "no existe / not found")
    return 0 if found else 1


async def _queries_off(args: argparse.Namespace, services, engine: AsyncEngine) -> int:  # noqa: ANN001
    from ..store.access import audit
    from ..store.partners import set_queries_only

    async with engine.begin() as conn:
        found = await set_queries_only(conn, args.client_id, False)
        if found:
            await audit(conn, "PARTNER_QUERIES_OFF", "OK", login=args.client_id, actor=CLI_ACTOR)
    print("corre cualquier documento / runs any document" if found else "no existe / not found")
    return 0 if found else 1


async def _staff_add(args: argparse.Namespace, services, engine: AsyncEngine) -> int:  # noqa: ANN001
    from ..auth.grants import add_staff

    password = await add_staff(services, args.login, args.name or args.login, args.role, CLI_ACTOR)
    print(f"{args.login} ({args.role}): contraseña temporal / temporary password: {password}")
    return 0


async def _staff_list(args: argparse.Namespace, services, engine: AsyncEngine) -> int:  # noqa: ANN001
    return await _list_users("STAFF", engine)


async def _disable(args: argparse.Namespace, services, engine: AsyncEngine) -> int:  # noqa: ANN001
    from ..auth.grants import disable_user

    await disable_user(services, args.login, CLI_ACTOR)
    print(f"{args.login}: deshabilitado / disabled; sus sesiones terminaron / its sessions ended")
    return 0


def _command(parent: argparse._SubParsersAction, name: str, help: str, work: Callable[..., Awaitable[int]]):  # noqa: ANN202
    command = parent.add_parser(name, help=help)
    command.add_argument("--config", help="ventanilla.toml (default: ./ventanilla.toml if present)")
    command.add_argument("--db", help="store database URL (default: the configured one)")
    command.set_defaults(run=lambda args: _run(args, work))
    return command


def add_access_commands(commands: argparse._SubParsersAction) -> None:
    """Register `access`, `partners` and `staff` on the `ventanilla` command."""
    access = commands.add_parser(
        "access", help="grant, revoke, reset and list customers' portal access; audit log, emails"
    )
    sub = access.add_subparsers(dest="action", required=True)
    grant = _command(sub, "grant", "give a customer account a portal user", _grant)
    grant.add_argument("customer_id", help="the customer's id in the billing source")
    grant.add_argument("--login", help="the user's email (default: the account's primary email)")
    grant.add_argument("--no-email", action="store_true", help="do not send the access email")
    grant.add_argument("--language", default="es", choices=["es", "en"], help="language of the email")
    revoke = _command(sub, "revoke", "take portal access away from a customer account, at once", _revoke)
    revoke.add_argument("customer_id")
    reset = _command(sub, "reset", "give a user a new temporary password (sessions end)", _reset)
    reset.add_argument("login")
    _command(sub, "list", "list customer users and their accounts", _list)
    audit = _command(sub, "audit", "show the access audit log, newest first", _audit)
    audit.add_argument("--limit", type=int, default=50)
    audit.add_argument("--login")
    audit.add_argument("--event")
    emails = _command(sub, "emails", "show the access emails queued, sent and failed, newest first", _emails)
    emails.add_argument("--status", choices=["QUEUED", "SENT", "FAILED"])
    emails.add_argument("--limit", type=int, default=50)

    partners = commands.add_parser(
        "partners", help="partners' client applications (OAuth2 client credentials)"
    )
    psub = partners.add_subparsers(dest="action", required=True)
    add = _command(psub, "add", "register a client; prints its id and secret once", _partner_add)
    add.add_argument("name")
    add.add_argument("--scopes", nargs="+", required=True, help="e.g. customers:read billing:read")
    add.add_argument(
        "--origins",
        nargs="*",
        default=[],
        help="browser origins allowed by CORS, e.g. https://portal.socio.com",
    )
    _command(psub, "list", "list registered clients", _partner_list)
    pdisable = _command(psub, "disable", "disable a client: its tokens stop at once", _partner_disable)
    pdisable.add_argument("client_id")
    queries = psub.add_parser("queries", help="allow-list mode: the only documents a client may run")
    qsub = queries.add_subparsers(dest="queries_action", required=True)
    qadd = _command(
        qsub, "add", "register a document for a client and put it in allow-list mode", _queries_add
    )
    qadd.add_argument("client_id")
    qadd.add_argument("file", nargs="?", help="a file holding the document, exactly as the client sends it")
    qadd.add_argument("--query", help="the document's text instead of a file")
    qlist = _command(qsub, "list", "list a client's registered documents (hash, date, text)", _queries_list)
    qlist.add_argument("client_id")
    qremove = _command(
        qsub,
        "remove",
        "forget one registered document (the client stays in allow-list mode)",
        _queries_remove,
    )
    qremove.add_argument("client_id")
    qremove.add_argument("hash", help="the document's SHA-256, as add and list print it")
    qoff = _command(
        qsub, "off", "leave allow-list mode: the client runs any document its scopes allow", _queries_off
    )
    qoff.add_argument("client_id")

    staff = commands.add_parser(
        "staff", help="staff users: analysts (read-only), agents (helpdesk) and admins"
    )
    ssub = staff.add_subparsers(dest="action", required=True)
    sadd = _command(ssub, "add", "add a staff user; prints a temporary password once", _staff_add)
    sadd.add_argument("login")
    sadd.add_argument("--name")
    sadd.add_argument("--role", default="analyst", choices=["analyst", "agent", "admin"])
    _command(ssub, "list", "list staff users", _staff_list)
    sdisable = _command(ssub, "disable", "disable a staff user: its sessions end at once", _disable)
    sdisable.add_argument("login")
