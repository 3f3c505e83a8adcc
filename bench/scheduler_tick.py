"""A scheduler tick over a big team: 100,000 prospects, 1,000 reps, 10,000 meetings.

Measures the tick that finds and queues due work (assignments, reminders, follow-ups, meeting
prep and debriefs, calendar reminders), a tick right after it (nothing new is due, all of it
deduplicated), and a tick on a quiet database; then prints the plans of the due-work queries
so one can see they use their indexes.

    python -m bench.scheduler_tick [--prospects 100000] [--reps 1000] [--meetings 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta

from agent.runtime import plan_from
from agent.scheduler import tick
from agent.settings import default_settings
from bench.common import scratch_database
from db.pool import create_pool
from db.queries import Queries

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # 11:00 in Bali, outside quiet hours
PLAN = plan_from(default_settings(admin_telegram_ids=(1000,)))


async def fill(pool, prospects: int, reps: int, meetings: int) -> None:
    day = timedelta(days=1)
    await pool.execute(
        """
        INSERT INTO reps (telegram_id, name, email, status, approved_at, registered_at,
                          calendar_connected_at, timezone)
        SELECT 10000 + i, 'Rep ' || i, 'rep' || i || '@truerealestate.bali',
               CASE WHEN i % 50 = 0 THEN 'pending' ELSE 'active' END,
               $1::timestamptz - $2::interval * 3, $1::timestamptz - $2::interval * 3,
               CASE WHEN i % 10 = 0 THEN NULL ELSE $1::timestamptz END, $4
          FROM generate_series(1, $3::int) AS i
        """,
        NOW,
        day,
        reps,
        PLAN.timezone,
    )
    # Most prospects are worked on; a few hundred wait, are unreached for long, or went silent.
    await pool.execute(
        """
        WITH r AS (SELECT array_agg(id) AS ids FROM reps WHERE status = 'active')
        INSERT INTO prospects (name, status, assigned_rep_id, assigned_at, last_contact_at,
                               created_at, status_changed_at)
        SELECT 'Client ' || i,
               CASE WHEN i % 100 = 0 THEN 'unreached' WHEN i % 3 = 0 THEN 'contacted'
                    WHEN i % 3 = 1 THEN 'in_conversation' ELSE 'converted' END,
               CASE WHEN i % 500 = 0 THEN NULL ELSE r.ids[1 + i % array_length(r.ids, 1)] END,
               CASE WHEN i % 500 = 0 THEN NULL ELSE $1::timestamptz - $2::interval * (i % 5) END,
               $1::timestamptz - $2::interval * (i % 30) - interval '3 hours',
               $1::timestamptz - $2::interval * 40, $1::timestamptz - $2::interval * 40
          FROM generate_series(1, $3::int) AS i, r
        """,
        NOW,
        day,
        prospects,
    )
    # Each worked prospect has a history: its status change and its last contact.
    await pool.execute(
        """
        INSERT INTO activities (prospect_id, rep_id, kind, created_at)
        SELECT p.id, p.assigned_rep_id, k.kind,
               CASE WHEN k.kind = 'status' THEN p.status_changed_at ELSE p.last_contact_at END
          FROM prospects p, (VALUES ('status'), ('contact')) AS k (kind)
         WHERE p.status <> 'unreached'
        """
    )
    await pool.execute(
        """
        WITH r AS (SELECT array_agg(id) AS ids FROM reps WHERE status = 'active')
        INSERT INTO meetings (rep_id, title, starts_at, ends_at, status)
        SELECT r.ids[1 + i % array_length(r.ids, 1)], 'Meeting ' || i,
               $1::timestamptz + interval '10 minutes' * (i - $2::int / 2),
               $1::timestamptz + interval '10 minutes' * (i - $2::int / 2) + interval '30 minutes',
               CASE WHEN i % 7 = 0 THEN 'held' ELSE 'scheduled' END
          FROM generate_series(1, $2::int) AS i, r
        """,
        NOW,
        meetings,
    )
    await pool.execute("ANALYZE")


async def timed(pool, now: datetime) -> tuple[float, dict[str, int] | None]:
    started = time.perf_counter()
    queued = await tick(pool, PLAN, now)
    return (time.perf_counter() - started) * 1000, queued


async def plans(pool) -> None:
    q = Queries("scheduler")
    params = {
        "now": NOW,
        "every": timedelta(hours=24),
        "after": timedelta(hours=2),
        "before": timedelta(hours=1),
        "quiet_start": PLAN.quiet_start,
        "quiet_end": PLAN.quiet_end,
        "timezone": PLAN.timezone,
        "admin_ids": [1000],
        "batch": 200,
        "digest_at": PLAN.digest_at,
        "stale": PLAN.stale_after,
    }
    names = ("assign_waiting", "unreached_reminders", "follow_ups", "meeting_preps")
    names += ("meeting_debriefs", "pending_applications", "calendar_reminders", "owed_steps")
    names += ("stale_digests", "team_digests")
    for name in names:
        query = q[name]
        args = [params[p] for p in query.params]
        async with pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(f"EXPLAIN {query.sql}", *args)
            await conn.execute("ROLLBACK; BEGIN")  # EXPLAIN without ANALYZE writes nothing
        scans = [r[0].strip() for r in rows if "Scan" in r[0]]
        print(f"  {name}: " + "; ".join(s.split("  (")[0] for s in scans))


async def main(prospects: int, reps: int, meetings: int) -> None:
    async with scratch_database() as dsn:
        pool = await create_pool(dsn, min_size=1, max_size=4)
        try:
            await fill(pool, prospects, reps, meetings)
            await timed(pool, NOW - timedelta(days=30))  # assigns the waiting ones
            quiet = [(await timed(pool, NOW - timedelta(days=30)))[0] for _ in range(5)]
            await pool.execute(
                "INSERT INTO prospects (name, created_at) SELECT 'New ' || i, $1::timestamptz"
                " FROM generate_series(1, 300) AS i",
                NOW - timedelta(hours=1),
            )
            first, queued = await timed(pool, NOW)
            again = [(await timed(pool, NOW))[0] for _ in range(5)]
            print(f"{prospects} prospects, {reps} reps, {meetings} meetings")
            print(f"tick with due work: {first:.0f} ms, queued {queued}")
            print(f"tick right after (all deduplicated): median {statistics.median(again):.1f} ms")
            print(f"tick with nothing due: median {statistics.median(quiet):.1f} ms")
            print("plans:")
            await plans(pool)
        finally:
            await pool.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prospects", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=1_000)
    parser.add_argument("--meetings", type=int, default=10_000)
    args = parser.parse_args()
    asyncio.run(main(args.prospects, args.reps, args.meetings))
