"""Due work as inbox events: each function runs one set-based statement and returns how many
new events it queued (work already queued before is not queued again)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from db.queries import Executor, Queries

_q = Queries("scheduler")

TICK_LOCK = 0x5A1E5B07
"""One tick at a time across all schedulers on this database; the others skip theirs."""


@dataclass(frozen=True, slots=True)
class Quiet:
    start: time
    end: time
    timezone: str


async def try_lock_tick(db: Executor) -> bool:
    locked: bool = await db.fetchval("SELECT pg_try_advisory_xact_lock($1)", TICK_LOCK)
    return locked


async def release_from_inactive(db: Executor, *, now: datetime) -> int:
    return len(await _q.fetch(db, "release_from_inactive", now=now))


async def assign_waiting(db: Executor, *, now: datetime, quiet: Quiet, batch: int = 200) -> int:
    rows = await _q.fetch(
        db,
        "assign_waiting",
        now=now,
        batch=batch,
        quiet_start=quiet.start,
        quiet_end=quiet.end,
    )
    return len(rows)


async def unreached_reminders(
    db: Executor, *, now: datetime, quiet: Quiet, every: timedelta
) -> int:
    rows = await _q.fetch(
        db,
        "unreached_reminders",
        now=now,
        every=every,
        quiet_start=quiet.start,
        quiet_end=quiet.end,
    )
    return len(rows)


async def follow_ups(db: Executor, *, now: datetime, quiet: Quiet, after: timedelta) -> int:
    rows = await _q.fetch(
        db, "follow_ups", now=now, after=after, quiet_start=quiet.start, quiet_end=quiet.end
    )
    return len(rows)


async def meeting_preps(db: Executor, *, now: datetime, quiet: Quiet, before: timedelta) -> int:
    rows = await _q.fetch(
        db, "meeting_preps", now=now, before=before, quiet_start=quiet.start, quiet_end=quiet.end
    )
    return len(rows)


async def meeting_debriefs(db: Executor, *, now: datetime, quiet: Quiet) -> int:
    rows = await _q.fetch(
        db, "meeting_debriefs", now=now, quiet_start=quiet.start, quiet_end=quiet.end
    )
    return len(rows)


async def pending_applications(
    db: Executor, *, now: datetime, quiet: Quiet, after: timedelta, admin_ids: list[int]
) -> int:
    rows = await _q.fetch(
        db,
        "pending_applications",
        now=now,
        after=after,
        admin_ids=admin_ids,
        timezone=quiet.timezone,
        quiet_start=quiet.start,
        quiet_end=quiet.end,
    )
    return len(rows)


async def calendar_reminders(db: Executor, *, now: datetime, quiet: Quiet, after: timedelta) -> int:
    rows = await _q.fetch(
        db,
        "calendar_reminders",
        now=now,
        after=after,
        quiet_start=quiet.start,
        quiet_end=quiet.end,
    )
    return len(rows)


async def stale_digests(
    db: Executor, *, now: datetime, quiet: Quiet, digest_at: time, stale: timedelta
) -> int:
    rows = await _q.fetch(
        db,
        "stale_digests",
        now=now,
        digest_at=digest_at,
        stale=stale,
        quiet_start=quiet.start,
        quiet_end=quiet.end,
    )
    return len(rows)


async def team_digests(
    db: Executor,
    *,
    now: datetime,
    quiet: Quiet,
    digest_at: time,
    stale: timedelta,
    admin_ids: list[int],
) -> int:
    rows = await _q.fetch(
        db,
        "team_digests",
        now=now,
        digest_at=digest_at,
        stale=stale,
        admin_ids=admin_ids,
        timezone=quiet.timezone,
        quiet_start=quiet.start,
        quiet_end=quiet.end,
    )
    return len(rows)
