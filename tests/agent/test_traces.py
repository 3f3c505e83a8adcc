"""One turn with a tool call, traced into an in-memory exporter: the turn's span holds the agent
run, its model requests (with tokens) and the tool call, and carries the chat, turn, role and
outcome, and no message text unless TRACE_CONTENT says so."""

from __future__ import annotations

import dataclasses

from inline_snapshot import snapshot
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agent import traces
from agent.assistant import build_agent
from agent.settings import default_settings
from tests.agent.scripted import ADMIN, dialogue


def tree(spans: tuple[ReadableSpan, ...]) -> list[str]:
    """Each span's name, indented under its parent, in start order."""
    by_id = {s.context.span_id: s for s in spans}

    def depth(span: ReadableSpan) -> int:
        parent = span.parent
        return (
            0 if parent is None or parent.span_id not in by_id else 1 + depth(by_id[parent.span_id])
        )

    ordered = sorted(spans, key=lambda s: s.start_time or 0)
    return ["  " * depth(s) + s.name for s in ordered]


async def traced_turn(db_dsn: str, *, content: bool) -> tuple[InMemorySpanExporter, str]:
    exporter = InMemorySpanExporter()
    provider = traces.provider(exporter, batch=False)
    settings = default_settings(trace_content=content)
    talk, pool = await dialogue(db_dsn)
    talk.runtime = dataclasses.replace(
        talk.runtime,
        agent=build_agent(traces.instrumentation(settings, provider)),
        tracer=provider.get_tracer(traces.TRACER_NAME),
    )
    secret_words = "who is waiting for approval, pineapple?"
    try:
        talk.script.call("list_reps", status="pending")
        talk.script.say("No one is waiting.")
        await talk.say(ADMIN, secret_words)
    finally:
        await pool.close()
    return exporter, secret_words


async def test_a_turn_is_one_span_with_the_model_and_the_tool_inside(db_dsn: str) -> None:
    exporter, _ = await traced_turn(db_dsn, content=False)
    spans = exporter.get_finished_spans()
    assert tree(spans) == snapshot(
        [
            "salesbot turn",
            "  invoke_agent salesbot",
            "    chat function:Script:",
            "    execute_tool list_reps",
            "    chat function:Script:",
        ]
    )
    (turn,) = [s for s in spans if s.name == "salesbot turn"]
    attributes = dict(turn.attributes or {})
    del attributes["salesbot.turn_id"]
    assert attributes == snapshot(
        {"salesbot.chat_id": 1000, "salesbot.actor_role": "admin", "salesbot.outcome": "ok"}
    )
    requests = [s for s in spans if s.name.startswith("chat ")]
    assert all((s.attributes or {}).get("gen_ai.usage.input_tokens") for s in requests)
    everything = " ".join(str(dict(s.attributes or {})) for s in spans)
    assert "pineapple" not in everything


async def test_the_message_text_is_traced_only_when_asked(db_dsn: str) -> None:
    exporter, _ = await traced_turn(db_dsn, content=True)
    everything = " ".join(str(dict(s.attributes or {})) for s in exporter.get_finished_spans())
    assert "pineapple" in everything


def test_tracing_is_off_without_an_endpoint_or_a_token() -> None:
    settings = default_settings()
    assert traces.wanted(settings, environ={}) is False
    assert traces.wanted(settings, environ={"OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel:4318"})
    assert traces.wanted(default_settings(logfire_token="pylf_v1_eu_x"), environ={})
