"""Practice calls: started with the persona the model plays, finished with scores and feedback."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from db.models import _Row
from db.queries import Executor, Queries

_q = Queries("practices")

RUBRIC = ("opening", "discovery", "objections", "next_step")
"""What a practice is scored on, 1 to 5 each."""


@dataclasses.dataclass(frozen=True, slots=True)
class Practice(_Row):
    id: int
    rep_id: UUID
    prospect_id: str | None
    focus: str | None
    persona: dict[str, Any]
    status: str
    started_at: datetime
    finished_at: datetime | None
    score_opening: int | None
    score_discovery: int | None
    score_objections: int | None
    score_next_step: int | None
    feedback: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class Summary:
    done: int
    recent: int
    """Finished since the `since` asked for."""
    last_at: datetime | None
    averages: dict[str, float | None]
    """Each rubric score's average over the practices before `before_id` (or all)."""


async def start(
    db: Executor,
    *,
    rep_id: UUID,
    prospect_id: str | None,
    focus: str | None,
    persona: dict[str, Any],
    now: datetime,
) -> Practice:
    """A new open practice; one the rep left open is given up."""
    await _q.execute(db, "abandon_open", rep_id=rep_id, now=now)
    row = await _q.fetchrow(
        db, "start", rep_id=rep_id, prospect_id=prospect_id, focus=focus, persona=persona, now=now
    )
    assert row is not None
    return Practice.from_row(row)


async def open_for(db: Executor, *, rep_id: UUID, stale_before: datetime) -> Practice | None:
    """The rep's open practice started after `stale_before`, held until the transaction ends."""
    row = await _q.fetchrow(db, "open_for", rep_id=rep_id, stale_before=stale_before)
    return Practice.from_row(row) if row else None


async def finish(
    db: Executor, *, practice_id: int, scores: dict[str, int], feedback: str, now: datetime
) -> Practice | None:
    """Records the scores (one per `RUBRIC` item) and the feedback; None if it was not open."""
    row = await _q.fetchrow(db, "finish", id=practice_id, feedback=feedback, now=now, **scores)
    return Practice.from_row(row) if row else None


async def summary(
    db: Executor, *, rep_id: UUID, since: datetime, before_id: int | None = None
) -> Summary:
    row = await _q.fetchrow(db, "summary", rep_id=rep_id, since=since, before_id=before_id)
    assert row is not None
    return Summary(
        done=row["done"],
        recent=row["recent"],
        last_at=row["last_at"],
        averages={k: _number(row[k]) for k in RUBRIC},
    )


async def counts(db: Executor, *, since: datetime, rep_id: UUID | None = None) -> dict[UUID, int]:
    """Finished practices per rep since `since`; a rep who did none is absent."""
    rows = await _q.fetch(db, "counts", since=since, rep_id=rep_id)
    return {r["rep_id"]: r["practices"] for r in rows}


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)
