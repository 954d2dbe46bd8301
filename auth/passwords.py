"""Password hashing with Argon2id (argon2-cffi's defaults follow RFC 9106's recommendations), off the event loop.

An Argon2 hash or verification costs tens of milliseconds of CPU and 64 MiB: on the event
loop it would stall every other request of the worker. They run on a small thread pool of
their own (argon2-cffi releases the GIL while it hashes), bounded so that a burst of
sign-ins queues there instead of taking every core and all the memory.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

# Verified against when the login does not exist, so that a wrong login and a wrong password
# take the same time: the hash of a password nobody has, with the hasher's parameters. Written
# out rather than hashed at import, which took 64 MiB and some 90 ms at every start of a worker
# or a command; made anew (once, on the hashing pool) if argon2-cffi's defaults ever move.
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$Ah2lEmfEVqvFTNyfTBasmg$pLmiJeAHw2cOmYPnOFo3MTZm3JyWmjbzqTom9eJ5/FQ"


@cache
def _dummy_hash() -> str:
    if _hasher.check_needs_rehash(_DUMMY_HASH):
        return _hasher.hash("ventanilla-timing-equaliser")
    return _DUMMY_HASH

_T = TypeVar("_T")
_pool: ThreadPoolExecutor | None = None
_pool_size = 0


def _cpus() -> int:
    """The CPUs this process may run on (a container's share, where the OS tells it)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def use_hashing_threads(threads: int | None) -> None:
    """Size the process's hashing pool (`password_hash_threads`; None: one per CPU)."""
    global _pool, _pool_size
    wanted = max(1, threads or _cpus())
    if _pool is not None and _pool_size == wanted:
        return
    old, _pool, _pool_size = _pool, ThreadPoolExecutor(wanted, thread_name_prefix="ventanilla-argon2"), wanted
    if old is not None:
        old.shutdown(wait=False)  # hashes already queued there still finish


async def _off_loop(work: Callable[..., _T], *args: object) -> _T:
    if _pool is None:
        use_hashing_threads(None)
    return await asyncio.get_running_loop().run_in_executor(_pool, work, *args)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def hash_password(password: str) -> str:
    return await _off_loop(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; always spends one Argon2 verification (a missing hash too)."""
    return await _off_loop(_verify, password_hash, password)
