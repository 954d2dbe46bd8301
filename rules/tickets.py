"""Ticket rules (FEATURES.md C2, C3, C5): the day a daily limit counts, a subject from a description,
and what a reply does to a closed ticket."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..connectors.records import TicketStatus

SUBJECT_WORDS = 8  # a subject left out is the description's first words ...
SUBJECT_LENGTH = 80  # ... up to this many characters
MAX_SUBJECT = 200  # the longest subject a ticket keeps (native tickets.subject)
MAX_BODY = 10_000  # the longest description or reply


def day_window_ends(moment: datetime, zone: ZoneInfo) -> datetime:
    """When the business's day of `moment` ends: the next local midnight, in UTC. A daily limit
    ("5 tickets a day") counts in that window; a new one opens at that midnight of the business's
    time zone, not the server's or UTC's (a DST change makes that day 23 or 25 hours long)."""
    local = moment.astimezone(zone)
    tomorrow = local.date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=zone).astimezone(UTC)


def subject_of(description: str) -> str:
    """A subject for a ticket whose caller gave none: the first words of its description."""
    words = description.split()
    subject = " ".join(words[:SUBJECT_WORDS])
    if len(subject) > SUBJECT_LENGTH:
        subject = subject[:SUBJECT_LENGTH].rsplit(" ", 1)[0] or subject[:SUBJECT_LENGTH]
    if len(words) > SUBJECT_WORDS or len(subject) < len(" ".join(words)):
        subject = re.sub(r"[\s,;:.]+$", "", subject) + "…"
    return subject


def status_after_reply(status: TicketStatus, from_customer: bool) -> TicketStatus | None:
    """The status a reply leaves the ticket in, None for unchanged: the customer answering a closed
    ticket reopens it (the problem is back, 001 "si vuelve a ocurrir puede reabrirlo"); staff
    writing on a closed ticket leave it closed."""
    if status is TicketStatus.CLOSED and from_customer:
        return TicketStatus.OPEN
    return None
