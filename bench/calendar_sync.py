"""Calendar sync at team scale: REPS reps with EVENTS events each in the local fake Google, each
rep synced through the real client (delegation) with at most CONCURRENCY syncs at once; first in
full, then incrementally with nothing changed; then the scheduler's tick with a sync due for
every rep. Prints wall times (and this process's CPU time: the bot's side and the fake's, not
PostgreSQL's) and requests per rep.

    python -m bench.calendar_sync [--reps 1000] [--events 50] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg

from agent.integrations import services_from
from agent.runtime import plan_from, rules_from
from agent.scheduler import tick
from agent.settings import default_settings, load_settings
from bench.common import scratch_database
from db.pool import create_pool
from tests.agent.scripted import Clock
from tests.fakes.google import FakeGoogle
from tools import calendar_sync
from tools.actor import resolve_actor
from tools.deps import Deps, Rules
from tools.services import Services

DOMAIN = "truerealestate.bali"


async def main(reps: int, events: int, concurrency: int) -> None:
    clock = Clock()
    rules = rules_from(default_settings())
    async with scratch_database() as dsn, FakeGoogle() as google:
        google.delegation_allowed = {DOMAIN}
        pool = await create_pool(dsn, min_size=2, max_size=concurrency + 2)
        await _team(pool, google, reps, events, clock)
        settings = load_settings(
            _env_file=None,
            google_service_account_file=google.service_account_file(Path(tempfile.mkdtemp())),
            google_calendar_api_url=google.api_endpoint,
        )
        async with services_from(settings, journal=pool, clock=clock) as services:
            for label in ("full sync", "incremental, nothing changed"):
                google.calls.clear()
                started, cpu = time.perf_counter(), time.process_time()
                synced = await _sync_all(pool, services, rules, clock, reps, concurrency)
                wall, cpu = time.perf_counter() - started, time.process_time() - cpu
                listed = sum(1 for c in google.calendar_calls() if c.path.endswith("/events"))
                tokens = sum(1 for c in google.calls if c.path == "/token")
                print(
                    f"{label}: {wall:.2f} s for {reps} reps ({synced} synced; {cpu:.2f} s of "
                    f"this process's CPU, the fake's included); per rep {listed / reps:.2f} "
                    f"events.list, {len(google.calls) / reps:.2f} requests in all, "
                    f"{tokens / reps:.2f} of them for tokens"
                )
        await pool.execute("UPDATE reps SET calendar_connected_at = $1", clock())
        await pool.execute("UPDATE calendar_syncs SET next_attempt_at = $1", clock())
        plan = plan_from(default_settings(outreach_enabled=False, google_service_account_file="x"))
        started = time.perf_counter()
        queued = await tick(pool, plan, clock())
        wall = time.perf_counter() - started
        assert queued is not None
        print(
            f"scheduler tick, a sync due for every rep: {wall * 1000:.0f} ms, "
            f"{queued['calendar_sync']} sync tasks queued"
        )
        await pool.close()


async def _team(
    pool: asyncpg.Pool, google: FakeGoogle, reps: int, events: int, clock: Clock
) -> None:
    now = clock()
    await pool.execute(
        """INSERT INTO reps (telegram_id, name, email, status, timezone, approved_at,
                             email_verified_at, email_verified_by, created_at, updated_at)
           SELECT 10000 + n, 'Rep ' || n, 'rep' || n || '@' || $2, 'active', 'Asia/Makassar',
                  $1, $1, 'code', $1, $1
             FROM generate_series(1, $3) n""",
        now,
        DOMAIN,
        reps,
    )
    for n in range(1, reps + 1):
        email = f"rep{n}@{DOMAIN}"
        for e in range(events):
            start = now + timedelta(hours=2 + e * 5)
            outside = e % 10 == 0  # one in ten is with a client
            guest = f"client{n}.{e}@example.com" if outside else f"boss@{DOMAIN}"
            google.put_event(email, _event(f"ev{n:05d}x{e:03d}", start, email, guest))


def _event(event_id: str, start: Any, email: str, guest: str) -> dict[str, Any]:
    return {
        "id": event_id,
        "summary": "Call",
        "start": {"dateTime": start.isoformat()},
        "end": {"dateTime": (start + timedelta(minutes=30)).isoformat()},
        "attendees": [{"email": email, "self": True}, {"email": guest}],
    }


async def _sync_all(
    pool: asyncpg.Pool, services: Services, rules: Rules, clock: Clock, reps: int, limit: int
) -> int:
    gate = asyncio.Semaphore(limit)

    async def one(telegram_id: int) -> bool:
        async with gate, pool.acquire() as conn, conn.transaction():
            actor = await resolve_actor(conn, telegram_id=telegram_id, admin_ids=())
            assert actor.rep is not None
            deps = Deps(db=conn, actor=actor, clock=clock, rules=rules, services=services)
            return await calendar_sync.sync(deps, actor.rep) is not None

    done = await asyncio.gather(*(one(10000 + n) for n in range(1, reps + 1)))
    return sum(done)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.reps, args.events, args.concurrency))
