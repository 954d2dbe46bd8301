"""Brute-force limits on failed sign-ins, per login and per client IP, through `limits`.

The counters live in Redis when a URL is configured (one count for every worker and
instance), in the process otherwise. A failure counts against both keys; a success
clears the login's count (not the IP's: one address trying many logins stays limited).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.strategies import FixedWindowRateLimiter
from limits.storage import storage_from_string

log = logging.getLogger("ventanilla.auth")

_NAMESPACE = "ventanilla-sign-in"


@dataclass(frozen=True, slots=True)
class Blocked:
    """Why and for how long: the key that hit its limit and the seconds until it resets."""

    key: str
    retry_after: int


class AttemptLimiter:
    def __init__(self, per_login: str, per_ip: str, redis_url: str | None = None) -> None:
        if redis_url:
            # limits' async Redis storage, on the redis-py client (redis.asyncio).
            uri = "async+" + redis_url if not redis_url.startswith("async+") else redis_url
            storage = storage_from_string(uri, implementation="redispy")
        else:
            storage = storage_from_string("async+memory://")
        self.storage = storage
        self.limiter = FixedWindowRateLimiter(storage)
        self.per_login: RateLimitItem = parse(per_login)
        self.per_ip: RateLimitItem = parse(per_ip)

    def _keys(self, login: str, ip: str | None) -> list[tuple[RateLimitItem, str, str]]:
        keys = [(self.per_login, "login", login.strip().lower())]
        if ip:
            keys.append((self.per_ip, "ip", ip))
        return keys

    async def blocked(self, login: str, ip: str | None) -> Blocked | None:
        """The first exhausted limit for this login or address, else None (spends nothing)."""
        for item, kind, value in self._keys(login, ip):
            if not await self.limiter.test(item, _NAMESPACE, kind, value):
                stats = await self.limiter.get_window_stats(item, _NAMESPACE, kind, value)
                return Blocked(kind, max(1, math.ceil(stats.reset_time - time.time())))
        return None

    async def failed(self, login: str, ip: str | None) -> None:
        for item, kind, value in self._keys(login, ip):
            await self.limiter.hit(item, _NAMESPACE, kind, value)

    async def succeeded(self, login: str) -> None:
        await self.limiter.clear(self.per_login, _NAMESPACE, "login", login.strip().lower())
