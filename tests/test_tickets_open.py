"""`open_ticket`, the write every action that becomes a ticket calls (createTicket, payment
receipts, plan requests), and the routing defaults of each kind of ticket."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine
from ventanilla.auth.principals import Principal, PrincipalKind
from ventanilla.connectors.native.tables import attachments, ticket_messages, tickets
from ventanilla.connectors.records import NewFile, NewTicket, Page, TicketFilter, TicketStatus
from ventanilla.resolvers.context import request_context
from ventanilla.resolvers.tickets import open_ticket, routed, ticket_routing
from ventanilla.settings import Settings, TicketRouting
from ventanilla.store.blobs import DirectoryBlobs
from ventanilla.web.app import create_app

from .conftest import TEST_SECRET, fresh_database


def test_each_kind_of_ticket_has_its_routing_defaults() -> None:
    settings = Settings(
        ticket_defaults=TicketRouting(area="Soporte Técnico", priority="Alta"),
        receipt_ticket=TicketRouting(area="Administración", category="Pagos", assignee="Marta"),
        plan_ticket=TicketRouting(area="Comercial", status="IN_PROGRESS"),
    )
    assert ticket_routing(settings, "ticket").priority == "Alta"
    assert ticket_routing(settings, "receipt").assignee == "Marta"
    new = routed(NewTicket("1", "Cambio de plan", "Quiero 300 megas", "Ana"), ticket_routing(settings, "plan"))
    assert (new.area, new.status) == ("Comercial", TicketStatus.IN_PROGRESS)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_a_ticket_opened_on_the_native_store_is_read_back_with_its_first_message(backend, tmp_path) -> None:
    from ventanilla.demo.business import generate_demo

    async with fresh_database(backend, tmp_path) as url:
        engine = create_async_engine(url)
        await generate_demo(engine, customers=3, seed=7, blobs=DirectoryBlobs(tmp_path / "files"))
        settings = Settings(database_url=url, secret_key=TEST_SECRET, files_directory=str(tmp_path / "files"))
        app = create_app(settings)
        try:
            services = app.state.services
            ctx = request_context(services, Principal(kind=PrincipalKind.CUSTOMER, user_id=1, customer_ids=("1",)))
            async with engine.connect() as conn:
                before = (await conn.execute(select(func.count()).select_from(tickets))).scalar_one()
            new = routed(
                NewTicket("1", "Sin conexión", "No tengo internet", "Ana", files=(NewFile("r.jpg", "image/jpeg", 3, "a" * 64),)),
                ticket_routing(settings, "ticket"),
            )
            async with services.store.begin() as conn:
                first = await open_ticket(ctx, conn, new)
                second = await open_ticket(ctx, conn, new)
            (ticket,) = await services.source.tickets_by_id([first])
            assert (ticket.customer_id, ticket.subject, ticket.status, ticket.area) == (
                "1", "Sin conexión", TicketStatus.OPEN, "Soporte Técnico"
            )
            (other,) = await services.source.tickets_by_id([second])
            assert ticket.number != other.number and ticket.number.startswith("TK-")
            (thread,) = await services.source.messages_of([first], False)
            assert [(m.body, m.from_customer, [a.filename for a in m.attachments]) for m in thread] == [
                ("No tengo internet", True, ["r.jpg"])
            ]
            (page,) = await services.source.tickets_of(["1"], TicketFilter(), Page(first=1))
            assert [t.id for t in page.items] == [second]  # newest first
            async with engine.connect() as conn:
                assert (await conn.execute(select(func.count()).select_from(tickets))).scalar_one() == before + 2
                assert (await conn.execute(select(func.count()).select_from(ticket_messages).where(
                    ticket_messages.c.ticket_id == int(first)))).scalar_one() == 1  # fmt: skip
                assert (await conn.execute(select(attachments.c.sha256).where(
                    attachments.c.filename == "r.jpg"))).scalars().all() == ["a" * 64, "a" * 64]  # fmt: skip
        finally:
            await app.state.close()
            await engine.dispose()
