"""Meeting tools: a Zoom meeting on its own, and a meeting booked with a prospect."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic_ai import FunctionToolset, ModelRetry, RunContext

from tools.access import NotDone, confirm, tool_for
from tools.actor import Role
from tools.booking import Booked, Booking, book
from tools.clients.errors import IntegrationError
from tools.clients.models import NewZoomMeeting, ZoomMeeting
from tools.deps import Deps
from tools.refs import one_prospect
from tools.services import Step, as_json, perform
from tools.times import doubt, in_zone, zone_of

meeting_tools = FunctionToolset[Deps]()

SANDBOX_NOTE = (
    "Sandbox mode: recorded here only; no real Zoom meeting, calendar invite or HubSpot entry "
    "was made. Tell the user so."
)


@tool_for(meeting_tools, Role.ACTIVE)
async def create_zoom(
    ctx: RunContext[Deps], topic: str, start: datetime, duration_minutes: int = 30
) -> dict[str, Any]:
    """Create a Zoom meeting (without a calendar event) and get its join link.

    Args:
        topic: the meeting's title
        start: when, ISO 8601; without an offset it is the user's local time
        duration_minutes: how long
    """
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
    """Book a meeting with one of the user's prospects: a Google Calendar event with the
    prospect invited and, unless zoom is false, a Zoom link; logged to HubSpot, and the
    prospect moves to in_conversation. The user confirms first with buttons.

    Args:
        prospect: the prospect's id, @telegram, email or name
        start: when, ISO 8601; without an offset it is the user's local time
        duration_minutes: how long
        title: the event's title; by default "<prospect> — True Real Estate"
        zoom: false for a meeting without a Zoom link (in person, by phone)
    """
    deps = ctx.deps
    rep = deps.actor.active_rep()
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
    confirm(ctx, _question(deps, booking))
    return _card(deps, await book(deps, booking))


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


def _question(deps: Deps, b: Booking) -> dict[str, str]:
    when = (
        f"{b.start.astimezone(zone_of(deps)):%d.%m %H:%M}–{b.end.astimezone(zone_of(deps)):%H:%M}"
    )
    email = b.prospect.email
    zoom = {"ru": " с Zoom" if b.zoom else "", "en": " with Zoom" if b.zoom else ""}
    invite = {
        "ru": f"Приглашение получит: {email}" if email else "У клиента нет email: без приглашения",
        "en": f"The invitation goes to: {email}" if email else "No email: no invitation is sent",
    }
    return {
        "ru": f"Назначить встречу с {b.prospect.name} {when} ({b.timezone}){zoom['ru']}?\n"
        + invite["ru"],
        "en": f"Book a meeting with {b.prospect.name} on {when} ({b.timezone}){zoom['en']}?\n"
        + invite["en"],
    }


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
