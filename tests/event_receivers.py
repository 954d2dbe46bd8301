"""Real receivers for the event tests: a webhook server (Starlette on uvicorn, a free port) that
checks every signature, and a RabbitMQ queue bound to the relay's exchange (aio-pika); both
check each envelope against docs/events/*.schema.json. Plus the store, the app and sample events.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aio_pika
import httpx
import jsonschema
import uvicorn
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from ventanilla.events.signing import HEADER, verify
from ventanilla.settings import Settings
from ventanilla.store.events import DomainEvent, record_event
from ventanilla.store.schema import migrate
from ventanilla.store.tables import event_deliveries
from ventanilla.store.users import create_user
from ventanilla.web.app import create_app

from .conftest import TEST_SECRET, fresh_database
from .proxy import Proxy

RABBITMQ = "amqp://guest:guest@127.0.0.1:5672/"
HOOK_SECRET = "whsec-0123456789abcdef-not-for-logs"
ADMIN = ("jefa@example.com", "clave.de.la.jefa")
CUSTOMER = ("ana@example.com", "clave.de.ana.larga")
SCHEMAS = Path(__file__).resolve().parents[1] / "docs" / "events"

# One event of every type other parts of Ventanilla record (docs/events.md), with their fields.
SAMPLES: list[tuple[str, dict]] = [
    ("TicketCreated", {"ticketId": "T-1", "number": "1001", "subject": "Sin servicio", "status": "OPEN",
                       "area": "Soporte", "category": "Conectividad", "priority": "HIGH", "assignee": None,
                       "attachments": 1, "channel": "portal"}),
    ("TicketReplied", {"ticketId": "T-1", "messageId": "M-7", "fromCustomer": True, "attachments": 0}),
    ("TicketClosed", {"ticketId": "T-1", "closedBy": "customer"}),
    ("PaymentReceiptSubmitted", {"receiptId": "R-3", "ticketId": "T-2", "amount": "15250.50", "currency": "ARS",
                                 "invoiceIds": ["F-10", "F-11"],
                                 "file": {"sha256": "ab" * 32, "contentType": "application/pdf", "size": 48213}}),
    ("PaymentReceiptAccepted", {"receiptId": "R-3", "paymentId": None,
                                "allocations": [{"invoiceId": "F-10", "amount": "10000.00"}]}),
    ("PaymentReceiptRejected", {"receiptId": "R-4", "reason": "El comprobante no es legible"}),
    ("PaymentCommitmentRequested", {"commitmentId": "C-1", "days": 10, "promisedDate": "2026-12-12",
                                    "amount": "8000.00", "currency": "ARS"}),
    ("PlanChangeRequested", {"requestId": "P-1", "ticketId": "T-5", "subscriptionId": "S-2", "fromPlanId": "PL-1",
                             "toPlanId": "PL-3", "comment": "Más velocidad"}),
    ("PlanRequested", {"requestId": "P-2", "ticketId": "T-6", "planId": "PL-9", "serviceAddress": "Calle Falsa 123",
                       "comment": None}),
]  # fmt: skip


def sample_events(n: int) -> list[DomainEvent]:
    """`n` events cycling through every type, for customers 1..3."""
    return [DomainEvent(type=t, customer_id=str(1 + i % 3), payload=p, actor=f"customer:{1 + i % 3}")
            for i, (t, p) in ((i, SAMPLES[i % len(SAMPLES)]) for i in range(n))]  # fmt: skip


_VALIDATORS: dict[str, jsonschema.protocols.Validator] = {}


def check_envelope(envelope: dict) -> None:
    """`envelope` and its `data` follow the published JSON Schemas (raises ValidationError)."""
    for name in ("envelope", envelope["type"]):
        if name not in _VALIDATORS:
            schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))
            cls = jsonschema.validators.validator_for(schema)
            cls.check_schema(schema)
            _VALIDATORS[name] = cls(schema, format_checker=cls.FORMAT_CHECKER)
    _VALIDATORS["envelope"].validate(envelope)
    _VALIDATORS[envelope["type"]].validate(envelope["data"])


def _check(body: bytes, invalid: list[str]) -> None:
    try:
        check_envelope(json.loads(body))
    except (ValueError, KeyError, jsonschema.ValidationError) as error:
        invalid.append(f"{error}: {body[:200]!r}")


@dataclass
class Hit:
    """One request the webhook receiver got."""

    headers: dict[str, str]
    body: bytes
    signed: bool  # the signature verified with the receiver's secret
    status: int  # what the receiver answered

    @property
    def envelope(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook endpoint: answers `failures` first (500 each by default), then 200."""

    secret: str = HOOK_SECRET
    failures: list[int] = field(default_factory=list)
    always: int | None = None  # answer this to every request
    hits: list[Hit] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)  # envelopes against the schemas: none, checked at the end
    on_hit: Callable[[Receiver], Awaitable[None]] | None = None
    proxy: Proxy | None = None  # what the relay reaches it through
    url: str = ""

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        signed = verify(self.secret, request.headers.get(HEADER, ""), body)
        status = self.always or (self.failures.pop(0) if self.failures else 200)
        if not signed:
            status = 400
        self.hits.append(Hit(dict(request.headers), body, signed, status))
        if signed:
            _check(body, self.invalid)
        if self.on_hit is not None:
            await self.on_hit(self)
        return Response(status_code=status)

    def delivered(self) -> list[dict]:
        """The envelopes it answered 200 to."""
        return [hit.envelope for hit in self.hits if hit.status == 200]

    def delivered_ids(self) -> set[str]:
        return {envelope["id"] for envelope in self.delivered()}


