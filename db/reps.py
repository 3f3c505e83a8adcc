"""Sales reps: registration, look-ups and the status lifecycle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import NoReturn
from uuid import UUID

import asyncpg

from db import matches
from db.errors import AlreadyRegistered, EmailTaken, InvalidTransition, RecordNotFound
from db.models import Rep, RepStatus
from db.queries import Executor, Queries, savepoint

_q = Queries("reps")

# Which statuses each target status may be reached from.
_TRANSITIONS: dict[RepStatus, tuple[RepStatus, ...]] = {
    RepStatus.ACTIVE: (RepStatus.PENDING, RepStatus.SUSPENDED, RepStatus.REJECTED),
    RepStatus.REJECTED: (RepStatus.PENDING,),
    RepStatus.SUSPENDED: (RepStatus.ACTIVE,),
    RepStatus.REMOVED: (RepStatus.PENDING, RepStatus.ACTIVE, RepStatus.SUSPENDED),
}


async def create_rep(
    db: Executor,
    *,
    telegram_id: int,
    name: str,
    email: str,
    now: datetime,
    timezone: str,
    telegram_username: str | None = None,
    language: str = "ru",
) -> Rep:
    """A pending application; a rejected or removed rep applies again on their old row."""
    try:
        async with savepoint(db):
            row = await _q.fetchrow(
                db,
                "create",
                telegram_id=telegram_id,
                telegram_username=telegram_username,
                name=name,
                email=email,
                language=language,
                timezone=timezone,
                now=now,
            )
    except asyncpg.UniqueViolationError as e:
        raise EmailTaken(email) from e
    if row is None:
        existing = await get_rep_by_telegram_id(db, telegram_id=telegram_id)
        raise AlreadyRegistered(telegram_id, existing.status if existing else "unknown")
    return Rep.from_row(row)


async def get_rep(db: Executor, *, rep_id: UUID) -> Rep | None:
    row = await _q.fetchrow(db, "get", id=rep_id)
    return Rep.from_row(row) if row else None


async def get_rep_by_telegram_id(db: Executor, *, telegram_id: int) -> Rep | None:
    row = await _q.fetchrow(db, "get_by_telegram_id", telegram_id=telegram_id)
    return Rep.from_row(row) if row else None


async def get_rep_by_email(db: Executor, *, email: str) -> Rep | None:
    row = await _q.fetchrow(db, "get_by_email", email=email)
    return Rep.from_row(row) if row else None


async def list_reps(db: Executor, *, status: RepStatus | None = None) -> list[Rep]:
    """Reps in order of registration; all of them when `status` is None."""
    rows = await _q.fetch(db, "list", status=status)
    return [Rep.from_row(r) for r in rows]


async def find_reps(
    db: Executor, *, ref: str, statuses: list[RepStatus] | None = None
) -> list[Rep]:
    """Reps matching an id, Telegram id, @username, email or name, the exact matches first.

    An exact match on an identifier stands alone; a name search may find several."""
    rows = await _q.fetch(db, "find", ref=ref, statuses=statuses)
    return [Rep.from_row(r) for r in matches.best(rows)]


async def approve_rep(
    db: Executor,
    *,
    rep_id: UUID,
    now: datetime,
    by_telegram_id: int | None = None,
    by_rep_id: UUID | None = None,
) -> Rep:
    """Pending, suspended or rejected becomes active. A rejected applicant whose mailbox has
    since been registered by someone else is `EmailTaken`."""
    try:
        async with savepoint(db):
            row = await _q.fetchrow(
                db,
                "approve",
                id=rep_id,
                now=now,
                by_rep_id=by_rep_id,
                by_telegram_id=by_telegram_id,
                allowed=list(_TRANSITIONS[RepStatus.ACTIVE]),
            )
    except asyncpg.UniqueViolationError as e:
        taken = await get_rep(db, rep_id=rep_id)
        raise EmailTaken(taken.email if taken else "") from e
    if row is None:
        await _refuse(db, rep_id, RepStatus.ACTIVE)
    return Rep.from_row(row)


async def reject_rep(
    db: Executor,
    *,
    rep_id: UUID,
    now: datetime,
    reason: str | None = None,
    by_telegram_id: int | None = None,
) -> Rep:
    return await _set_status(
        db, rep_id, RepStatus.REJECTED, now=now, reason=reason, by=by_telegram_id
    )


async def suspend_rep(
    db: Executor,
    *,
    rep_id: UUID,
    now: datetime,
    reason: str | None = None,
    by_telegram_id: int | None = None,
) -> Rep:
    return await _set_status(
        db, rep_id, RepStatus.SUSPENDED, now=now, reason=reason, by=by_telegram_id
    )


async def remove_rep(
    db: Executor,
    *,
    rep_id: UUID,
    now: datetime,
    reason: str | None = None,
    by_telegram_id: int | None = None,
) -> Rep:
    return await _set_status(
        db, rep_id, RepStatus.REMOVED, now=now, reason=reason, by=by_telegram_id
    )


async def update_rep(
    db: Executor,
    *,
    rep_id: UUID,
    now: datetime,
    name: str | None = None,
    email: str | None = None,
    telegram_username: str | None = None,
    language: str | None = None,
    timezone: str | None = None,
) -> Rep:
    """Changes the given fields; None leaves a field as it is."""
    try:
        async with savepoint(db):
            row = await _q.fetchrow(
                db,
                "update",
                id=rep_id,
                now=now,
                name=name,
                email=email,
                telegram_username=telegram_username,
                language=language,
                timezone=timezone,
            )
    except asyncpg.UniqueViolationError as e:
        raise EmailTaken(email or "") from e
    if row is None:
        raise RecordNotFound("rep", rep_id)
    return Rep.from_row(row)


async def set_calendar_account(
    db: Executor, *, rep_id: UUID, account: str | None, now: datetime
) -> Rep:
    """Links the rep's Google Calendar account; None disconnects it."""
    row = await _q.fetchrow(db, "set_calendar_account", id=rep_id, account=account, now=now)
    if row is None:
        raise RecordNotFound("rep", rep_id)
    return Rep.from_row(row)


