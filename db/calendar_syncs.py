"""Where each rep's calendar sync left off, and the meetings and prospects it finds."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

from db.queries import Executor, Queries

_q = Queries("calendar_syncs")


@dataclasses.dataclass(frozen=True, slots=True)
class SyncState:
    rep_id: UUID
    sync_token: str | None
    last_synced_at: datetime | None
    consecutive_failures: int
    last_error: str | None
    next_attempt_at: datetime

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> SyncState:
        return cls(**{f.name: row[f.name] for f in dataclasses.fields(cls)})


@dataclasses.dataclass(frozen=True, slots=True)
class ProspectByEmail:
    id: str
    email: str
    assigned_rep_id: UUID | None


async def lock_state(db: Executor, *, rep_id: UUID, now: datetime) -> SyncState:
    """The rep's state (a first one made), held until the transaction ends."""
    row = await _q.fetchrow(db, "state_for_update", rep_id=rep_id, now=now)
    assert row is not None
    return SyncState.from_row(row)


async def record_success(
    db: Executor, *, rep_id: UUID, sync_token: str | None, now: datetime, next_attempt_at: datetime
) -> SyncState:
    row = await _q.fetchrow(
        db,
        "succeeded",
        rep_id=rep_id,
        sync_token=sync_token,
        now=now,
        next_attempt_at=next_attempt_at,
    )
    assert row is not None
    return SyncState.from_row(row)


async def record_failure(
    db: Executor, *, rep_id: UUID, error: str, now: datetime, next_attempt_at: datetime
) -> SyncState:
    row = await _q.fetchrow(
        db, "failed", rep_id=rep_id, error=error, now=now, next_attempt_at=next_attempt_at
    )
    assert row is not None
    return SyncState.from_row(row)


async def prospects_by_email(db: Executor, *, emails: Iterable[str]) -> list[ProspectByEmail]:
    wanted = sorted({e.lower() for e in emails})
    if not wanted:
        return []
    rows = await _q.fetch(db, "prospects_by_email", emails=wanted)
    return [ProspectByEmail(r["id"], r["email"], r["assigned_rep_id"]) for r in rows]


async def create_calendar_prospect(
    db: Executor, *, rep_id: UUID, name: str, email: str, context: str, now: datetime
) -> str:
    """A new prospect of the rep, in conversation, come from their calendar; its id."""
    prospect_id: str = await _q.fetchval(
        db,
        "create_prospect",
        rep_id=rep_id,
        name=name[:255],
        email=email,
        context=context or None,
        now=now,
    )
    return prospect_id


@dataclasses.dataclass(frozen=True, slots=True)
class CalendarMeeting:
    event_id: str
    prospect_id: str | None
    title: str
    starts_at: datetime
    ends_at: datetime


@dataclasses.dataclass(frozen=True, slots=True)
class Kept:
    """The meeting an event is, and whether this sync made it (it was not known before)."""

    id: UUID
    made: bool


async def upsert_calendar_meetings(
    db: Executor, *, rep_id: UUID, meetings: Sequence[CalendarMeeting], now: datetime
) -> list[Kept]:
    """The meetings of the events (each once), in their order: made, or (the bot's own
    bookings too) moved to their times."""
    if not meetings:
        return []
    rows = await _q.fetch(
        db,
        "upsert_meetings",
        rep_id=rep_id,
        event_ids=[m.event_id for m in meetings],
        prospect_ids=[m.prospect_id for m in meetings],
        titles=[m.title for m in meetings],
        starts=[m.starts_at for m in meetings],
        ends=[m.ends_at for m in meetings],
        now=now,
    )
    kept = {r["calendar_event_id"]: Kept(r["id"], r["made"]) for r in rows}
    return [kept[m.event_id] for m in meetings]


async def upsert_calendar_meeting(
    db: Executor,
    *,
    rep_id: UUID,
    event_id: str,
    prospect_id: str | None,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
) -> UUID:
    """The meeting of the event: made, or (the bot's own booking too) moved to its times."""
    meeting = CalendarMeeting(event_id, prospect_id, title, starts_at, ends_at)
    (kept,) = await upsert_calendar_meetings(db, rep_id=rep_id, meetings=[meeting], now=now)
    return kept.id


async def cancel_event_meetings(
    db: Executor, *, rep_id: UUID, gone: Iterable[str], found: Iterable[str], now: datetime
) -> list[UUID]:
    """The meetings cancelled: those of the `gone` events (cancelled or declined) and, of the
    `found` ones (deleted, or no longer sales meetings), those found in the calendar (a booked
    one stays). Meetings not scheduled are left as they are."""
    gone, found = list(gone), list(found)
    if not (gone or found):
        return []
    rows = await _q.fetch(db, "cancel_by_events", rep_id=rep_id, gone=gone, found=found, now=now)
    return [r["id"] for r in rows]


async def queue_follows(
    db: Executor, *, rep_id: UUID, meeting_ids: Sequence[UUID], now: datetime
) -> int:
    """How many of these meetings, booked and changed in the calendar, Zoom and HubSpot are
    now to follow."""
    if not meeting_ids:
        return 0
    return len(await _q.fetch(db, "queue_follows", rep_id=rep_id, ids=list(meeting_ids), now=now))


async def cancel_event_meeting(
    db: Executor, *, rep_id: UUID, event_id: str, now: datetime, found_only: bool = False
) -> UUID | None:
    """The meeting cancelled, or None when there was no scheduled one for the event
    (`found_only`: none found in the calendar; a booked one stays)."""
    gone, found = ([], [event_id]) if found_only else ([event_id], [])
    cancelled = await cancel_event_meetings(db, rep_id=rep_id, gone=gone, found=found, now=now)
    return cancelled[0] if cancelled else None


async def get_state(db: Executor, *, rep_id: UUID) -> SyncState | None:
    row = await _q.fetchrow(db, "state", rep_id=rep_id)
    return SyncState.from_row(row) if row else None
