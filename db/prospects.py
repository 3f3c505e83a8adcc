"""Prospects: creation, assignment to reps, status and contact."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from db import matches
from db.errors import InvalidTransition, RecordNotFound, RepNotActive
from db.models import OPEN_PROSPECT_STATUSES, Prospect, ProspectStatus, Rep
from db.queries import Executor, Queries
from db.reps import get_rep

_q = Queries("prospects")

P = ProspectStatus
# Which statuses each target status may be reached from; archived prospects can be reopened.
_TRANSITIONS: dict[ProspectStatus, tuple[ProspectStatus, ...]] = {
    P.UNREACHED: (P.ARCHIVED,),
    P.CONTACTED: (P.UNREACHED, P.ARCHIVED),
    P.IN_CONVERSATION: (P.UNREACHED, P.CONTACTED, P.ARCHIVED),
    P.CONVERTED: (P.UNREACHED, P.CONTACTED, P.IN_CONVERSATION),
    P.ARCHIVED: (P.UNREACHED, P.CONTACTED, P.IN_CONVERSATION, P.CONVERTED),
}


async def create_prospect(
    db: Executor,
    *,
    name: str,
    now: datetime,
    telegram_id: str | None = None,
    email: str | None = None,
    context: str | None = None,
    notes: str | None = None,
    language: str | None = None,
) -> Prospect:
    row = await _q.fetchrow(
        db,
        "create",
        name=name,
        telegram_id=telegram_id,
        email=email,
        context=context,
        notes=notes,
        language=language,
        now=now,
    )
    assert row is not None
    return Prospect.from_row(row)


async def get_prospect(db: Executor, *, prospect_id: str) -> Prospect | None:
    row = await _q.fetchrow(db, "get", id=prospect_id)
    return Prospect.from_row(row) if row else None


async def list_prospects(
    db: Executor, *, status: ProspectStatus | None = None, rep_id: UUID | None = None
) -> list[Prospect]:
    rows = await _q.fetch(db, "list", status=status, rep_id=rep_id)
    return [Prospect.from_row(r) for r in rows]


async def find_prospects(db: Executor, *, ref: str, rep_id: UUID | None = None) -> list[Prospect]:
    """Prospects matching an id, @telegram, email or name (of one rep's when `rep_id` is given)."""
    rows = await _q.fetch(db, "find", ref=ref, rep_id=rep_id)
    return [Prospect.from_row(r) for r in matches.best(rows)]


async def get_unreached_prospects(db: Executor) -> list[Prospect]:
    return await list_prospects(db, status=ProspectStatus.UNREACHED)


async def get_prospects_for_rep(
    db: Executor, *, rep_id: UUID, status: ProspectStatus | None = None
) -> list[Prospect]:
    return await list_prospects(db, status=status, rep_id=rep_id)


async def get_unassigned_unreached(db: Executor, *, limit: int = 1000) -> list[Prospect]:
    """Unreached prospects nobody is working on, oldest first."""
    rows = await _q.fetch(db, "unassigned_unreached", limit=limit)
    return [Prospect.from_row(r) for r in rows]


async def assign_prospect_to_rep(
    db: Executor, *, prospect_id: str, rep_id: UUID, now: datetime
) -> Prospect:
    """Gives an open prospect to an active rep."""
    row = await _q.fetchrow(db, "assign", id=prospect_id, rep_id=rep_id, now=now)
    if row is not None:
        return Prospect.from_row(row)
    prospect = await _existing(db, prospect_id)
    rep = await get_rep(db, rep_id=rep_id)
    if rep is None:
        raise RecordNotFound("rep", rep_id)
    if prospect.status not in OPEN_PROSPECT_STATUSES:
        raise InvalidTransition("prospect", prospect.name, prospect.status, "assigned")
    raise RepNotActive(rep.name, rep.status)


async def least_loaded_rep(db: Executor) -> Rep | None:
    """The active rep with the fewest open prospects (the earliest approved on a tie)."""
    row = await _q.fetchrow(db, "least_loaded_rep")
    return Rep.from_row(row) if row else None


async def assign_to_least_loaded(
    db: Executor, *, prospect_id: str, now: datetime
) -> Prospect | None:
    """Assigns to the least loaded active rep; None when there is no active rep."""
    rep = await least_loaded_rep(db)
    if rep is None:
        return None
    return await assign_prospect_to_rep(db, prospect_id=prospect_id, rep_id=rep.id, now=now)


async def open_prospect_counts(db: Executor) -> dict[UUID, int]:
    """Open prospects (unreached, contacted, in conversation) per active rep, zeros included."""
    rows = await _q.fetch(db, "open_counts")
    return {r["rep_id"]: r["open_prospects"] for r in rows}


async def update_prospect_status(
    db: Executor,
    *,
    prospect_id: str,
    status: ProspectStatus,
    now: datetime,
    rep_id: UUID | None = None,
    note: str | None = None,
) -> Prospect:
    """Moves a prospect along its lifecycle; the same status again changes nothing."""
    row = await _q.fetchrow(
        db,
        "set_status",
        id=prospect_id,
        status=status,
        now=now,
        rep_id=rep_id,
        note=note,
        allowed=list(_TRANSITIONS[status]),
    )
    if row is not None:
        return Prospect.from_row(row)
    prospect = await _existing(db, prospect_id)
    if prospect.status == status:
        return prospect
    raise InvalidTransition("prospect", prospect.name, prospect.status, status)


async def record_contact(
    db: Executor,
    *,
    prospect_id: str,
    now: datetime,
    rep_id: UUID | None = None,
    note: str | None = None,
) -> Prospect:
    """The rep reached the prospect: the contact time moves and unreached becomes contacted."""
    row = await _q.fetchrow(db, "record_contact", id=prospect_id, rep_id=rep_id, note=note, now=now)
    if row is None:
        raise RecordNotFound("prospect", prospect_id)
    return Prospect.from_row(row)


async def _existing(db: Executor, prospect_id: str) -> Prospect:
    prospect = await get_prospect(db, prospect_id=prospect_id)
    if prospect is None:
        raise RecordNotFound("prospect", prospect_id)
    return prospect


async def set_hubspot_contact(
    db: Executor, *, prospect_id: str, contact_id: str, now: datetime
) -> Prospect:
    row = await _q.fetchrow(
        db, "set_hubspot_contact", id=prospect_id, contact_id=contact_id, now=now
    )
    if row is None:
        raise RecordNotFound("prospect", prospect_id)
    return Prospect.from_row(row)


async def log_activity(
    db: Executor,
    *,
    prospect_id: str,
    kind: str,
    now: datetime,
    rep_id: UUID | None = None,
    body: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """A touch on the prospect: a meeting booked, a note logged to HubSpot."""
    await _q.execute(
        db,
        "log_activity",
        prospect_id=prospect_id,
        rep_id=rep_id,
        kind=kind,
        body=body,
        data=data or {},
        now=now,
    )


async def release_prospects_of(db: Executor, *, rep_id: UUID, now: datetime) -> list[Prospect]:
    """The rep's open prospects (any open status), unassigned and returned."""
    rows = await _q.fetch(
        db, "release_of_rep", rep_id=rep_id, open=list(OPEN_PROSPECT_STATUSES), now=now
    )
    return sorted((Prospect.from_row(r) for r in rows), key=lambda p: p.name)


async def known_contacts(
    db: Executor, *, emails: list[str], handles: list[str]
) -> tuple[set[str], set[str]]:
    """Which of these emails and Telegram handles (lower case) prospects already have."""
    rows = await _q.fetch(db, "known_contacts", emails=emails, handles=handles)
    return (
        {r["email"] for r in rows if r["email"] in emails},
        {r["telegram"] for r in rows if r["telegram"] in handles},
    )
