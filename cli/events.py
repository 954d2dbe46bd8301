"""`ventanilla events list|resend`: the domain events' deliveries to the business's sinks (docs/events.md)."""

from __future__ import annotations

import argparse

from sqlalchemy.ext.asyncio import AsyncEngine

from .access import CLI_ACTOR, _command


async def _list(args: argparse.Namespace, services, engine: AsyncEngine) -> int:  # noqa: ANN001
    from ..store.events import delivery_entries

    async with engine.connect() as conn:
        for d in await delivery_entries(conn, args.limit, args.status):
            when = d.delivered_at or d.dead_at or d.next_attempt_at or d.occurred_at
            print(f"{d.occurred_at:%Y-%m-%d %H:%M:%S} {d.event_id} {d.type:<28} {d.sink:<12} {d.status:<9} "
                  f"attempts={d.attempts} {when:%Y-%m-%d %H:%M:%S} {d.last_error or ''}")  # fmt: skip
    return 0


async def _resend(args: argparse.Namespace, services, engine: AsyncEngine) -> int:  # noqa: ANN001
    from ..store.access import audit, now
    from ..store.events import resend

    async with engine.begin() as conn:
        sinks = await resend(conn, args.event_id, args.sink, now())
        if sinks:
            await audit(conn, "EVENT_RESENT", "OK", actor=CLI_ACTOR, object_id=args.event_id,
                        detail=f"to {', '.join(sinks)}")  # fmt: skip
    if not sinks:
        print(f"no delivery of event {args.event_id}" + (f" to {args.sink}" if args.sink else ""))
        return 1
    print(f"event {args.event_id}: due again to {', '.join(sinks)} (a running relay delivers it within "
          "[events] poll_seconds)")  # fmt: skip
    return 0


def add_events_commands(commands: argparse._SubParsersAction) -> None:
    """Register `events` on the `ventanilla` command."""
    events = commands.add_parser("events", help="domain events' deliveries to the sinks: list them, resend one")
    sub = events.add_subparsers(dest="action", required=True)
    listing = _command(sub, "list", "show the deliveries of the newest events: queued, delivered, dead", _list)
    listing.add_argument("--status", choices=["QUEUED", "DELIVERED", "DEAD"])
    listing.add_argument("--limit", type=int, default=50)
    again = _command(sub, "resend", "make an event's dead (or delivered) deliveries due again", _resend)
    again.add_argument("event_id")
    again.add_argument("--sink", help="only to this sink (default: every sink it was owed to)")
