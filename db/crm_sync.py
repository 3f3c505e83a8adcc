"""What a CRM sync keeps: how far each object type has been read, owners matched to reps, and
contacts written into prospects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from db.queries import Executor, Queries

_q = Queries("crm_sync")

Outcome = Literal["created", "updated", "unchanged"]


async def hold(db: Executor) -> None:
    """One sync writes at a time, until the end of the transaction, so that two never both
    create the prospect of one new contact. Its lookups go by index (see `index_plans`)."""
    await _q.execute(db, "hold")
    await _q.execute(db, "index_plans")


async def mark(db: Executor, *, object_type: str) -> datetime | None:
    """The last change already read of this object type; None before the first sync."""
    through: datetime | None = await _q.fetchval(db, "mark", object_type=object_type)
    return through


async def advance_mark(db: Executor, *, object_type: str, through: datetime, now: datetime) -> None:
    await _q.execute(db, "advance_mark", object_type=object_type, through=through, now=now)


async def match_owner(
    db: Executor, *, owner_id: str, email: str, now: datetime
) -> tuple[UUID, bool] | None:
    """The rep with the owner's email, now holding the owner id, and whether that is new;
    None when no live rep has that email."""
    row = await _q.fetchrow(db, "match_owner", owner_id=owner_id, email=email, now=now)
    return (row["id"], row["changed"]) if row else None


async def upsert_contact(
    db: Executor,
    *,
    contact_id: str,
    name: str,
    email: str | None,
    phone: str | None,
    telegram: str | None,
    owner_id: str | None,
    merged_ids: Sequence[str] = (),
    now: datetime,
) -> Outcome:
    row = await _q.fetchrow(
        db,
        "upsert_contact",
        contact_id=contact_id,
        name=name[:255],
        email=email,
        phone=phone,
        telegram=telegram,
        owner_id=owner_id,
        merged_ids=list(merged_ids),
        now=now,
    )
    return "unchanged" if row is None else row["outcome"]


async def unlink_archived(db: Executor, *, contact_ids: Sequence[str], now: datetime) -> int:
    """How many prospects lost their link to a contact archived in HubSpot."""
    count: int = await _q.fetchval(db, "unlink_archived", ids=list(contact_ids), now=now)
    return count


@dataclass(frozen=True, slots=True)
class DealWrite:
    """What writing one deal did; `id` is None when nothing changed or no prospect of ours is
    among its contacts (`known` False)."""

    known: bool
    id: UUID | None
    created: bool
    moved: bool
    closed: bool
    previous: str | None = None
    """The stage it was in before; None for a deal new here."""


async def upsert_deal(
    db: Executor,
    *,
    deal_id: str,
    name: str,
    pipeline: str | None,
    stage: str,
    amount: Decimal | None,
    close_date: date | None,
    owner_id: str | None,
    won: bool | None,
    entered_stage: datetime | None,
    modified: datetime,
    contact_ids: Sequence[str],
    now: datetime,
) -> DealWrite:
    row = await _q.fetchrow(
        db,
        "upsert_deal",
        deal_id=deal_id,
        name=name,
        pipeline=pipeline,
        stage=stage,
        amount=amount,
        close_date=close_date,
        owner_id=owner_id,
        won=won,
        entered_stage=entered_stage,
        modified=modified,
        contact_ids=list(contact_ids),
        now=now,
    )
    assert row is not None
    return DealWrite(
        row["known"], row["id"], row["created"], row["moved"], row["closed"], row["previous"]
    )


async def relink_merged_deal(
    db: Executor, *, deal_id: str, merged_ids: Sequence[str], now: datetime
) -> bool:
    """Whether our deal of a deal merged into `deal_id` took that id (none had it yet)."""
    row = await _q.fetchrow(
        db, "relink_merged_deal", deal_id=deal_id, merged_ids=list(merged_ids), now=now
    )
    return row is not None


async def close_archived_deals(db: Executor, *, deal_ids: Sequence[str], now: datetime) -> int:
    """How many of our deals closed because HubSpot archived theirs."""
    count: int = await _q.fetchval(db, "close_archived_deals", ids=list(deal_ids), now=now)
    return count
