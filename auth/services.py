"""What the access flows share: the store, the key, limits, the outbox; opening sessions; the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from ..settings import Settings
from ..store import access as store
from ..store.access import AuditEntry
from ..store.engine import Store
from ..store.mail import MailEntry, mail_entries
from ..store.users import User
from .mail import Templates, mailer_for
from .onetime import keyed_hash, new_refresh_token
from .outbox import Outbox
from .passwords import use_hashing_threads
from .principals import Principal, PrincipalKind, StaffRole
from .ratelimit import AttemptLimiter
from .tokens import issue_access_token


@dataclass(frozen=True, slots=True)
class Caller:
    """Facts of the request a flow runs for: the client address (rate limits, audit) and language (emails)."""

    ip: str | None = None
    language: str = "es"


@dataclass
class AccessServices:
    """One per application: every worker builds its own, sharing state only through the store and Redis."""

    store: Store  # every use bounded by [store] timeout_seconds (store/engine.py)
    secret: str
    settings: Settings
    limiter: AttemptLimiter
    outbox: Outbox  # access mail is queued here, never sent inside a request
    templates: Templates

    @classmethod
    def build(cls, store: Store, secret: str, settings: Settings) -> AccessServices:
        use_hashing_threads(settings.password_hash_threads)
        return cls(
            store=store,
            secret=secret,
            settings=settings,
            limiter=AttemptLimiter.for_settings(settings),
            outbox=Outbox(store, secret, settings,
                          mailer_for(settings.smtp_url, settings.mail_from, settings.mail_timeout_seconds,
                                     settings.demo)),  # fmt: skip
            templates=Templates(settings.mail_templates_dir),
        )

    def hash(self, purpose: str, value: str) -> str:
        return keyed_hash(self.secret, f"{purpose}:{value}")

    async def audit(self, event: str, outcome: str, caller: Caller | None = None, **fields: object) -> None:
        """In its own transaction: a failure is recorded even when the flow's own work is rolled back."""
        async with self.store.begin() as conn:
            await store.audit(conn, event, outcome, ip=caller.ip if caller else None, **fields)  # type: ignore[arg-type]

    async def audit_log(self, first: int, login: str | None = None, event: str | None = None) -> list[AuditEntry]:
        """The newest `first` audited events, optionally about one login or of one kind."""
        async with self.store.connect() as conn:
            return await store.audit_entries(conn, first, login, event)

    async def outgoing_emails(self, first: int, status: str | None = None) -> list[MailEntry]:
        """The newest `first` access emails, optionally only QUEUED, SENT or FAILED ones."""
        async with self.store.connect() as conn:
            return await mail_entries(conn, first, status)


def principal_of(user: User, session_id: str | None = None) -> Principal:
    if user.kind == "STAFF":
        return Principal(
            kind=PrincipalKind.STAFF,
            user_id=user.id,
            name=user.name,
            role=StaffRole(user.role or "analyst"),
            must_change_password=user.must_change_password,
            session_id=session_id,
        )
    return Principal(
        kind=PrincipalKind.CUSTOMER,
        user_id=user.id,
        name=user.name,
        customer_ids=user.customer_ids,
        must_change_password=user.must_change_password,
        session_id=session_id,
    )


@dataclass(frozen=True, slots=True)
class SignedIn:
    access_token: str
    expires_in: int
    principal: Principal
    refresh_token: str | None = None


async def open_session(
    conn: AsyncConnection, services: AccessServices, user: User, remember: bool, caller: Caller
) -> SignedIn:
    """A session row, an access token naming it and, with rememberMe, its first refresh token (A2)."""
    settings = services.settings
    lifetime = timedelta(days=settings.refresh_days) if remember else timedelta(hours=settings.session_hours)
    session_id = await store.create_session(conn, user.id, remember, store.now() + lifetime, caller.ip)
    refresh = await rotate_refresh(conn, services, session_id) if remember else None
    token, expires_in = issue_access_token(services.secret, user.id, settings.access_token_minutes, session_id)
    return SignedIn(token, expires_in, principal_of(user, session_id), refresh)


async def rotate_refresh(conn: AsyncConnection, services: AccessServices, session_id: str) -> str:
    token = new_refresh_token()
    await store.add_refresh_token(conn, session_id, services.hash("refresh", token))
    return token


def session_is_live(revoked: bool, expires_at: datetime | None) -> bool:
    expires = store.aware(expires_at)
    return not revoked and expires is not None and expires > store.now()
