"""Meetings booked with prospects, and the steps each one still owes."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from db.models import Meeting
from db.queries import Executor, Queries

_q = Queries("meetings")


async def create_meeting(
    db: Executor,
    *,
    rep_id: UUID,
    prospect_id: str | None,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    sandbox: bool,
    now: datetime,
    zoom_meeting_id: int | None = None,
    zoom_join_url: str | None = None,
    calendar_event_id: str | None = None,
    hubspot_meeting_id: str | None = None,
    idempotency_key: str | None = None,
    owed: list[str] | None = None,
) -> Meeting:
    row = await _q.fetchrow(
        db,
        "create",
        rep_id=rep_id,
        prospect_id=prospect_id,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        zoom_meeting_id=zoom_meeting_id,
        zoom_join_url=zoom_join_url,
        calendar_event_id=calendar_event_id,
        hubspot_meeting_id=hubspot_meeting_id,
        sandbox=sandbox,
        idempotency_key=idempotency_key,
        owed=owed or [],
        now=now,
    )
    assert row is not None
    return Meeting.from_row(row)


async def get_meeting_by_key(db: Executor, *, idempotency_key: str) -> Meeting | None:
    row = await _q.fetchrow(db, "by_key", idempotency_key=idempotency_key)
    return Meeting.from_row(row) if row else None


async def lock_meeting(db: Executor, *, meeting_id: UUID) -> Meeting | None:
    """The meeting, held until the transaction ends (two retries of its steps do not overlap)."""
    row = await _q.fetchrow(db, "get_for_update", id=meeting_id)
    return Meeting.from_row(row) if row else None


async def settle_owed(
    db: Executor, *, meeting_id: UUID, step: str, now: datetime, hubspot_meeting_id: str | None
) -> Meeting:
    row = await _q.fetchrow(
        db,
        "settle_owed",
        id=meeting_id,
        step=step,
        hubspot_meeting_id=hubspot_meeting_id,
        now=now,
    )
    assert row is not None
    return Meeting.from_row(row)


async def scheduled_between(
    db: Executor, *, rep_id: UUID, start: datetime, end: datetime
) -> list[Meeting]:
    rows = await _q.fetch(db, "scheduled_between", rep_id=rep_id, start_at=start, end_at=end)
    return [Meeting.from_row(r) for r in rows]


async def meetings_of_prospect(db: Executor, *, prospect_id: str) -> list[Meeting]:
    return [Meeting.from_row(r) for r in await _q.fetch(db, "of_prospect", prospect_id=prospect_id)]


async def record_debrief(
    db: Executor,
    *,
    prospect_id: str,
    rep_id: UUID,
    debrief: str,
    outcome: str | None,
    now: datetime,
) -> UUID | None:
    """Marks the rep's latest ended meeting with the prospect held, with their account of it;
    None when there is no such meeting (the note is about something else)."""
    meeting_id: UUID | None = await _q.fetchval(
        db,
        "record_debrief",
        prospect_id=prospect_id,
        rep_id=rep_id,
        debrief=debrief,
        outcome=outcome,
        now=now,
    )
    return meeting_id


async def upcoming(
    db: Executor,
    *,
    now: datetime,
    meeting_id: UUID | None = None,
    prospect_ids: list[str] | None = None,
) -> list[Meeting]:
    """Scheduled meetings not yet over, of every rep: the caller decides whose it may touch."""
    rows = await _q.fetch(db, "upcoming", now=now, id=meeting_id, prospect_ids=prospect_ids)
    return [Meeting.from_row(r) for r in rows]


async def cancel_meeting(db: Executor, *, meeting_id: UUID, now: datetime) -> Meeting | None:
    """None when the meeting is no longer scheduled."""
    row = await _q.fetchrow(db, "cancel", id=meeting_id, now=now)
    return Meeting.from_row(row) if row else None


async def move_meeting(
    db: Executor, *, meeting_id: UUID, starts_at: datetime, ends_at: datetime, now: datetime
) -> Meeting | None:
    """None when the meeting is no longer scheduled."""
    row = await _q.fetchrow(
        db, "move", id=meeting_id, starts_at=starts_at, ends_at=ends_at, now=now
    )
    return Meeting.from_row(row) if row else None


async def has_upcoming(db: Executor, *, rep_id: UUID, now: datetime) -> bool:
    return bool(await _q.fetchval(db, "has_upcoming", rep_id=rep_id, now=now))


async def listed_between(
    db: Executor, *, rep_id: UUID, start: datetime, end: datetime
) -> list[tuple[Meeting, str | None]]:
    """The rep's meetings overlapping [start, end), scheduled or held (debriefed), each with
    its prospect's name; cancelled ones are left out."""
    rows = await _q.fetch(db, "listed", rep_id=rep_id, start_at=start, end_at=end)
    return [(Meeting.from_row(r), r["prospect_name"]) for r in rows]


async def has_any(db: Executor, *, rep_id: UUID) -> bool:
    return bool(await _q.fetchval(db, "has_any", rep_id=rep_id))
