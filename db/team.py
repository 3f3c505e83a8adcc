"""The admins' view of the team: prospects across reps, stale deals, each rep's numbers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from db.models import Prospect
from db.queries import Executor, Queries

_q = Queries("team")


@dataclass(frozen=True, slots=True)
class Page:
    prospects: list[tuple[Prospect, str | None]]
    """Each prospect with their rep's name, if they have one."""
    total: int


async def prospects(
    db: Executor,
    *,
    status: str | None = None,
    rep_id: UUID | None = None,
    unassigned: bool = False,
    limit: int,
    offset: int = 0,
) -> Page:
    rows = await _q.fetch(
        db,
        "prospects",
        status=status,
        rep_id=rep_id,
        unassigned=unassigned,
        limit=limit,
        offset=offset,
    )
    found = [(Prospect.from_row(r), r["rep_name"]) for r in rows]
    return Page(found, rows[0]["total"] if rows else 0)


async def stale(
    db: Executor, *, now: datetime, stale: timedelta, rep_id: UUID | None = None, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """Stale deals, longest silent first, and how many there are in all."""
    rows = await _q.fetch(db, "stale", now=now, stale=stale, rep_id=rep_id, limit=limit)
    return [_plain(r, "total") for r in rows], rows[0]["total"] if rows else 0


async def per_rep(
    db: Executor, *, now: datetime, since: datetime, stale: timedelta, rep_id: UUID | None = None
) -> list[dict[str, Any]]:
    """Each active rep's numbers (or one rep's, whatever their status)."""
    rows = await _q.fetch(db, "per_rep", now=now, since=since, stale=stale, rep_id=rep_id)
    return [dict(r) for r in rows]


async def pending_count(db: Executor) -> int:
    return int(await _q.fetchval(db, "pending_count"))


async def upcoming_meetings(db: Executor, *, rep_id: UUID, now: datetime) -> list[dict[str, Any]]:
    return [dict(r) for r in await _q.fetch(db, "upcoming_meetings", rep_id=rep_id, now=now)]


async def meetings_to_hand_over(
    db: Executor, *, prospect_id: str, from_rep: UUID, now: datetime
) -> list[dict[str, Any]]:
    rows = await _q.fetch(
        db, "meetings_to_hand_over", prospect_id=prospect_id, from_rep=from_rep, now=now
    )
    return [dict(r) for r in rows]


async def hand_over_meetings(
    db: Executor, *, prospect_id: str, from_rep: UUID, to_rep: UUID, now: datetime
) -> list[dict[str, Any]]:
    """Moves the prospect's meetings still to come from one rep to another."""
    rows = await _q.fetch(
        db,
        "hand_over_meetings",
        prospect_id=prospect_id,
        from_rep=from_rep,
        to_rep=to_rep,
        now=now,
    )
    return [dict(r) for r in rows]


def _plain(row: Any, *without: str) -> dict[str, Any]:
    return {k: v for k, v in dict(row).items() if k not in without}
