"""The push channels watching reps' calendars."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from uuid import UUID

import asyncpg

from db.queries import Executor, Queries

_q = Queries("calendar_channels")


@dataclasses.dataclass(frozen=True, slots=True)
class StoredChannel:
    id: str
    rep_id: UUID
    resource_id: str
    token_sha256: str
    expires_at: datetime

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> StoredChannel:
        return cls(**{f.name: row[f.name] for f in dataclasses.fields(cls)})


async def add(
    db: Executor,
    *,
    id: str,
    rep_id: UUID,
    resource_id: str,
    token_sha256: str,
    expires_at: datetime,
    now: datetime,
) -> None:
    await _q.execute(
        db,
        "add",
        id=id,
        rep_id=rep_id,
        resource_id=resource_id,
        token_sha256=token_sha256,
        expires_at=expires_at,
        now=now,
    )


async def get(db: Executor, *, id: str) -> StoredChannel | None:
    row = await _q.fetchrow(db, "get", id=id)
    return StoredChannel.from_row(row) if row else None


async def of_rep(db: Executor, *, rep_id: UUID) -> list[StoredChannel]:
    return [StoredChannel.from_row(r) for r in await _q.fetch(db, "of_rep", rep_id=rep_id)]


async def drop(db: Executor, *, id: str) -> None:
    await _q.execute(db, "drop", id=id)


async def drop_of_rep(db: Executor, *, rep_id: UUID) -> None:
    await _q.execute(db, "drop_of_rep", rep_id=rep_id)


async def live(db: Executor, *, rep_id: UUID, now: datetime) -> bool:
    found: bool = await _q.fetchval(db, "live", rep_id=rep_id, now=now)
    return found


async def queue_sync(
    db: Executor, *, rep_id: UUID, channel_id: str, message: str, now: datetime
) -> bool:
    """Whether a sync was queued (not when one for this message was, or the rep may not be)."""
    rows = await _q.fetch(
        db, "queue_sync", rep_id=rep_id, channel_id=channel_id, message=message, now=now
    )
    return bool(rows)


async def queue_watches(db: Executor, *, now: datetime, renew_at: datetime) -> int:
    """Tasks queued to watch calendars unwatched, or watched by a channel ending by `renew_at`."""
    return len(await _q.fetch(db, "queue_watches", now=now, renew_at=renew_at))
