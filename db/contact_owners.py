"""Writing a prospect's rep back to HubSpot as its contact's owner: which prospects owe it, and
the owner HubSpot holds once it is written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from db.queries import Executor, Queries

_q = Queries("contact_owners")


@dataclass(frozen=True, slots=True)
class OwedOwner:
    prospect_id: str
    contact_id: str
    rep_id: UUID
    owner_id: str
    assigned_at: datetime | None


async def owed(db: Executor, *, prospect_id: str) -> OwedOwner | None:
    """What HubSpot is owed for the prospect, locked; None when it owes nothing."""
    row = await _q.fetchrow(db, "owed", prospect_id=prospect_id)
    if row is None:
        return None
    return OwedOwner(
        row["id"], row["contact_id"], row["rep_id"], row["owner_id"], row["assigned_at"]
    )


async def written(
    db: Executor, *, prospect_id: str, contact_id: str, owner_id: str, now: datetime
) -> None:
    await _q.execute(
        db, "written", prospect_id=prospect_id, contact_id=contact_id, owner_id=owner_id, now=now
    )