@asynccontextmanager
async def webhook_receiver(**options) -> AsyncIterator[Receiver]:
    """A real HTTP server of this test's own on a free port, reached through a Proxy."""
    receiver = Receiver(**options)
    app = Starlette(routes=[Route("/hooks/ventanilla", receiver.handle, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    receiver.proxy = Proxy("127.0.0.1", port)
    await receiver.proxy.start()
    receiver.url = f"http://127.0.0.1:{receiver.proxy.port}/hooks/ventanilla"
    try:
        yield receiver
    finally:
        await receiver.proxy.stop()
        server.should_exit = True
        await task
    assert receiver.invalid == [], "envelopes not as docs/events/*.schema.json say"


@dataclass
class Queue:
    """What a queue bound to the relay's exchange got (each message acknowledged)."""

    exchange: str
    messages: list[aio_pika.abc.AbstractIncomingMessage] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)  # envelopes against the schemas: none, checked at the end
    on_message: Callable[[Queue], Awaitable[None]] | None = None
    proxy: Proxy | None = None  # what the relay reaches RabbitMQ through
    url: str = ""

    async def take(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        _check(message.body, self.invalid)
        self.messages.append(message)
        await message.ack()
        if self.on_message is not None:
            await self.on_message(self)

    def ids(self) -> set[str]:
        return {m.message_id for m in self.messages if m.message_id}


@asynccontextmanager
async def rabbitmq_queue(**options) -> AsyncIterator[Queue]:
    """An exchange of this test's own on the machine's RabbitMQ, a queue bound to every routing
    key, and a Proxy the relay publishes through."""
    queue = Queue(exchange=f"vt-events-{uuid.uuid4().hex[:10]}", **options)
    connection = await aio_pika.connect(RABBITMQ)
    channel = await connection.channel()
    exchange = await channel.declare_exchange(queue.exchange, aio_pika.ExchangeType.TOPIC, durable=True)
    bound = await channel.declare_queue(exclusive=True)
    await bound.bind(exchange, "#")
    await bound.consume(queue.take)
    queue.proxy = Proxy("127.0.0.1", 5672)
    await queue.proxy.start()
    queue.url = f"amqp://guest:guest@127.0.0.1:{queue.proxy.port}/"
    try:
        yield queue
    finally:
        await queue.proxy.stop()
        await exchange.delete()
        await connection.close()
    assert queue.invalid == [], "envelopes not as docs/events/*.schema.json say"


@asynccontextmanager
async def store(backend: str, tmp_path) -> AsyncIterator[str]:
    """A migrated store with an admin and a customer user."""
    async with fresh_database(backend, tmp_path) as url:
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await migrate(conn)
            await create_user(conn, login=ADMIN[0], name="Jefa", password=ADMIN[1], kind="STAFF", role="admin")
            await create_user(conn, login=CUSTOMER[0], name="Ana", password=CUSTOMER[1], kind="CUSTOMER",
                              customer_ids=["1"])  # fmt: skip
        await engine.dispose()
        yield url


def settings_for(url: str, webhook: Receiver | None = None, queue: Queue | None = None, **overrides) -> Settings:
    """The store alone (no billing tables), with the sinks given, retrying quickly."""
    sinks: dict[str, dict] = {}
    if webhook is not None:
        sinks["crm"] = {"kind": "webhook", "url": webhook.url, "secret": webhook.secret}
    if queue is not None:
        sinks["bus"] = {"kind": "amqp", "url": queue.url, "exchange": queue.exchange}
    quick = {"events_retry_seconds": 0.05, "events_poll_seconds": 0.05, "events_timeout_seconds": 3.0}
    return Settings(database_url=url, secret_key=TEST_SECRET, timezone="UTC",
                    **(quick | {"event_sinks": sinks} | overrides))  # fmt: skip


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app over HTTP with its lifespan (and so its relay) running; stopped (flushed) on exit."""
    app = create_app(settings)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    client.app = app
    try:
        async with app.router.lifespan_context(app), client:
            yield client
    finally:
        await app.state.close()


async def record(url: str, events: Iterable[DomainEvent], sinks: Iterable[str]) -> list[DomainEvent]:
    """Record `events` in one store transaction, as an action does, owed to `sinks`."""
    events, sinks = list(events), tuple(sinks)
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        for event in events:
            await record_event(conn, event, sinks)
    await engine.dispose()
    return events


async def deliveries(url: str) -> list[dict]:
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        rows = [dict(r._mapping) for r in await conn.execute(select(event_deliveries))]
    await engine.dispose()
    return rows


async def until(check: Callable[[], object], seconds: float = 20.0, what: str = "the condition"):
    """Wait for `check()` (a value or an awaitable one) to be truthy (an outage bound, not a speed test)."""
    deadline = asyncio.get_running_loop().time() + seconds

    async def value() -> object:
        found = check()
        return await found if inspect.isawaitable(found) else found

    while not (found := await value()):
        assert asyncio.get_running_loop().time() < deadline, f"{what} never held"
        await asyncio.sleep(0.05)
    return found


async def gql(client: httpx.AsyncClient, query: str, bearer: str | None = None, **variables) -> dict:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    response = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def sign_in(client: httpx.AsyncClient, login: str, password: str) -> str:
    query = "mutation($l: String!, $p: String!) { signIn(input: {login: $l, password: $p}) { accessToken } }"
    body = await gql(client, query, l=login, p=password)
    return body["data"]["signIn"]["accessToken"]
