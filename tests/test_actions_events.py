"""A portal action over HTTP reaches the business: the event it commits is delivered to a real
webhook and a real RabbitMQ queue, signed, as docs/events.md describes it."""

from __future__ import annotations

import base64
import json

from .event_receivers import rabbitmq_queue, until, webhook_receiver
from .tickets_portal import CLOSE, CREATE, portal


async def test_a_ticket_opened_and_closed_over_http_reaches_the_webhook_and_the_queue(tmp_path) -> None:
    async with webhook_receiver() as hook, rabbitmq_queue() as queue:
        sinks = {"crm": {"kind": "webhook", "url": hook.url, "secret": hook.secret},
                 "bus": {"kind": "amqp", "url": queue.url, "exchange": queue.exchange}}  # fmt: skip
        quick = {"events_retry_seconds": 0.05, "events_poll_seconds": 0.05, "events_timeout_seconds": 3.0}
        async with portal(tmp_path, event_sinks=sinks, **quick) as p, p.app.router.lifespan_context(p.app):
            # when a customer opens a ticket and the helpdesk closes it
            created = (await p.gql(CREATE, {"input": {"description": "Sin internet desde ayer"}}, "ana"))
            ticket_id = created["data"]["createTicket"]["ticket"]["id"]
            closed = await p.gql(CLOSE, {"input": {"ticketId": ticket_id}}, "agent")
            assert closed["data"]["closeTicket"]["errors"] == []

            # then both sinks get both events, signed and with the same ids
            await until(lambda: len(hook.delivered()) >= 2 and len(queue.ids()) >= 2, what="both events delivered")
            raw_id = base64.b64decode(ticket_id).decode().split(":", 1)[1]
            told = [(e["type"], e["customerId"], e["data"]["ticketId"]) for e in hook.delivered()]
            assert told == [("TicketCreated", "1", raw_id), ("TicketClosed", "1", raw_id)]
            assert all(hit.signed for hit in hook.hits)
            assert queue.ids() == hook.delivered_ids()
            assert [m.type for m in queue.messages] == ["TicketCreated", "TicketClosed"]
            assert json.loads(queue.messages[1].body)["data"]["closedBy"] == "agent"
