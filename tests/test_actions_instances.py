"""Two instances of the gateway on one PostgreSQL store: the daily ticket limit and idempotency
keys hold across them (they live in the store, not in a process)."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import httpx
from sqlalchemy import func, select
from ventanilla.connectors.native.tables import tickets
from ventanilla.settings import Settings
from ventanilla.web.app import create_app

from .conftest import TEST_SECRET
from .tickets_portal import CREATE, portal


async def test_the_daily_limit_and_a_key_hold_across_two_instances_on_one_store(tmp_path) -> None:
    async with portal(tmp_path, store_backend="postgresql", tickets_daily_limit=5) as a:
        # given a second instance of the gateway on the same store (the tokens are the deployment's)
        url = a.store.url.render_as_string(hide_password=False)
        other = create_app(Settings(database_url=url, secret_key=TEST_SECRET, files_directory=str(a.files),
                                    tickets_daily_limit=5))  # fmt: skip
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=other), base_url="http://testserver") as c:
                b = replace(a, client=c, app=other)
                async with a.store.connect() as conn:
                    before = (await conn.execute(select(func.count()).select_from(tickets))).scalar_one()

                # when 20 tickets are asked at once, half to each instance
                answers = await asyncio.gather(*[
                    (a if n % 2 else b).gql(CREATE, {"input": {"description": f"Pedido {n}"}}, "ana")
                    for n in range(20)
                ])  # fmt: skip
                # then exactly 5 exist, and the others are LIMIT_REACHED, whichever instance took them
                payloads = [answer["data"]["createTicket"] for answer in answers]
                assert sum(1 for p in payloads if not p["errors"]) == 5
                assert {p["errors"][0]["code"] for p in payloads if p["errors"]} == {"LIMIT_REACHED"}

                # and one key sent to both instances at once makes one ticket for beto, answered alike
                keyed = {"input": {"description": "Sin señal", "idempotencyKey": "beto-2026-12-02-1"}}
                first, second = await asyncio.gather(a.gql(CREATE, keyed, "beto"), b.gql(CREATE, keyed, "beto"))
                assert first["data"]["createTicket"]["errors"] == []
                assert first["data"]["createTicket"]["ticket"]["id"] == second["data"]["createTicket"]["ticket"]["id"]
                async with a.store.connect() as conn:
                    after = (await conn.execute(select(func.count()).select_from(tickets))).scalar_one()
                assert after == before + 6
        finally:
            await other.state.close()
