"""Whether a meeting's time is free: not over another of the rep's meetings booked here, nor over
busy time in their Google Calendar (free/busy). A calendar that cannot be read does not stop a
booking; the rep is told it was not checked."""

from __future__ import annotations

from collections.abc import Awaitable
from functools import partial
from typing import Any

from db import integrations, meetings
from db.models import Meeting, Rep
from tools import texts
from tools.access import NotDone
from tools.calendar_access import using_calendar
from tools.clients.calendar_models import Interval
from tools.clients.errors import IntegrationError
from tools.deps import Deps
from tools.services import Step, perform
from tools.times import span


async def check_free(
    deps: Deps,
    rep: Rep,
    wanted: Interval,
    *,
    moving: Meeting | None = None,
    calendar_key: str | None = None,
) -> str | None:
    """Raises NotDone when `wanted` clashes; otherwise, the calendar not checked, why not.
    `moving` is the meeting being moved (its own time does not count); `calendar_key` the
    journal key of this change's calendar step: once done, the calendar already holds it."""
    found = await meetings.scheduled_between(
        deps.db, rep_id=rep.id, start=wanted.start, end=wanted.end
    )
    if others := [m for m in found if moving is None or m.id != moving.id]:
        listed = "; ".join(f"{m.title} {span(deps, m.starts_at, m.ends_at)}" for m in others)
        raise NotDone(f"that time overlaps the rep's meeting {listed}; ask for another time")
    if calendar_key and await integrations.recorded(deps.journal, idempotency_key=calendar_key):
        return None
    try:
        busy = await _busy(deps, rep, wanted)
    except IntegrationError as e:
        return e.message
    own = Interval(moving.starts_at, moving.ends_at) if moving else None
    if clashes := [b for b in _without(busy, own) if _overlap(b, wanted)]:
        listed = "; ".join(span(deps, b.start, b.end) for b in clashes)
        raise NotDone(
            f"that time is busy in the rep's Google Calendar ({listed}); ask for another time"
        )
    return None


def unchecked_line(deps: Deps, why: str | None) -> str | None:
    """What the rep reads under the question when their calendar could not be checked."""
    return texts.text("booking_check.unchecked", deps.actor.language) if why else None


def unchecked_field(why: str | None) -> dict[str, Any]:
    if why is None:
        return {}
    return {"calendar_not_checked": f"{why}; tell the user their calendar was not checked"}


async def _busy(deps: Deps, rep: Rep, wanted: Interval) -> list[Interval]:
    calendar = deps.services.calendar
    request = {"timeMin": wanted.start.isoformat(), "timeMax": wanted.end.isoformat()}
    step = Step("google_calendar", "freebusy.query", calendar.sandbox, request, rep_id=rep.id)

    def query(access: Any) -> Awaitable[list[Interval]]:
        asked = partial(calendar.busy, access, start=wanted.start, end=wanted.end)
        return perform(deps.journal, step, asked, list, deps.now())

    return await using_calendar(deps, rep, query)


def _without(busy: list[Interval], own: Interval | None) -> list[Interval]:
    """Busy time less the meeting's own (Google merges touching blocks, so it is cut out)."""
    if own is None:
        return busy
    left: list[Interval] = []
    for b in busy:
        left += [Interval(b.start, min(b.end, own.start))] if b.start < own.start else []
        left += [Interval(max(b.start, own.end), b.end)] if b.end > own.end else []
    return left


def _overlap(a: Interval, b: Interval) -> bool:
    return a.start < b.end and b.start < a.end and a.start < a.end
