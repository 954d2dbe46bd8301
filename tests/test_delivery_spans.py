"""Spans and counts of the workers (web/tracing.py over observe.delivery), read with the SDK's in-memory
exporter: one per attempt at delivering an event to a sink (its name, the event's type, the
outcome) and one per attempt at sending an email (its template and outcome, never the address),
each with the store's statements that settle it under it."""

from __future__ import annotations

import uuid

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from . import test_mail_queue as mail
from .event_receivers import record, sample_events, serving, settings_for, store, until, webhook_receiver


@pytest.fixture(scope="module")
def exporter() -> InMemorySpanExporter:
    """The process's tracer provider, exporting to memory (the app keeps a provider already set)."""
    memory = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(memory))
    return memory


def _children(exporter: InMemorySpanExporter, span) -> list:
    return [
        s
        for s in exporter.get_finished_spans()
        if s.parent is not None and s.parent.span_id == span.context.span_id
    ]


async def test_each_attempt_at_an_event_delivery_is_a_span_with_sink_type_and_outcome(
    tmp_path, exporter
) -> None:
    exporter.clear()
    async with store("sqlite", tmp_path) as url, webhook_receiver(failures=[503]) as hook, \
            serving(settings_for(url, webhook=hook, tracing_enabled=True)):  # fmt: skip
        # given one event the webhook refuses once, then takes
        (event,) = await record(url, sample_events(1), ["crm"])
        await until(lambda: hook.delivered_ids() == {event.id}, what="the delivery")

        def attempts() -> list:
            return [s for s in exporter.get_finished_spans() if s.name == f"deliver {event.type}"]

        await until(lambda: len(attempts()) == 2, what="two attempts' spans")
    first, second = attempts()
    # then each attempt is a PRODUCER span with the sink, the event and the outcome
    for span, number in ((first, 1), (second, 2)):
        assert span.kind is SpanKind.PRODUCER
        assert span.attributes["ventanilla.sink"] == "crm"
        assert span.attributes["ventanilla.event_type"] == event.type
        assert span.attributes["ventanilla.event_id"] == event.id
        assert span.attributes["ventanilla.attempt"] == number
    assert first.attributes["ventanilla.outcome"] == "retry" and first.status.status_code is StatusCode.ERROR
    assert (
        second.attributes["ventanilla.outcome"] == "delivered"
        and second.status.status_code is StatusCode.UNSET
    )
    # and the store's statements that settle each attempt are its children
    assert any(child.name.startswith("UPDATE store") for child in _children(exporter, second))


async def test_an_event_given_up_is_a_dead_span(tmp_path, exporter) -> None:
    exporter.clear()
    async with store("sqlite", tmp_path) as url, webhook_receiver(always=500) as hook, \
            serving(settings_for(url, webhook=hook, tracing_enabled=True, events_max_attempts=1)):  # fmt: skip
        (event,) = await record(url, sample_events(1), ["crm"])

        def attempts() -> list:
            return [s for s in exporter.get_finished_spans() if s.name == f"deliver {event.type}"]

        await until(lambda: attempts(), what="the attempt's span")
    (only,) = attempts()
    assert only.attributes["ventanilla.outcome"] == "dead" and only.status.status_code is StatusCode.ERROR


async def test_each_attempt_at_sending_an_email_is_a_span_without_its_address(tmp_path, exporter) -> None:
    exporter.clear()
    async with mail.store("sqlite", tmp_path) as url, mail.smtp_server() as (inbox, smtp), \
            mail.serving(mail.settings_for(url, inbox.url, tracing_enabled=True)) as client:  # fmt: skip
        # given SMTP down when a customer asks for a reset link, and back afterwards
        await smtp.stop()
        await mail.gql(client, mail.REQUEST_RESET, login=mail.CUSTOMER)

        def sends() -> list:
            return [s for s in exporter.get_finished_spans() if s.name == "send mail"]

        await until(lambda: sends(), what="the failed attempt's span")
        await smtp.start()
        await mail.arrived(inbox, mail.CUSTOMER)
        await until(
            lambda: sends() and sends()[-1].attributes["ventanilla.outcome"] == "sent", what="the sent span"
        )
    spans = sends()
    # then the failed attempts say retry, the last one sent, each with the template and its number
    assert [s.attributes["ventanilla.outcome"] for s in spans] == ["retry"] * (len(spans) - 1) + ["sent"]
    assert [s.attributes["ventanilla.attempt"] for s in spans] == list(range(1, len(spans) + 1))
    assert {s.kind for s in spans} == {SpanKind.CLIENT}
    assert {s.attributes["ventanilla.template"] for s in spans} == {"reset"}
    assert (
        spans[0].status.status_code is StatusCode.ERROR and spans[-1].status.status_code is StatusCode.UNSET
    )
    # and no span of the worker carries the address
    for span in exporter.get_finished_spans():
        assert mail.CUSTOMER not in str(dict(span.attributes or {}))


async def test_each_attempt_is_counted_in_metrics_by_sink_and_outcome(tmp_path) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    async def counted(client) -> dict:  # noqa: ANN001
        found = {}
        for family in text_string_to_metric_families((await client.get("/metrics")).text):
            for sample in family.samples:
                if sample.name == "ventanilla_deliveries_total" and sample.labels["sink"] == sink:
                    found[sample.labels["outcome"]] = sample.value
        return found

    sink = f"crm{uuid.uuid4().hex[:6]}"  # the process's counters outlive an app: a sink of this test's own
    async with store("sqlite", tmp_path) as url, webhook_receiver(failures=[503, 502]) as hook:
        settings = settings_for(url, metrics_enabled=True,
                                event_sinks={sink: {"kind": "webhook", "url": hook.url, "secret": hook.secret}})  # fmt: skip
        async with serving(settings) as client:
            (event,) = await record(url, sample_events(1), [sink])
            await until(lambda: hook.delivered_ids() == {event.id}, what="the delivery")
            await until(lambda: _delivered_counted(client, counted), what="the count")
            assert await counted(client) == {"retry": 2.0, "delivered": 1.0}


async def _delivered_counted(client, counted) -> bool:  # noqa: ANN001
    return (await counted(client)).get("delivered") == 1.0
