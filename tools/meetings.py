"""Meeting tools: a Zoom meeting on its own, and a meeting booked with a prospect."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from pydantic_ai import FunctionToolset, ModelRetry, RunContext

from db import meetings
from db.models import Meeting
from tools import changes, texts
from tools.access import NotDone, confirm, tool_for
from tools.actor import Role
from tools.booking import Booked, Booking, book
from tools.calendar_access import require_proved
from tools.clients.errors import IntegrationError
from tools.clients.models import NewZoomMeeting, ZoomMeeting
from tools.deps import Deps
from tools.names import NAME_SHOWN, one_line
from tools.refs import one_meeting, one_prospect
from tools.services import Step, as_json, perform
from tools.times import doubt, in_zone, zone_name, zone_of

meeting_tools = FunctionToolset[Deps]()

SANDBOX_NOTE = (
    "Sandbox mode: recorded here only; no real Zoom meeting, calendar invite or HubSpot entry "
    "was made. Tell the user so."
)


@tool_for(meeting_tools, Role.ACTIVE)
async def create_zoom(
    ctx: RunContext[Deps], topic: str, start: datetime, duration_minutes: int = 30
) -> dict[str, Any]:
    """Create a Zoom meeting alone (no calendar event) and get its join link."""
    deps = ctx.deps
    rep = deps.actor.active_rep()
    begins, _ = _times(deps, start, duration_minutes)
    zoom = deps.services.zoom
    request = NewZoomMeeting(
        topic, begins, duration_minutes, str(zone_of(deps)), rep.email, rep.name
    )
    key = f"zoom:{rep.id}:{topic}:{begins.timestamp():.0f}"
    step = Step("zoom", "meetings.create", zoom.sandbox, as_json(request), key, rep.id)
    try:
        made = await perform(
            deps.journal, step, lambda: zoom.create_meeting(request), ZoomMeeting, deps.now()
        )
    except IntegrationError as e:
        raise NotDone(f"Zoom did not create the meeting ({e.message})") from None
    result = {"topic": made.topic, "start": _shown(deps, begins), "join_url": made.join_url}
    return result | ({"note": SANDBOX_NOTE} if zoom.sandbox else {})


@tool_for(meeting_tools, Role.ACTIVE)
async def book_calendar(
    ctx: RunContext[Deps],
    prospect: str,
    start: datetime,
    duration_minutes: int = 30,
    title: str | None = None,
    zoom: bool = True,
) -> dict[str, Any]:
    """Book a meeting with the user's prospect after they confirm: calendar invitation, Zoom
    link, HubSpot log; the prospect moves to in_conversation.

    Args:
        title: by default "<prospect> — True Real Estate"
        zoom: false in person or by phone
    """
    deps = ctx.deps
    rep = deps.actor.active_rep()
    require_proved(deps, rep)
    target = await one_prospect(deps, prospect, rep_id=rep.id)
    begins, ends = _times(deps, start, duration_minutes)
    booking = Booking(
        rep,
        target,
        begins,
        ends,
        title or f"{target.name} — True Real Estate",
        str(zone_of(deps)),
        zoom,
    )
    again = await meetings.get_meeting_by_key(deps.db, idempotency_key=booking.key)
    await _free(deps, rep.id, begins, ends, again.id if again else None)
    confirm(ctx, "meeting", **_asked(deps, booking))
    return _card(deps, await book(deps, booking))


async def with_meetings(deps: Deps) -> bool:
    rep = deps.actor.rep
    return rep is not None and await meetings.has_upcoming(deps.db, rep_id=rep.id, now=deps.now())


@tool_for(meeting_tools, Role.ACTIVE, applies=with_meetings)
async def cancel_meeting(
    ctx: RunContext[Deps], meeting: str, reason: str | None = None
) -> dict[str, Any]:
    """Cancel the user's upcoming meeting everywhere (the client is told), after asking.

    Args:
        meeting: prospect, day YYYY-MM-DD or meeting id
    """
    deps = ctx.deps
    rep = deps.actor.active_rep()
    target = await one_meeting(deps, meeting, rep_id=rep.id)
    require_proved(deps, rep)
    confirm(ctx, "change.cancel", title=target.title, when=_span(deps, target))
    return _changed(deps, "cancelled", await changes.cancel(deps, rep, target, reason))


@tool_for(meeting_tools, Role.ACTIVE, applies=with_meetings)
async def reschedule_meeting(
    ctx: RunContext[Deps], meeting: str, start: datetime, duration_minutes: int | None = None
) -> dict[str, Any]:
    """Move the user's upcoming meeting everywhere (the client is told), after asking.

    Args:
        meeting: as for cancel_meeting
        start: new time, as for book_calendar
    """
    deps = ctx.deps
    rep = deps.actor.active_rep()
    target = await one_meeting(deps, meeting, rep_id=rep.id)
    minutes = duration_minutes or int((target.ends_at - target.starts_at).total_seconds() // 60)
    begins, ends = _times(deps, start, minutes)
    await _free(deps, rep.id, begins, ends, target.id)
    require_proved(deps, rep)
    moved = dataclasses.replace(target, starts_at=begins, ends_at=ends)
    confirm(
        ctx, "change.move", title=target.title, old=_span(deps, target), when=_span(deps, moved)
    )
    return _changed(deps, "moved", await changes.move(deps, rep, target, begins, ends))


async def _free(
    deps: Deps, rep_id: UUID, begins: datetime, ends: datetime, moving: UUID | None = None
) -> None:
    """A time overlapping another of the rep's meetings is questioned, not booked."""
    found = await meetings.scheduled_between(deps.db, rep_id=rep_id, start=begins, end=ends)
    if others := [m for m in found if m.id != moving]:
        listed = "; ".join(f"{m.title} {_span(deps, m)}" for m in others)
        raise NotDone(f"that time overlaps the rep's meeting {listed}; ask for another time")


