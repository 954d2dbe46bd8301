"""Liveness and readiness: /health and /healthz (the process answers), /readyz (what it serves with answers).

A readiness check is a named coroutine that returns when its system answers and raises when it
does not. The app registers the store, every configured legacy source and Redis (web/app.py);
`/readyz` runs them all at once, each within READY_TIMEOUT seconds, and answers 200
`{"status": "ready", "checks": {...}}`, or 503 `{"status": "unavailable", ...}` naming the
checks that failed and how (a timeout, or the kind of error: never a URL, which may carry a
password). A load balancer takes a worker out of rotation on 503 and back on 200.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

Check = Callable[[], Awaitable[object]]

READY_TIMEOUT = 2.0  # seconds: shorter than a load balancer's usual probe interval


async def probe(check: Check, timeout: float = READY_TIMEOUT) -> dict[str, str]:
    """`{"status": "ok"}`, or `{"status": "down", "reason": ...}`: "timeout", or the root error's type."""
    try:
        async with asyncio.timeout(timeout):
            await check()
    except TimeoutError:
        return {"status": "down", "reason": "timeout"}
    except Exception as exc:
        return {"status": "down", "reason": _root(exc)}
    return {"status": "ok"}


async def readiness(checks: Mapping[str, Check]) -> tuple[bool, dict[str, dict[str, str]]]:
    """Every check at once: whether all passed, and each one's outcome by name."""
    names = list(checks)
    outcomes = await asyncio.gather(*(probe(checks[name]) for name in names))
    results = dict(zip(names, outcomes, strict=True))
    return all(r["status"] == "ok" for r in outcomes), results


def health_routes(checks: Mapping[str, Check]) -> list[Route]:
    """`/health` and `/healthz` (liveness: no I/O), `/readyz` (readiness over `checks`)."""

    async def live(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def ready(request: Request) -> JSONResponse:
        ok, results = await readiness(checks)
        body = {"status": "ready" if ok else "unavailable", "checks": results}
        return JSONResponse(body, status_code=200 if ok else 503)

    return [Route("/health", live), Route("/healthz", live), Route("/readyz", ready)]


def _root(exc: BaseException) -> str:
    """The type name of the first cause of `exc` (a refused connection, not its wrapper)."""
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return type(exc).__name__
