"""Due work as inbox events: each function runs one set-based statement and returns how many
new events it queued (work already queued before is not queued again)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any

from db.chats import TEAM_CHAT
from db.queries import Executor, Queries

_q = Queries("scheduler")


class EventKind(StrEnum):
    """Every kind of event the scheduler queues (`payload.event` in `scheduler.sql`)."""

    PROSPECT_ASSIGNED = "prospect_assigned"
    UNREACHED_REMINDER = "unreached_reminder"
    FOLLOW_UP = "follow_up"
    MEETING_PREP = "meeting_prep"
    MEETING_DEBRIEF = "meeting_debrief"
    PENDING_APPLICATION = "pending_application"
    STALE_DIGEST = "stale_digest"
    TEAM_DIGEST = "team_digest"
    CALENDAR_REMINDER = "calendar_reminder"


class TaskKind(StrEnum):
    """Every kind of task the scheduler queues for code (`payload.task` in `scheduler.sql`)."""

    SETTLE_MEETING = "settle_meeting"
    CALENDAR_SYNC = "calendar_sync"
    CALENDAR_WATCH = "calendar_watch"
    CRM_SYNC = "crm_sync"
    HUBSPOT_OWNER = "hubspot_owner"


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
    return await _queue(db, "assign_waiting", quiet, now=now, batch=batch)


async def unreached_reminders(
    db: Executor, *, now: datetime, quiet: Quiet, every: timedelta
) -> int:
    return await _queue(db, "unreached_reminders", quiet, now=now, every=every)


async def follow_ups(db: Executor, *, now: datetime, quiet: Quiet, after: timedelta) -> int:
    return await _queue(db, "follow_ups", quiet, now=now, after=after)


async def meeting_preps(db: Executor, *, now: datetime, quiet: Quiet, before: timedelta) -> int:
    return await _queue(db, "meeting_preps", quiet, now=now, before=before)


async def meeting_debriefs(db: Executor, *, now: datetime, quiet: Quiet) -> int:
    return await _queue(db, "meeting_debriefs", quiet, now=now)


async def pending_applications(
    db: Executor, *, now: datetime, quiet: Quiet, after: timedelta, admin_ids: list[int]
) -> int:
    return await _queue(
        db,
        "pending_applications",
        quiet,
        now=now,
        after=after,
        admin_ids=admin_ids,
        timezone=quiet.timezone,
    )


async def calendar_reminders(db: Executor, *, now: datetime, quiet: Quiet, after: timedelta) -> int:
    return await _queue(db, "calendar_reminders", quiet, now=now, after=after)


async def stale_digests(
    db: Executor, *, now: datetime, quiet: Quiet, digest_at: time, stale: timedelta
) -> int:
    return await _queue(db, "stale_digests", quiet, now=now, digest_at=digest_at, stale=stale)


async def team_digests(
    db: Executor,
    *,
    now: datetime,
    quiet: Quiet,
    digest_at: time,
    stale: timedelta,
    admin_ids: list[int],
) -> int:
    return await _queue(
        db,
        "team_digests",
        quiet,
        now=now,
        digest_at=digest_at,
        stale=stale,
        admin_ids=admin_ids,
        timezone=quiet.timezone,
    )


async def owed_steps(db: Executor, *, now: datetime, every: timedelta) -> int:
    return len(await _q.fetch(db, "owed_steps", now=now, every=every))


async def follow_steps(db: Executor, *, now: datetime, every: timedelta) -> int:
    return len(await _q.fetch(db, "follow_steps", now=now, every=every))


async def calendar_syncs(db: Executor, *, now: datetime) -> int:
    return len(await _q.fetch(db, "calendar_syncs", now=now))


async def crm_syncs(db: Executor, *, now: datetime, every: timedelta) -> int:
    """Queued in the team's background chat, so that no person's messages wait for it."""
    found = await _q.fetch(
        db, "crm_syncs", now=now, every_seconds=every.total_seconds(), chat_id=TEAM_CHAT
    )
    return len(found)


async def owed_owners(db: Executor, *, now: datetime, every: timedelta) -> int:
    """Queued in the team's background chat, as the sync is."""
    return len(await _q.fetch(db, "owed_owners", now=now, every=every, chat_id=TEAM_CHAT))


async def quiet_until(db: Executor, *, chat_id: int, now: datetime, quiet: Quiet) -> datetime:
    """When a message to `chat_id` may be delivered: `now`, or the end of their quiet hours."""
    until: datetime = await _q.fetchval(
        db,
        "quiet_until",
        chat_id=chat_id,
        now=now,
        timezone=quiet.timezone,
        quiet_start=quiet.start,
        quiet_end=quiet.end,
    )
    return until


@dataclass(frozen=True, slots=True)
class Dropped:
    """An event that was no longer true when it came to be served, and why."""

    inbox_id: int
    event: str
    reason: str


async def drop_void_events(db: Executor, *, now: datetime) -> list[Dropped]:
    """Drops (and audits) the events due at `now` that are no longer true; see the SQL."""
    rows = await _q.fetch(db, "drop_void_events", now=now)
    return [Dropped(r["id"], r["event"], r["reason"]) for r in rows]


async def _queue(db: Executor, name: str, quiet: Quiet, **params: Any) -> int:
    """Runs one due-work statement; the number of events it queued."""
    rows = await _q.fetch(db, name, quiet_start=quiet.start, quiet_end=quiet.end, **params)
    return len(rows)
