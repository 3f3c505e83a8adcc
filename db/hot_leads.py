"""Who hears of a hot lead, and the deal an alert names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from db.queries import Executor, Queries
from db.scheduler import Quiet

_q = Queries("hot_leads")


@dataclass(frozen=True, slots=True)
class Admin:
    chat_id: int
    language: str | None
    timezone: str
    after_quiet: datetime
    """`now`, or the end of their quiet hours."""


@dataclass(frozen=True, slots=True)
class HotDeal:
    name: str
    amount: Decimal | None
    currency: str
    prospect: str | None
    rep: str | None
    rep_chat_id: int | None


async def admins(
    db: Executor, *, admin_ids: tuple[int, ...], quiet: Quiet, now: datetime
) -> list[Admin]:
    rows = await _q.fetch(
        db,
        "admins",
        admin_ids=list(admin_ids),
        timezone=quiet.timezone,
        quiet_start=quiet.start,
        quiet_end=quiet.end,
        now=now,
    )
    return [Admin(r["chat_id"], r["language"], r["timezone"], r["after_quiet"]) for r in rows]


async def deal(db: Executor, *, deal_id: str) -> HotDeal | None:
    row = await _q.fetchrow(db, "deal", deal_id=deal_id)
    if row is None:
        return None
    return HotDeal(
        row["name"], row["amount"], row["currency"], row["prospect"], row["rep"], row["rep_chat_id"]
    )