async def _set_status(
    db: Executor,
    rep_id: UUID,
    status: RepStatus,
    *,
    now: datetime,
    reason: str | None,
    by: int | None,
) -> Rep:
    row = await _q.fetchrow(
        db,
        "set_status",
        id=rep_id,
        status=status,
        reason=reason,
        by_telegram_id=by,
        now=now,
        allowed=list(_TRANSITIONS[status]),
    )
    if row is None:
        await _refuse(db, rep_id, status)
    return Rep.from_row(row)


async def _refuse(db: Executor, rep_id: UUID, target: RepStatus) -> NoReturn:
    current = await get_rep(db, rep_id=rep_id)
    if current is None:
        raise RecordNotFound("rep", rep_id)
    raise InvalidTransition("rep", current.name, current.status, target)


@dataclass(frozen=True, slots=True)
class PastStatus:
    """A status the rep's row had before the current one, and who set it."""

    status: RepStatus
    reason: str | None
    changed_at: datetime
    by_telegram_id: int | None
    by_self: bool
    by_name: str | None
    by_username: str | None


async def past(db: Executor, *, rep_id: UUID, limit: int = 3) -> list[PastStatus]:
    """The statuses before the current one, newest first."""
    rows = await _q.fetch(db, "past", rep_id=rep_id, limit=limit)
    return [
        PastStatus(**{**dict(r), "status": RepStatus(r["status"]), "by_self": bool(r["by_self"])})
        for r in rows
    ]


async def snooze(db: Executor, *, rep_id: UUID, until: datetime | None, now: datetime) -> Rep:
    """Holds the rep's reminders until `until` (None: reminders resume)."""
    row = await _q.fetchrow(db, "snooze", id=rep_id, until=until, now=now)
    if row is None:
        raise RecordNotFound("rep", rep_id)
    return Rep.from_row(row)


async def update_settings(
    db: Executor,
    *,
    rep_id: UUID,
    now: datetime,
    timezone: str | None = None,
    quiet_hours: tuple[time, time] | None = None,
    language: str | None = None,
    digest_time: time | None = None,
) -> Rep:
    """The rep's own settings; None leaves one as it is."""
    row = await _q.fetchrow(
        db,
        "update_settings",
        id=rep_id,
        now=now,
        timezone=timezone,
        quiet_start=quiet_hours[0] if quiet_hours else None,
        quiet_end=quiet_hours[1] if quiet_hours else None,
        language=language,
        digest_time=digest_time,
    )
    if row is None:
        raise RecordNotFound("rep", rep_id)
    return Rep.from_row(row)
