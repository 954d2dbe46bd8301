"""`ventanilla payments reconcile [--minutes N]`: a missed webhook is not a lost payment (B9).

Asks each provider that can look payments up (Provider.look_up) about the attempts still PENDING
after N minutes (default `[payments] reconcile_minutes`), records what it confirms through the
same once-only path as a notification (resolvers/payments.py `record`), and marks EXPIRED the
attempts older than `[payments] attempt_minutes` the provider knows nothing of. Run it from cron
(every few minutes); two runs at once, or a run and a late webhook, still record one payment.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets


def _reconcile(args: argparse.Namespace) -> int:
    from ..resolvers.payments import reconcile
    from ..settings import load_settings
    from ..web.app import create_app

    settings = load_settings(args.config, **({"database_url": args.db} if args.db else {}))
    if not settings.secret_key:  # nothing is signed here; the app factory wants a key all the same
        settings = settings.model_copy(update={"secret_key": secrets.token_urlsafe(32)})
    minutes = settings.payments_reconcile_minutes if args.minutes is None else args.minutes
    app = create_app(settings)

    async def run() -> int:
        try:
            done = await reconcile(app.state.services, minutes)
        finally:
            await app.state.close()
        recorded = done.recorded or []
        print(f"Consultados / asked: {done.asked}; registrados / recorded: {len(recorded)}; "
              f"vencidos / expired: {done.expired}; sin respuesta / unavailable: {done.unavailable}")  # fmt: skip
        for each in recorded:
            print(
                f"  {each.reference}  {each.outcome}"
                + (f"  payment {each.payment_id}" if each.payment_id else "")
            )
        return 1 if done.unavailable else 0

    return asyncio.run(run())


def add_payments_command(commands: argparse._SubParsersAction) -> None:
    payments = commands.add_parser(
        "payments", help="online payments: reconcile pending attempts with the providers"
    )
    actions = payments.add_subparsers(dest="action", required=True)
    reconcile = actions.add_parser(
        "reconcile", help="ask the providers about attempts pending for N minutes; record what they confirm"
    )
    reconcile.add_argument(
        "--minutes", type=int, help="pending at least this long (default [payments] reconcile_minutes)"
    )
    reconcile.add_argument("--config", help="ventanilla.toml (default: ./ventanilla.toml if present)")
    reconcile.add_argument("--db", help="the store's URL, instead of the configuration's [store] url")
    reconcile.set_defaults(run=_reconcile)
