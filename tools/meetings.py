"""Meeting tools: a Zoom meeting on its own, and a meeting booked with a prospect."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic_ai import FunctionToolset, ModelRetry, RunContext

from db import meetings
from db.models import Meeting, Prospect, ProspectStatus
from tools import changes, texts
from tools.access import NotDone, confirm, tool_for
from tools.actor import Role
from tools.booking import Booked, Booking, book
from tools.calendar_access import require_proved
from tools.clashes import check_free, unchecked_field, unchecked_line
from tools.clients.calendar_models import Interval
from tools.clients.errors import IntegrationError
from tools.clients.zoom_models import NewZoomMeeting, ZoomMeeting
from tools.deps import Deps
from tools.names import NAME_SHOWN, one_line
from tools.refs import one_meeting, one_prospect
from tools.services import Step, as_json, perform
from tools.times import doubt, in_zone, span, zone_name, zone_of

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
    unchecked = None
    if await meetings.get_meeting_by_key(deps.db, idempotency_key=booking.key) is None:
        wanted = Interval(begins, ends)
        unchecked = await check_free(deps, rep, wanted, calendar_key=booking.calendar_key)
    archived = target.status is ProspectStatus.ARCHIVED
    lines = [_archived(deps, target) if archived else None, unchecked_line(deps, unchecked)]
    footnote = "\n".join(line for line in lines if line) or None
    confirm(ctx, "meeting", footnote, **_asked(deps, booking))
    card = _card(deps, await book(deps, booking)) | unchecked_field(unchecked)
    return card | ({"was_archived": "now in_conversation again"} if archived else {})


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
    if (target.starts_at, target.ends_at) == (begins, ends):  # a call repeated once done
        return _changed(deps, "already_at_that_time", changes.Changed(target))
    require_proved(deps, rep)
    key = changes.calendar_key_of_move(target, begins)
    unchecked = await check_free(deps, rep, Interval(begins, ends), moving=target, calendar_key=key)
    was, when = _span(deps, target), span(deps, begins, ends)
    confirm(
        ctx, "change.move", unchecked_line(deps, unchecked), title=target.title, old=was, when=when
    )
    moved = await changes.move(deps, rep, target, begins, ends)
    return _changed(deps, "moved", moved) | unchecked_field(unchecked)


async def _calendar_or_meetings(deps: Deps) -> bool:
    rep = deps.actor.rep
    if rep is None:
        return False
    return rep.calendar_connected_at is not None or await meetings.has_any(deps.db, rep_id=rep.id)


@tool_for(meeting_tools, Role.ACTIVE, applies=_calendar_or_meetings)
async def list_my_meetings(
    ctx: RunContext[Deps], start: str = "", end: str = ""
) -> list[dict[str, Any]]:
    """The user's meetings, booked or from their calendar; start, end: ISO, end not included,
    default a week from today. One day: start and end both that day's date."""
    deps = ctx.deps
    rep, zone = deps.actor.active_rep(), zone_of(deps)
    today = deps.now().astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    begins = in_zone(_moment(start), zone) if start else today
    ends = in_zone(_moment(end), zone) if end else begins + timedelta(days=7)
    if _is_day(end) and ends == begins:
        ends += timedelta(days=1)
    if ends <= begins:
        raise ModelRetry("end must be after start")
    found = await meetings.listed_between(deps.db, rep_id=rep.id, start=begins, end=ends)
    return [
        {
            "title": m.title,
            "when": _span(deps, m),
            "date": f"{m.starts_at.astimezone(zone):%A %Y-%m-%d}",
        }
        | ({"with": name} if name else {})
        | ({"held": True, "outcome": m.outcome} if m.status == "held" else {})
        for m, name in found
    ]


def _is_day(text: str) -> bool:
    """A date with no time of day, as 2026-11-21."""
    return len(text.strip()) == 10 and "T" not in text


def _moment(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ModelRetry(f"{text!r} is not an ISO 8601 time") from None


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


def _archived(deps: Deps, prospect: Prospect) -> str:
    name = one_line(prospect.name, NAME_SHOWN)
    return texts.text("booking_check.archived", deps.actor.language, name=name)


def _span(deps: Deps, m: Meeting) -> str:
    return span(deps, m.starts_at, m.ends_at)


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
