"""/healthz says what is wrong (the database, a stopped loop, polling failing, a backlog waiting
too long) with a 503, and /metrics shows what the process did, read through aiohttp's client
against the real web app on a real database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer
from inline_snapshot import snapshot
from prometheus_client.parser import text_string_to_metric_families

from agent import monitoring
from agent.monitoring import Watch
from agent.supervision import Beats, Supervisor
from agent.telegram import intake
from db import outbox
from db.pool import create_pool
from tests.agent.scripted import dialogue
from tests.conftest import NOW
from tests.fakes.telegram import text_update
from tools import metrics


@pytest.fixture
async def pool(db_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(db_dsn, min_size=1, max_size=4)
    yield pool
    await pool.close()


async def page(pool: asyncpg.Pool, watch: Watch, path: str) -> tuple[int, Any]:
    app = intake.web_app(pool, wall=watch.wall, routes=monitoring.routes(pool, watch))
    async with TestClient(TestServer(app)) as client, client.get(path) as response:
        body = await (response.json() if path == "/healthz" else response.text())
        return response.status, body


async def test_all_well_is_200_with_the_loops_and_queues(pool: asyncpg.Pool) -> None:
    stop = asyncio.Event()
    supervisor = Supervisor(stop)

    async def waits() -> None:
        await stop.wait()

    supervisor.watch("the turn workers", waits())
    watch = Watch(wall=lambda: NOW, supervisor=supervisor)
    assert await page(pool, watch, "/healthz") == snapshot(
        (
            200,
            {
                "ok": True,
                "database": "ok",
                "loops": {"the turn workers": True},
                "queues": {
                    "inbox": {"due": 0, "oldest_seconds": 0.0},
                    "outbox": {"due": 0, "oldest_seconds": 0.0},
                },
                "problems": [],
            },
        )
    )
    stop.set()


async def test_a_stopped_loop_polling_failing_and_an_old_backlog_are_503(
    pool: asyncpg.Pool,
) -> None:
    supervisor = Supervisor(asyncio.Event())
    supervisor.watch("the outbox sender", asyncio.sleep(0))
    await asyncio.sleep(0.01)  # it returns at once: a loop that ended
    await intake.store(pool, [{**text_update(501, "waiting"), "update_id": 1}], NOW)
    await outbox.enqueue(pool, chat_id=501, text="queued", dedupe_key=None, now=NOW)
    seconds = iter([0.0, 0.0, 500.0])
    beats = Beats(clock=lambda: next(seconds))
    beats.beat("polling")
    later = NOW + timedelta(minutes=10)
    watch = Watch(wall=lambda: later, supervisor=supervisor, beats=beats, polls=True)
    status, health = await page(pool, watch, "/healthz")
    assert (status, health["problems"]) == snapshot(
        (
            503,
            [
                "the outbox sender stopped",
                "polling has failed for 500 s",
                "the oldest due inbox item has waited 600 s",
                "the oldest due outbox item has waited 600 s",
            ],
        )
    )


async def test_an_event_held_for_quiet_hours_is_not_a_backlog(pool: asyncpg.Pool) -> None:
    await pool.execute(
        "INSERT INTO inbox (chat_id, kind, payload, created_at, not_before)"
        " VALUES (501, 'event', '{}', $1, $2)",
        NOW,
        NOW + timedelta(hours=9),
    )
    watch = Watch(wall=lambda: NOW + timedelta(hours=1))
    status, health = await page(pool, watch, "/healthz")
    assert (status, health["queues"]["inbox"]) == (200, {"due": 0, "oldest_seconds": 0.0})


async def test_the_health_page_says_the_database_is_away_and_nothing_more(db_dsn: str) -> None:
    gone = await create_pool(db_dsn, min_size=1, max_size=1)
    await gone.close()
    assert await page(gone, Watch(wall=lambda: NOW), "/healthz") == (
        503,
        {"ok": False, "database": "unavailable"},
    )


def sample(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


async def test_metrics_count_turns_tokens_and_show_the_backlog(db_dsn: str) -> None:
    talk, pool = await dialogue(db_dsn)
    try:
        before = (
            sample("salesbot_turns_total", outcome="ok"),
            sample("salesbot_model_requests_total"),
        )
        talk.script.say("Hello!")
        await talk.say(501, "hi")
        after = (
            sample("salesbot_turns_total", outcome="ok"),
            sample("salesbot_model_requests_total"),
        )
        assert (after[0] - before[0], after[1] - before[1]) == (1, 1)
        status, text = await page(pool, Watch(wall=lambda: NOW + timedelta(seconds=30)), "/metrics")
    finally:
        await pool.close()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert status == 200
    due = {s.labels["queue"]: s.value for s in families["salesbot_queue_due"].samples}
    age = {s.labels["queue"]: s.value for s in families["salesbot_queue_oldest_seconds"].samples}
    assert (due, age) == ({"inbox": 0.0, "outbox": 1.0}, {"inbox": 0.0, "outbox": 30.0})
    counted = {s.name: s.value for s in families["salesbot_turn_seconds"].samples}
    assert counted["salesbot_turn_seconds_count"] >= 1
    assert {
        "salesbot_model_tokens",
        "salesbot_integration_calls",
        "salesbot_telegram_sends",
    } <= set(families)


async def test_polling_that_never_succeeded_is_down_once_past_the_bound(
    pool: asyncpg.Pool,
) -> None:
    seconds = iter([0.0, 300.0])
    watch = Watch(wall=lambda: NOW, beats=Beats(clock=lambda: next(seconds)), polls=True)
    status, health = await page(pool, watch, "/healthz")
    assert (status, health["problems"]) == (503, ["polling has failed for 300 s"])
