"""What an operator watches on the bot's web server. `/healthz` answers 200 only when the
database answers, every loop of the process runs, polling (when this process polls) has
succeeded lately, and the oldest due inbox and outbox items have waited within bounds; 503
otherwise, with what is wrong. `/metrics` is Prometheus's text: this process's counters
(`tools.metrics`) and the queues' backlog read from the database at each scrape."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from agent.supervision import Beats, Supervisor
from db.backlog import Backlog, backlog
from tools import metrics

log = logging.getLogger(__name__)


@dataclass
class Watch:
    """What the checks look at, and their bounds."""

    wall: Callable[[], datetime]
    backlog_bound: timedelta = timedelta(minutes=5)
    supervisor: Supervisor | None = None
    beats: Beats = field(default_factory=Beats)
    polls: bool = False
    poll_silence_bound: float = 120.0
    """Seconds without a successful getUpdates before polling counts as down (a poll waits
    25 s for updates, so a healthy poller beats at least that often)."""


def routes(pool: asyncpg.Pool, watch: Watch) -> list[web.RouteDef]:
    return [web.get("/healthz", _health(pool, watch)), web.get("/metrics", _metrics(pool, watch))]


def _health(pool: asyncpg.Pool, watch: Watch) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def health(_: web.Request) -> web.Response:
        try:
            queues = await backlog(pool, now=watch.wall())
        except Exception as e:  # whatever it is, the page says only that the database is away
            log.warning("health check: the database did not answer: %r", e)
            return web.json_response({"ok": False, "database": "unavailable"}, status=503)
        report = _report(watch, queues)
        return web.json_response(report, status=200 if report["ok"] else 503)

    return health


def _report(watch: Watch, queues: list[Backlog]) -> dict[str, Any]:
    problems: list[str] = []
    loops = watch.supervisor.running() if watch.supervisor else {}
    problems += [f"{name} stopped" for name, alive in loops.items() if not alive]
    if watch.polls:
        silent = watch.beats.silent_for("polling")
        if silent > watch.poll_silence_bound:
            problems.append(f"polling has failed for {silent:.0f} s")
    bound = watch.backlog_bound.total_seconds()
    for q in queues:
        if q.oldest_seconds > bound:
            problems.append(f"the oldest due {q.queue} item has waited {q.oldest_seconds:.0f} s")
    return {
        "ok": not problems,
        "database": "ok",
        "loops": loops,
        "queues": {
            q.queue: {"due": q.due, "oldest_seconds": round(q.oldest_seconds, 1)} for q in queues
        },
        "problems": problems,
    }


def _metrics(pool: asyncpg.Pool, watch: Watch) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def scrape(_: web.Request) -> web.Response:
        try:
            for q in await backlog(pool, now=watch.wall()):
                metrics.BACKLOG.labels(q.queue).set(q.due)
                metrics.BACKLOG_AGE.labels(q.queue).set(q.oldest_seconds)
        except Exception as e:  # the counters are still worth reading without the database
            log.warning("metrics: the database did not answer: %r", e)
        body = generate_latest(metrics.REGISTRY)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    return scrape
