"""How far behind the inbox and the outbox are: for the health check and the metrics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from db.queries import Executor, Queries

_q = Queries("backlog")


@dataclass(frozen=True, slots=True)
class Backlog:
    queue: str
    due: int
    """Items due and not yet done."""
    oldest_seconds: float
    """How long the longest-waiting of them has been due; 0 with none."""


async def backlog(db: Executor, *, now: datetime) -> list[Backlog]:
    """The inbox's and the outbox's backlog, in that order."""
    rows = await _q.fetch(db, "backlog", now=now)
    return [Backlog(r["queue"], r["due"], r["oldest_seconds"]) for r in rows]
