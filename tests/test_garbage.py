"""A request leaves nothing for the cyclic garbage collector: its execution, context, loaders and
records are freed when it ends (reference counting), not kept until a collection that then stops
the worker for tens of milliseconds at once (bench.profile prints the collector's runs)."""

from __future__ import annotations

import gc
from collections import Counter

from ventanilla.schema.relay import to_global_id

from .test_api_portal import CUSTOMER, DASHBOARD

# The server's side of a request; the test's own HTTP client (httpx) keeps a cycle of its own.
SERVER_PACKAGES = ("ventanilla", "graphql", "strawberry", "starlette", "aiodataloader", "sqlalchemy", "asyncio")
ACCOUNT_WITH_INVOICES = "query($id: ID!) { customer(id: $id) { name invoices(first: 5) { nodes { number } } } }"


async def left_for_the_collector(send) -> Counter:
    """What of the server's side `send()` leaves only the cyclic collector could free, by type."""
    for _ in range(2):  # the first runs fill caches, which live on: plans, statements, the driver's SQL
        await send()
    for _ in range(5):  # what earlier tests left, down to what only a first collection let go
        if not gc.collect():
            break
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(3):
            await send()
        gc.collect()
        return Counter(
            f"{type(o).__module__}.{type(o).__qualname__}"
            for o in gc.garbage
            if type(o).__module__.split(".")[0] in SERVER_PACKAGES
        )
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


async def test_a_dashboard_leaves_no_garbage_cycle(demo_api) -> None:
    token = await demo_api.sign_in(*CUSTOMER)

    async def dashboard() -> None:
        body = await demo_api.gql(DASHBOARD, token=token)
        assert "errors" not in body and body["data"]["viewer"]["customer"]["invoices"]["nodes"]

    assert await left_for_the_collector(dashboard) == Counter()


async def test_an_error_answer_leaves_no_garbage_cycle(demo_api) -> None:
    token = await demo_api.sign_in(*CUSTOMER)

    async def someone_elses() -> None:
        body = await demo_api.gql(ACCOUNT_WITH_INVOICES, {"id": to_global_id("Customer", "999999")}, token=token)
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"

    assert await left_for_the_collector(someone_elses) == Counter()
