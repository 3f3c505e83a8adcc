"""Turning what the model wrote ("Иван", "@ivan", an email, an id) into one row, or a retry
that lists the candidates so the model can ask or choose."""

from __future__ import annotations

from contextlib import suppress
from datetime import date
from uuid import UUID

from pydantic_ai import ModelRetry

from db import meetings
from db.models import Meeting, Prospect, Rep
from db.prospects import find_prospects
from db.reps import find_reps
from tools.actor import Refused
from tools.deps import Deps
from tools.times import zone_of


async def one_rep(deps: Deps, ref: str) -> Rep:
    found = await find_reps(deps.db, ref=ref)
    if len(found) == 1:
        return found[0]
    if not found:
        raise ModelRetry(
            f"No rep matches {ref!r}. Use list_reps(status='all') to see the team, "
            "or ask the user who they mean."
        )
    listed = "; ".join(f"{r.name} ({_handle(r)}, {r.email}, {r.status}, id {r.id})" for r in found)
    raise ModelRetry(
        f"{ref!r} matches several reps: {listed}. Ask the user which one, or pass an id."
    )


async def one_prospect(deps: Deps, ref: str, *, rep_id: UUID | None = None) -> Prospect:
    found = await find_prospects(deps.db, ref=ref, rep_id=rep_id)
    if len(found) == 1:
        return found[0]
    if not found:
        scope = "among this rep's prospects" if rep_id else ""
        raise ModelRetry(f"No prospect matches {ref!r} {scope}. Ask the user who they mean.")
    listed = "; ".join(f"{p.name} ({p.telegram_id or p.email or '-'}, id {p.id})" for p in found)
    raise ModelRetry(f"{ref!r} matches several prospects: {listed}. Ask which one, or pass an id.")


async def one_meeting(deps: Deps, ref: str, *, rep_id: UUID) -> Meeting:
    """An upcoming meeting of the rep's, named by its id, a day or the prospect."""
    found = await _meetings(deps, ref.strip(), rep_id)
    mine = [m for m in found if m.rep_id == rep_id]
    if found and not mine:
        raise Refused("that meeting is another rep's; only its own rep may change it")
    if len(mine) == 1:
        return mine[0]
    if not mine:
        raise ModelRetry(f"No upcoming meeting of this rep matches {ref!r}. Ask the user which.")
    zone = zone_of(deps)
    listed = "; ".join(
        f"{m.title} {m.starts_at.astimezone(zone):%a %d.%m %H:%M} (id {m.id})" for m in mine
    )
    raise ModelRetry(f"{ref!r} matches several meetings: {listed}. Ask the user which one.")


async def _meetings(deps: Deps, ref: str, rep_id: UUID) -> list[Meeting]:
    now = deps.now()
    with suppress(ValueError):
        return await meetings.upcoming(deps.db, now=now, meeting_id=UUID(ref))
    with suppress(ValueError):
        day, zone = date.fromisoformat(ref), zone_of(deps)
        every = await meetings.upcoming(deps.db, now=now)
        return [
            m for m in every if m.rep_id == rep_id and m.starts_at.astimezone(zone).date() == day
        ]
    ids = [p.id for p in await find_prospects(deps.db, ref=ref)]
    return await meetings.upcoming(deps.db, now=now, prospect_ids=ids) if ids else []


def _handle(rep: Rep) -> str:
    return f"@{rep.telegram_username}" if rep.telegram_username else f"tg {rep.telegram_id}"
