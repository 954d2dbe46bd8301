"""Limits on sign-in attempts and on access emails, per login and per client IP, through `limits`.

The counters live in Redis when a URL is configured (one count for every worker and
instance), in the process otherwise. An attempt is counted *before* its secret is checked
(`reserve`: one atomic increment that returns the new count, Redis INCRBY or the memory
storage's locked increment), so that concurrent attempts cannot all pass a check made
before any of them was counted. A sign-in that succeeds clears the login's count and gives
the address its reserved attempt back: only failures count against an address (an office
behind one address signs many people in), and a refund can only follow a right secret.
Logins are counted by their normalised key (`LoginKey.counter`), so every spelling of one
tax id, code or email shares one counter.

Without its counters no secret is checked (fail closed): a Redis that refuses, drops or never
answers makes `reserve` raise `StoreUnavailable` within `timeout` seconds ([store]
timeout_seconds: the client's sockets give up by then, and each call as a whole is cut at it),
which the caller sees as the retryable STORE_UNAVAILABLE.
"""

from __future__ import annotations

import logging
import math
import time
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import FixedWindowRateLimiter
from limits.errors import StorageError
from limits.storage import storage_from_string

from ..settings import Settings
from ..store.engine import unavailable_after

log = logging.getLogger("ventanilla.auth")

SIGN_IN = "ventanilla-sign-in"  # signIn and signInWithCode: attempts at a secret
EMAILS = "ventanilla-emails"  # requestPasswordReset and requestSignInCode: emails sent to a login
READY_KEY = "ventanilla-ready"  # read (never written) by the readiness check


@dataclass(frozen=True, slots=True)
class Blocked:
    """Why and for how long: the key that hit its limit and the seconds until it resets."""

    key: str
    retry_after: int


@dataclass(frozen=True, slots=True)
class _Limits:
    per_login: RateLimitItem
    per_ip: RateLimitItem


class AttemptLimiter:
    """The counters of each limited action (SIGN_IN, EMAILS), in one storage."""

    def __init__(
        self, limits: dict[str, tuple[str, str]], redis_url: str | None = None, timeout: float = 3.0
    ) -> None:
        """`limits`: for each action, its (per login, per IP) limits in `limits` notation."""
        self.timeout = timeout
        if redis_url:
            # limits' async Redis storage, on the redis-py client (redis.asyncio); its failures
            # wrapped in limits' StorageError, its sockets giving up within the timeout.
            uri = "async+" + redis_url if not redis_url.startswith("async+") else redis_url
            storage = storage_from_string(
                uri, implementation="redispy", wrap_exceptions=True,
                socket_timeout=timeout, socket_connect_timeout=timeout,
            )  # fmt: skip
        else:
            storage = storage_from_string("async+memory://")
        assert isinstance(storage, Storage)
        self.storage = storage
        self.limiter = FixedWindowRateLimiter(storage)
        self.limits = {action: _Limits(parse(login), parse(ip)) for action, (login, ip) in limits.items()}

    @classmethod
    def for_settings(cls, settings: Settings) -> AttemptLimiter:
        return cls(
            {
                SIGN_IN: (settings.login_attempts, settings.ip_attempts),
                EMAILS: (settings.login_emails, settings.ip_emails),
            },
            settings.redis_url,
            settings.store_timeout_seconds,
        )

    def _bounded(self) -> AbstractAsyncContextManager[None]:
        return unavailable_after(self.timeout, "Redis (the sign-in counters)", _is_outage)

    async def ping(self) -> None:
        """One round trip to the counters' storage (readiness). Not `storage.check()`: it swallows
        every exception, a cancellation included."""
        async with self._bounded():
            await self.storage.get(READY_KEY)

    def _keys(self, action: str, login: str, ip: str | None) -> list[tuple[RateLimitItem, str, str]]:
        limits = self.limits[action]
        keys = [(limits.per_login, "login", login)]
        if ip:
            keys.append((limits.per_ip, "ip", ip))
        return keys

    async def reserve(self, action: str, login: str, ip: str | None) -> Blocked | None:
        """Count one attempt against `login` (a `LoginKey.counter`) and the address, before the
        work it limits; the first limit it went past, else None. A refused attempt counts too.
        StoreUnavailable when the counters cannot be reached: the work must not go ahead."""
        blocked: Blocked | None = None
        async with self._bounded():
            for item, kind, value in self._keys(action, login, ip):
                if not await self.limiter.hit(item, action, kind, value) and blocked is None:
                    stats = await self.limiter.get_window_stats(item, action, kind, value)
                    blocked = Blocked(kind, max(1, math.ceil(stats.reset_time - time.time())))
        return blocked

    async def succeeded(self, action: str, login: str, ip: str | None) -> None:
        """The secret was right: the login starts afresh and the address gets its attempt back."""
        limits = self.limits[action]
        async with self._bounded():
            await self.limiter.clear(limits.per_login, action, "login", login)
            if ip:
                # A negative increment; should the window have ended meanwhile, the address merely
                # starts its next window one attempt richer.
                item = limits.per_ip
                await self.storage.incr(item.key_for(action, "ip", ip), item.get_expiry(), amount=-1)


def _is_outage(failure: BaseException) -> bool:
    """Redis refused, dropped or timed out (limits wraps the client's errors in StorageError)."""
    return isinstance(failure, StorageError | OSError)
