"""Where each rep's calendar sync left off, and the meetings and prospects it finds."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
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
    rows = await _q.fetch(db, "prospects_by_email", emails=sorted({e.lower() for e in emails}))
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
    meeting_id: UUID = await _q.fetchval(
        db,
        "upsert_meeting",
        rep_id=rep_id,
        event_id=event_id,
        prospect_id=prospect_id,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        now=now,
    )
    return meeting_id


async def cancel_event_meeting(
    db: Executor, *, rep_id: UUID, event_id: str, now: datetime, found_only: bool = False
) -> UUID | None:
    """The meeting cancelled, or None when there was no scheduled one for the event
    (`found_only`: none found in the calendar; a booked one stays)."""
    meeting_id: UUID | None = await _q.fetchval(
        db, "cancel_by_event", rep_id=rep_id, event_id=event_id, now=now, found_only=found_only
    )
    return meeting_id


async def get_state(db: Executor, *, rep_id: UUID) -> SyncState | None:
    row = await _q.fetchrow(db, "state", rep_id=rep_id)
    return SyncState.from_row(row) if row else None
