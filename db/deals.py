"""Deals as we record them, and what has happened with a prospect: the raw facts that deal
signals are computed from."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from db.models import _Row
from db.queries import Executor, Queries

_q = Queries("deals")


@dataclasses.dataclass(frozen=True, slots=True)
class DealRecord(_Row):
    id: UUID
    prospect_id: str
    rep_id: UUID | None
    name: str
    stage: str
    amount: Decimal | None
    currency: str
    next_step: str | None
    next_step_due: datetime | None
    hubspot_deal_id: str | None
    stage_changed_at: datetime
    closed_at: datetime | None
    created_at: datetime


@dataclasses.dataclass(frozen=True, slots=True)
class Note(_Row):
    """One thing recorded with a prospect: a contact, a status change, a meeting, a note."""

    kind: str
    body: str | None
    created_at: datetime


@dataclasses.dataclass(frozen=True, slots=True)
class Activity:
    """Touches (contacts, notes, meetings booked, HubSpot notes) by kind, and meetings."""

    touches: dict[str, int]
    last_touch_at: datetime | None
    meetings_held: int
    meetings_upcoming: int
    last_meeting_at: datetime | None


async def create_deal(
    db: Executor,
    *,
    prospect_id: str,
    name: str,
    now: datetime,
    rep_id: UUID | None = None,
    stage: str = "new",
    amount: Decimal | None = None,
    currency: str = "USD",
    next_step: str | None = None,
    next_step_due: datetime | None = None,
    hubspot_deal_id: str | None = None,
) -> DealRecord:
    row = await _q.fetchrow(
        db,
        "create",
        prospect_id=prospect_id,
        rep_id=rep_id,
        name=name,
        stage=stage,
        amount=amount,
        currency=currency,
        next_step=next_step,
        next_step_due=next_step_due,
        hubspot_deal_id=hubspot_deal_id,
        now=now,
    )
    assert row is not None
    return DealRecord.from_row(row)


async def open_deal(db: Executor, *, prospect_id: str) -> DealRecord | None:
    row = await _q.fetchrow(db, "open_of_prospect", prospect_id=prospect_id)
    return DealRecord.from_row(row) if row else None


async def activity_of(db: Executor, *, prospect_id: str, now: datetime) -> Activity:
    """What has happened with the prospect up to `now`; a meeting marked held or scheduled and
    over counts as held, a scheduled one not yet started as upcoming."""
    row = await _q.fetchrow(db, "activity", prospect_id=prospect_id, now=now)
    assert row is not None
    return Activity(**dict(row))


async def recent_activity(
    db: Executor, *, prospect_id: str, now: datetime, limit: int = 10
) -> list[Note]:
    rows = await _q.fetch(db, "recent_activity", prospect_id=prospect_id, now=now, limit=limit)
    return [Note.from_row(r) for r in rows]