def _times(deps: Deps, start: datetime, duration_minutes: int) -> tuple[datetime, datetime]:
    if not 10 <= duration_minutes <= 240:
        raise ModelRetry("duration_minutes must be between 10 and 240")
    begins = in_zone(start, zone_of(deps))
    ends = begins + timedelta(minutes=duration_minutes)
    if reason := doubt(deps, begins, ends):
        raise NotDone(reason)
    return begins, ends


def _shown(deps: Deps, moment: datetime) -> str:
    return f"{moment.astimezone(zone_of(deps)):%A %Y-%m-%d %H:%M} ({zone_of(deps)})"


def _asked(deps: Deps, b: Booking) -> dict[str, str]:
    """The values of the booking's question, in the user's language."""
    language, zone, email = deps.actor.language, zone_of(deps), b.prospect.email
    return {
        "name": one_line(b.prospect.name, NAME_SHOWN),
        "when": f"{b.start.astimezone(zone):%d.%m %H:%M}–{b.end.astimezone(zone):%H:%M}",
        "zone": zone_name(b.timezone, language),
        "zoom": texts.text("question.meeting_zoom", language) if b.zoom else "",
        "invite": texts.text("question.invite", language, email=email)
        if email
        else texts.text("question.no_invite", language),
    }


def _span(deps: Deps, m: Meeting) -> str:
    zone = zone_of(deps)
    shown = f"{m.starts_at.astimezone(zone):%d.%m %H:%M}–{m.ends_at.astimezone(zone):%H:%M}"
    return f"{shown} ({zone_name(zone, deps.actor.language)})"


def _changed(deps: Deps, status: str, changed: changes.Changed) -> dict[str, Any]:
    m = changed.meeting
    card: dict[str, Any] = {"status": status, "title": m.title, "when": _shown(deps, m.starts_at)}
    card["done_in"] = changed.done
    if changed.failed:
        card["not_done"] = changed.failed
    return card | ({"note": SANDBOX_NOTE} if m.sandbox else {})


def _card(deps: Deps, booked: Booked) -> dict[str, Any]:
    m = booked.meeting
    card: dict[str, Any] = {
        "status": "already_booked" if booked.already else "booked",
        "title": m.title,
        "when": _shown(deps, m.starts_at),
        "minutes": int((m.ends_at - m.starts_at).total_seconds() // 60),
        "zoom_join_url": m.zoom_join_url,
        "calendar_event_id": m.calendar_event_id,
        "logged_to_hubspot": m.hubspot_meeting_id is not None,
    }
    if booked.owed:
        card["not_done"] = booked.owed
    return card | ({"note": SANDBOX_NOTE} if m.sandbox else {})
