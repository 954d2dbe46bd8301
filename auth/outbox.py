"""Outgoing access mail: queued in the store with the secret it carries, delivered by a worker.

A flow queues its mail in the transaction that creates the reset link, code or user
(`Outbox.queue`), so a mail exists exactly when its secret does, and the request answers at
once whatever SMTP does. Each application runs one worker (`start`, in the app's lifespan; its
loop is store/worker.py's, the event relay's too):
woken in process by a fresh mail, and polling every `mail_poll_seconds` for mail queued by other
processes or due for a retry. A mail is claimed by a lease (store/mail.py), so on one store each
is sent by one worker; a worker that dies mid-send leaves it to be sent again when the lease
runs out (at least once; the Message-ID stays the same so receivers can drop the copy).
Failures retry with exponential backoff and jitter; after `mail_max_attempts`, or when the
server refuses the recipient, or once the link or code has expired, the mail is failed,
audited (`EMAIL_FAILED`) and listed for admins. The text is stored sealed (auth/sealing.py) and
erased once the mail is settled; no error kept or logged holds it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.utils import make_msgid

from aiosmtplib import SMTPRecipientsRefused
from sqlalchemy.ext.asyncio import AsyncConnection

from ..observe import Delivery, delivery
from ..settings import Settings
from ..store import mail as store
from ..store.access import audit, now
from ..store.engine import Store
from ..store.worker import PollingWorker, backoff
from .mail import Mail, Mailer
from .sealing import Sealer, Unreadable

log = logging.getLogger("ventanilla.mail")

BATCH = 20  # mails one pass claims, one after the other
UNREADABLE = "cannot be decrypted: sealed under another secret key"


class Outbox(PollingWorker):
    """One per application: queue access mail, and the worker that delivers it (its loop:
    store/worker.py)."""

    name = "ventanilla-outbox"
    what = "outgoing mail"

    def __init__(self, store: Store, secret: str, settings: Settings, mailer: Mailer) -> None:
        super().__init__(log)
        self.store = store  # connect() and begin(), each bounded by [store] timeout_seconds
        self.settings = settings
        self.mailer = mailer
        self._sealer = Sealer(secret, "outgoing mail")

    @property
    def lease(self) -> timedelta:
        """Long enough for one delivery (bounded by its timeout) and the update that settles it."""
        return timedelta(seconds=self.settings.mail_timeout_seconds + 30)

    @property
    def poll_seconds(self) -> float:
        return self.settings.mail_poll_seconds

    async def queue(
        self, conn: AsyncConnection, mail: Mail, user_id: int, expires_at: datetime | None = None
    ) -> str:
        """Queue `mail` about `user_id` in the caller's transaction (nothing for store.users.NOBODY);
        its Message-ID. Call `wake()` once the transaction has committed."""
        message_id = make_msgid(domain="ventanilla")
        sealed = self._sealer.seal(json.dumps({"subject": mail.subject, "body": mail.body}))
        await store.queue(conn, user_id=user_id, message_id=message_id, recipient=mail.to, template=mail.template,
                          language=mail.language, sealed=sealed, created_at=now(), expires_at=expires_at)  # fmt: skip
        return message_id

    async def deliver_due(self, only: Sequence[str] = ()) -> float | None:
        """Send the mail due now (only these Message-IDs, if given); the seconds until the soonest
        retry this pass scheduled, 0 when more is due, None when nothing is waiting on this worker."""
        async with self.store.connect() as conn:
            due = await store.due(conn, now(), BATCH, only)
        soonest: float | None = 0.0 if len(due) == BATCH else None
        for mail_id in due:
            if self._stopping:
                break
            retry = await self._deliver(mail_id)
            if retry is not None:
                soonest = retry if soonest is None else min(soonest, retry)
        return soonest

    async def _deliver(self, mail_id: int) -> float | None:
        """One attempt at one mail; the seconds until its retry, if one was scheduled."""
        started = now()
        async with self.store.begin() as conn:
            claimed = await store.claim(conn, mail_id, started, started + self.lease)
        if claimed is None:
            return None  # another worker took it first
        # Observed (a span per attempt with tracing on: observe.py, web/tracing.py); never the address.
        async with delivery("mail", template=claimed.template, attempt=claimed.attempts) as attempt:
            return await self._attempt(claimed, started, attempt)

    async def _attempt(self, claimed: store.ClaimedMail, started: datetime, attempt: Delivery) -> float | None:
        if claimed.expires_at is not None and claimed.expires_at <= started:
            await self._give_up(claimed, "EXPIRED", "its link or code expired before it could be sent", attempt)
            return None
        try:
            mail = self._open(claimed)
        except Unreadable:
            return await self._failed(claimed, UNREADABLE, False, attempt)
        try:
            async with asyncio.timeout(self.settings.mail_timeout_seconds):
                await self.mailer.send(mail, claimed.message_id)
        except Exception as error:  # noqa: BLE001 - any SMTP or network failure is retried
            return await self._failed(claimed, describe(error, mail), refused(error), attempt)
        async with self.store.begin() as conn:
            await store.mark_sent(conn, claimed, now())
        attempt.outcome = "sent"
        return None

    def _open(self, claimed: store.ClaimedMail) -> Mail:
        if claimed.sealed is None:
            raise Unreadable
        text = json.loads(self._sealer.open(claimed.sealed))
        return Mail(claimed.recipient, text["subject"], text["body"], claimed.template)

    async def _failed(self, claimed: store.ClaimedMail, error: str, permanent: bool, attempt: Delivery) -> float | None:
        if permanent:
            await self._give_up(claimed, "REFUSED", error, attempt)
            return None
        if claimed.attempts >= self.settings.mail_max_attempts:
            await self._give_up(claimed, "GAVE_UP", error, attempt)
            return None
        attempt.outcome = "retry"
        delay = backoff(self.settings.mail_retry_seconds, claimed.attempts)
        async with self.store.begin() as conn:
            await store.retry_at(conn, claimed, now() + delay, error)
        log.warning("email %s (%s) not sent, attempt %d: %s; next in %.0f s",
                    claimed.id, claimed.template, claimed.attempts, error, delay.total_seconds())  # fmt: skip
        return delay.total_seconds()

    async def _give_up(self, claimed: store.ClaimedMail, outcome: str, error: str, attempt: Delivery) -> None:
        attempt.outcome = outcome.lower()  # refused, gave_up, expired
        async with self.store.begin() as conn:
            if await store.mark_failed(conn, claimed, now(), error):
                await audit(conn, "EMAIL_FAILED", outcome, login=claimed.recipient, user_id=claimed.user_id,
                            detail=f"{claimed.template} email {claimed.id}, {claimed.attempts} attempt(s): {error}")  # fmt: skip
        log.warning("email %s (%s) failed for good (%s) after %d attempt(s): %s",
                    claimed.id, claimed.template, outcome, claimed.attempts, error)  # fmt: skip



def refused(error: Exception) -> bool:
    """The server refused every recipient for good (5xx): no retry will change that."""
    return isinstance(error, SMTPRecipientsRefused) and all(500 <= r.code < 600 for r in error.recipients)


def describe(error: Exception, mail: Mail) -> str:
    """What went wrong, in the server's or the network's words; never a piece of the mail (a
    server may quote what it refused): then only the kind of error."""
    text = f"{type(error).__name__}: {error}".strip().rstrip(":")[:200]
    pieces = set(re.findall(r"\S{6,}", f"{mail.subject}\n{mail.body}"))
    if any(piece in text for piece in pieces):
        return type(error).__name__
    return text
