"""Proving an email: the one-time codes mailed to it (only their hashes), and the mark on the
rep once it is proved."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from db.models import EmailCode, Rep
from db.queries import Executor, Queries

_q = Queries("verification")

Proof = Literal["code", "google"]


async def issue_code(
    db: Executor,
    *,
    rep_id: UUID,
    email: str,
    code_hash: str,
    expires_at: datetime,
    now: datetime,
) -> EmailCode:
    """A new code for `email`; every earlier code of the rep stops working."""
    row = await _q.fetchrow(
        db,
        "issue",
        rep_id=rep_id,
        email=email,
        code_hash=code_hash,
        expires_at=expires_at,
        now=now,
    )
    assert row is not None  # an INSERT returns its row
    return EmailCode.from_row(row)


async def codes_sent_since(db: Executor, *, rep_id: UUID, since: datetime) -> int:
    return int(await _q.fetchval(db, "sent_since", rep_id=rep_id, since=since))


async def live_code(db: Executor, *, rep_id: UUID, email: str, now: datetime) -> EmailCode | None:
    row = await _q.fetchrow(db, "live", rep_id=rep_id, email=email, now=now)
    return EmailCode.from_row(row) if row else None


async def count_attempt(db: Executor, *, code_id: int, limit: int, now: datetime) -> int:
    """Counts a wrong code; at `limit` wrong ones the code is spent. Returns the count so far
    (0 when the code is not there to count on)."""
    attempts = await _q.fetchval(db, "count_attempt", id=code_id, limit=limit, now=now)
    return int(attempts or 0)


async def spend_code(db: Executor, *, code_id: int, now: datetime) -> bool:
    """True when this call spent it (a code works once)."""
    return await _q.fetchval(db, "spend", id=code_id, now=now) is not None


async def mark_verified(
    db: Executor, *, rep_id: UUID, email: str, by: Proof, now: datetime
) -> Rep | None:
    """The rep's email is proved, if it is still `email`; None when it has changed since."""
    row = await _q.fetchrow(db, "mark_verified", rep_id=rep_id, email=email, by=by, now=now)
    return Rep.from_row(row) if row else None
