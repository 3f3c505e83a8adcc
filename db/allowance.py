"""What people the limits apply to (strangers, applicants) may still spend on the model: model
turns an hour, tokens a day, and applications a day. Kept in PostgreSQL, so every process
counts against the same allowance; an admission is one short transaction of its own, serialised
by an advisory lock, so two processes cannot both grant the last turn."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from db.queries import Executor, Queries

_q = Queries("allowance")

LOCK_KEY = 0x5A1E5B08


@dataclass(frozen=True, slots=True)
class Caps:
    turns_per_hour: int
    tokens_per_day: int
    all_turns_per_hour: int
    """Turns an hour for every limited speaker together: many strangers are one bill."""


@dataclass(frozen=True, slots=True)
class Admission:
    role: str
    limited: bool
    refused: str | None = None
    """Why no model turn: `turns` (this hour's), `tokens` (today's), `busy` (everyone's)."""


async def admit(
    db: Executor,
    *,
    telegram_id: int,
    admin_ids: tuple[int, ...],
    limited_roles: tuple[str, ...],
    caps: Caps,
    now: datetime,
) -> Admission:
    """Run inside a transaction of its own (its lock lasts until it ends): the speaker's role,
    and for a limited one a model turn taken from their allowance, or why not."""
    row = await _q.fetchrow(
        db,
        "role",
        telegram_id=telegram_id,
        admin_ids=list(admin_ids),
        limited=list(limited_roles),
        lock=LOCK_KEY,
    )
    assert row is not None
    role: str = row["role"]
    if role not in limited_roles:
        return Admission(role, limited=False)
    refused: str | None = await _q.fetchval(
        db,
        "admit",
        telegram_id=telegram_id,
        turns_per_hour=caps.turns_per_hour,
        tokens_per_day=caps.tokens_per_day,
        all_turns_per_hour=caps.all_turns_per_hour,
        now=now,
    )
    return Admission(role, limited=True, refused=refused)


async def registrations(db: Executor, *, telegram_id: int, now: datetime) -> int:
    """Applications this person sent in the last day."""
    count: int = await _q.fetchval(db, "registrations", telegram_id=telegram_id, now=now)
    return count
