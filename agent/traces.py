"""OpenTelemetry traces, off unless asked for: with the standard `OTEL_EXPORTER_OTLP_ENDPOINT`
(or `..._TRACES_ENDPOINT`) set, or `LOGFIRE_TOKEN`, spans go out over OTLP: one per turn (chat,
inbox item, turn id, actor role, outcome) with pydantic-ai's own inside (each model request with
its tokens, each tool call), and the database (asyncpg) and outgoing HTTP (httpx: Zoom, HubSpot,
the model; aiohttp: Telegram). Message text and tool arguments stay out unless `TRACE_CONTENT`
is on; URLs are scrubbed of the bot token. Off, nothing is imported and every span is a no-op."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from opentelemetry import trace

from agent.settings import Settings
from tools.redaction import scrub

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from pydantic_ai.models.instrumented import InstrumentationSettings

TRACER_NAME = "salesbot"


def tracer() -> trace.Tracer:
    """The app's tracer: a no-op until a provider is installed."""
    return trace.get_tracer(TRACER_NAME)


def wanted(settings: Settings, environ: Mapping[str, str] = os.environ) -> bool:
    endpoints = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    return settings.logfire_token is not None or any(environ.get(e) for e in endpoints)


def provider(exporter: SpanExporter, *, batch: bool = True) -> TracerProvider:
    """A provider sending to `exporter` (in batches, or each span at once for tests)."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    made = TracerProvider(resource=Resource.create({"service.name": "salesbot"}))
    processor = BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter)
    made.add_span_processor(processor)
    return made


def instrumentation(settings: Settings, tracer_provider: TracerProvider) -> InstrumentationSettings:
    """pydantic-ai's spans for the agent, content only when `TRACE_CONTENT` says so."""
    from pydantic_ai.models.instrumented import InstrumentationSettings

    return InstrumentationSettings(
        tracer_provider=tracer_provider,
        include_content=settings.trace_content,
        include_binary_content=False,
    )


def exporter(settings: Settings) -> SpanExporter:
    """OTLP over HTTP: to Logfire with its token, or where the `OTEL_*` variables say."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    if settings.logfire_token is None:
        return OTLPSpanExporter()
    token = settings.logfire_token.get_secret_value()
    region = token.split("_")[2] if token.startswith("pylf_v") else "us"
    return OTLPSpanExporter(
        endpoint=f"https://logfire-{region}.pydantic.dev/v1/traces",
        headers={"Authorization": token},
    )


def install(settings: Settings) -> InstrumentationSettings | None:
    """Installs tracing process-wide when wanted; returns the agent's instrumentation."""
    if not wanted(settings):
        return None
    from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    made = provider(exporter(settings))
    trace.set_tracer_provider(made)
    AsyncPGInstrumentor().instrument(tracer_provider=made)  # type: ignore[no-untyped-call]
    HTTPXClientInstrumentor().instrument(tracer_provider=made)
    AioHttpClientInstrumentor().instrument(tracer_provider=made, url_filter=scrub)
    return instrumentation(settings, made)
