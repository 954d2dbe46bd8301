"""The webhook sink: signed as Stripe signs, retried with backoff until a 2xx, dead-lettered after
[events] max_attempts, listed for admins and resent; no secret in any error it keeps.

Every request goes to a real HTTP server of the test's own (tests/event_receivers.py), which
verifies the signature and checks each envelope against docs/events/*.schema.json.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import create_async_engine
from ventanilla.cli import main as cli_main
from ventanilla.events.signing import sign, verify
from ventanilla.settings import Settings, load_settings
from ventanilla.store.access import audit_entries, now
from ventanilla.store.tables import event_deliveries
from ventanilla.web.app import create_app
from ventanilla.web.logs import logging_config

from .event_receivers import (
    ADMIN,
    CUSTOMER,
    HOOK_SECRET,
    SAMPLES,
    deliveries,
    gql,
    record,
    sample_events,
    serving,
    settings_for,
    sign_in,
    store,
    until,
    webhook_receiver,
)

DELIVERIES = """query($status: EventDeliveryStatus) { eventDeliveries(first: 20, status: $status) {
  eventId type customerId sink status attempts occurredAt nextAttemptAt deliveredAt deadAt lastError } }"""
RESEND = """mutation($id: String!, $sink: String) { resendEvent(input: {eventId: $id, sink: $sink}) {
  deliveries { eventId sink status attempts } errors { code message } } }"""


def test_a_signature_verifies_only_with_the_secret_the_exact_body_and_a_fresh_time():
    # given a body signed with the sink's secret
    body = b'{"id":"e1","type":"TicketCreated"}'
    header = sign(HOOK_SECRET, body)
    # then it verifies with that secret and that body
    assert verify(HOOK_SECRET, header, body)
    # and not with another secret, nor for a body changed by one byte, nor long after it was signed
    assert not verify("another-secret", header, body)
    assert not verify(HOOK_SECRET, header, body.replace(b"e1", b"e2"))
    assert not verify(HOOK_SECRET, sign(HOOK_SECRET, body, int(time.time()) - 3600), body)
    assert not verify(HOOK_SECRET, "v1=" + header.split("v1=")[1], body)  # no timestamp


async def test_every_event_type_arrives_signed_with_its_headers_and_a_valid_envelope(tmp_path):
    async with store("sqlite", tmp_path) as url, webhook_receiver() as receiver, \
            serving(settings_for(url, receiver)):  # fmt: skip
        # given one event of every type recorded in the store
        events = await record(url, sample_events(len(SAMPLES)), ["crm"])
        # when the relay delivers them
        await until(lambda: len(receiver.delivered()) == len(events), what="every event delivered")
    # then each came once, in the order they happened, signed, with its id and type as headers
    hits = receiver.hits
    assert [hit.envelope["id"] for hit in hits] == [e.id for e in events]
    for hit, event in zip(hits, events):
        assert hit.signed and hit.status == 200
        assert hit.headers["ventanilla-event-id"] == event.id
        assert hit.headers["ventanilla-event-type"] == event.type
        assert hit.headers["content-type"] == "application/json"
        assert hit.envelope == {"id": event.id, "type": event.type, "occurredAt": event.occurred_at.isoformat(),
                                "customerId": event.customer_id, "actor": event.actor, "data": dict(event.payload)}  # fmt: skip
        # and a receiver holding another secret, or given a tampered body, refuses it
        signature = hit.headers["ventanilla-signature"]
        assert not verify("not-the-secret", signature, hit.body)
        assert not verify(HOOK_SECRET, signature, hit.body.replace(b'"data":{', b'"data":{"x":1,'))
    assert all(row["delivered_at"] is not None and row["next_attempt_at"] is None for row in await deliveries(url))


async def test_a_receiver_failing_three_times_gets_the_event_once_more_and_it_counts_four_attempts(tmp_path):
    async with store("sqlite", tmp_path) as url, webhook_receiver(failures=[500, 503, 500]) as receiver, \
            serving(settings_for(url, receiver)) as client:  # fmt: skip
        # given a receiver that answers 500, 503, 500, then 200
        [event] = await record(url, sample_events(1), ["crm"])
        # when the relay delivers the event
        await until(lambda: receiver.delivered(), what="a delivery")
        admin = await sign_in(client, *ADMIN)
        listed = (await gql(client, DELIVERIES, admin))["data"]["eventDeliveries"]
    # then it got four requests for the same event, numbered, and answered 200 to the last only
    assert [hit.envelope["id"] for hit in receiver.hits] == [event.id] * 4
    assert [hit.headers["ventanilla-delivery-attempt"] for hit in receiver.hits] == ["1", "2", "3", "4"]
    assert [hit.status for hit in receiver.hits] == [500, 503, 500, 200]
    # and admins see it delivered at the fourth attempt
    [entry] = listed
    assert (entry["eventId"], entry["sink"], entry["status"], entry["attempts"]) == (event.id, "crm", "DELIVERED", 4)
    assert entry["lastError"] is None and entry["nextAttemptAt"] is None and entry["deliveredAt"]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_a_delivery_failing_max_attempts_times_is_dead_listed_and_resendable(backend, tmp_path):
    async with store(backend, tmp_path) as url, webhook_receiver(always=500) as receiver, \
            serving(settings_for(url, receiver, events_max_attempts=3)) as client:  # fmt: skip
        # given a receiver that always answers 500, and [events] max_attempts = 3
        [event] = await record(url, sample_events(1), ["crm"])
        # when the relay has tried it three times
        await until(lambda: _dead(url), what="a dead delivery")
        admin = await sign_in(client, *ADMIN)
        # then it is dead: admins see it with the receiver's answer, and the audit log tells
        [dead] = (await gql(client, DELIVERIES, admin, status="DEAD"))["data"]["eventDeliveries"]
        assert (dead["eventId"], dead["status"], dead["attempts"], dead["lastError"]) == (event.id, "DEAD", 3, "HTTP 500")
        assert dead["deadAt"] and dead["nextAttemptAt"] is None
        assert (await gql(client, DELIVERIES, admin, status="QUEUED"))["data"]["eventDeliveries"] == []
        assert len(receiver.hits) == 3
        # and a customer may neither list nor resend it
        ana = await sign_in(client, *CUSTOMER)
        refused = await gql(client, RESEND, ana, id=event.id)
        assert refused["data"] is None and refused["errors"]
        assert (await gql(client, DELIVERIES, ana))["data"]["eventDeliveries"] is None
        # when the receiver is fixed and an admin resends it
        receiver.always = None
        resent = (await gql(client, RESEND, admin, id=event.id, sink="crm"))["data"]["resendEvent"]
        assert resent["errors"] == []
        assert resent["deliveries"] == [{"eventId": event.id, "sink": "crm", "status": "QUEUED", "attempts": 0}]
        # then it is delivered, once more, with the same id
        await until(lambda: receiver.delivered(), what="the resent delivery")
        assert receiver.delivered_ids() == {event.id} and len(receiver.delivered()) == 1
        [entry] = (await gql(client, DELIVERIES, admin))["data"]["eventDeliveries"]
        assert (entry["status"], entry["attempts"]) == ("DELIVERED", 1)
        # and an event or a sink it never had answers NOT_FOUND, changing nothing
        for variables in ({"id": "00000000-0000-0000-0000-000000000000"}, {"id": event.id, "sink": "other"}):
            missing = (await gql(client, RESEND, admin, **variables))["data"]["resendEvent"]
            assert missing["deliveries"] is None and [e["code"] for e in missing["errors"]] == ["NOT_FOUND"]
        engine = client.app.state.engine
        async with engine.connect() as conn:
            audited = {(e.event, e.outcome, e.object_id) for e in await audit_entries(conn, 20)}
        assert {("EVENT_DEAD", "GAVE_UP", event.id), ("EVENT_RESENT", "OK", event.id)} <= audited


async def test_no_error_kept_shown_or_logged_holds_the_url_s_credentials_or_token(tmp_path, caplog):
    # given every logger writing from INFO up (more than a served process does: web/logs.py)
    caplog.set_level(logging.INFO)
    assert logging_config(Settings())["loggers"]["httpx"]["level"] == "WARNING"
    caplog.set_level(logging.INFO, logger="httpx")
    # and a webhook whose URL carries a password and a token, and that always fails
    async with store("sqlite", tmp_path) as url, webhook_receiver(always=500) as receiver:
        leaky = receiver.url.replace("http://", "http://hookuser:hunter2pw@") + "?token=tok-s3cr3t-value"
        settings = settings_for(url, events_max_attempts=2, event_sinks={
            "crm": {"kind": "webhook", "url": leaky, "secret": HOOK_SECRET}})  # fmt: skip
        async with serving(settings) as client:
            await record(url, sample_events(1), ["crm"])
            await until(lambda: _dead(url), what="a dead delivery")
            admin = await sign_in(client, *ADMIN)
            shown = json.dumps(await gql(client, DELIVERIES, admin))
            async with client.app.state.engine.connect() as conn:
                audited = json.dumps([e.detail for e in await audit_entries(conn, 20)])
        kept = json.dumps([row["last_error"] for row in await deliveries(url)])
    # then the error says what happened, and nothing secret, nor does the log
    assert "HTTP 500" in kept and "not delivered" in caplog.text
    for text in (shown, audited, kept, caplog.text):
        for secret in ("hunter2pw", "tok-s3cr3t-value", HOOK_SECRET, str(receiver.proxy.port)):
            assert secret not in text


def test_sinks_are_read_from_ventanilla_toml_with_the_secret_from_the_environment(tmp_path, monkeypatch):
    # given a ventanilla.toml with a webhook sink whose key is in an environment variable, and an AMQP sink
    config = tmp_path / "ventanilla.toml"
    config.write_text(
        """
[store]
url = "sqlite+aiosqlite:///x.db"
[auth]
secret_key = "test-secret-key-of-at-least-32-bytes!"
[events]
max_attempts = 4
retry_seconds = 2
[events.sinks.crm]
kind = "webhook"
url = "https://crm.example.com/hooks"
secret_env = "CRM_HOOK_SECRET"
[events.sinks.bus]
kind = "amqp"
url = "amqp://guest:guest@127.0.0.1:5672/"
exchange = "negocio.eventos"
""",
        encoding="utf-8",
    )
    monkeypatch.setenv("VENTANILLA_CONFIG", str(config))  # load_settings sets it: undone after the test
    monkeypatch.setenv("CRM_HOOK_SECRET", "from-the-environment")
    settings = load_settings(config)
    # then the settings hold them, the key read from the environment, and nothing secret printed
    assert (settings.events_max_attempts, settings.events_retry_seconds) == (4, 2.0)
    assert set(settings.event_sinks) == {"crm", "bus"}
    assert settings.event_sinks["crm"].signing_key() == "from-the-environment"
    assert settings.event_sinks["bus"].exchange == "negocio.eventos"
    assert "guest:guest" not in repr(settings) and "crm.example.com" not in repr(settings)
    # and the app owes every new event to both sinks
    app = create_app(settings)
    assert app.state.services.event_sinks == ("crm", "bus")
    # but without the variable the app does not start, and says why
    monkeypatch.delenv("CRM_HOOK_SECRET")
    with pytest.raises(SystemExit, match="CRM_HOOK_SECRET"):
        create_app(load_settings(config))
    # and a webhook needs a key, and a sink a plain name
    monkeypatch.delenv("VENTANILLA_CONFIG")
    with pytest.raises(ValueError, match="secret"):
        Settings(event_sinks={"crm": {"kind": "webhook", "url": "https://x"}})
    with pytest.raises(ValueError, match="name"):
        Settings(event_sinks={"no spaces": {"kind": "amqp", "url": "amqp://x"}})


async def _dead(url: str) -> bool:
    return any(row["dead_at"] is not None for row in await deliveries(url))


async def test_the_command_line_lists_dead_deliveries_and_resends_them(tmp_path, capsys):
    async with store("sqlite", tmp_path) as url:
        # given an event whose delivery to the webhook was given up
        [event] = await record(url, sample_events(1), ["crm"])
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await conn.execute(update(event_deliveries).values(
                attempts=12, next_attempt_at=None, dead_at=now(), last_error="HTTP 500"))  # fmt: skip
        # when the business lists the dead deliveries
        assert await asyncio.to_thread(cli_main, ["events", "list", "--status", "DEAD", "--db", url]) == 0
        listed = capsys.readouterr().out
        # then it sees the event, its sink and why
        assert event.id in listed and "crm" in listed and "DEAD" in listed and "HTTP 500" in listed
        # and resending it makes it due again with fresh attempts, audited
        assert await asyncio.to_thread(cli_main, ["events", "resend", event.id, "--db", url]) == 0
        [row] = await deliveries(url)
        assert (row["attempts"], row["dead_at"], row["last_error"]) == (0, None, "HTTP 500")
        assert row["next_attempt_at"] is not None
        async with engine.connect() as conn:
            [resent] = await audit_entries(conn, 5, event="EVENT_RESENT")
        assert (resent.actor, resent.object_id, resent.detail) == ("cli", event.id, "to crm")
        # and an unknown event says so, with a failing exit code
        assert await asyncio.to_thread(cli_main, ["events", "resend", "no-such-event", "--db", url]) == 1
        await engine.dispose()


def test_the_verification_example_of_the_docs_accepts_our_signature_and_nothing_else():
    # given the receiver's example of docs/events.md
    docs = (Path(__file__).resolve().parents[1] / "docs" / "events.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", docs, re.S).group(1)
    scope: dict = {}
    exec(code, scope)  # noqa: S102 - our own documentation
    body = b'{"id":"e1","type":"TicketClosed","data":{"ticketId":"T-1","closedBy":"agent"}}'
    # then it accepts what the relay signs, and refuses another key or a changed body
    assert scope["verify"](HOOK_SECRET, sign(HOOK_SECRET, body), body)
    assert not scope["verify"]("otro", sign(HOOK_SECRET, body), body)
    assert not scope["verify"](HOOK_SECRET, sign(HOOK_SECRET, body), body + b" ")
