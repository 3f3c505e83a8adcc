"""Booking a meeting with a prospect, step by step: the Zoom meeting, the calendar event with
the prospect invited, our own record, the HubSpot log, the prospect's status. Each outside step
is done once per booking (a retried turn reuses it); if the calendar fails the Zoom meeting is
cancelled, and if only HubSpot fails the meeting stands and owes the log."""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from db import meetings, prospects
from db.errors import InvalidTransition
from db.models import Meeting, Prospect, ProspectStatus, Rep
from tools import hot_leads, texts
from tools.access import NotDone
from tools.calendar_access import require_proved, using_calendar
from tools.clients.calendar_models import Attendee, CalendarAccess, CalendarEvent, NewEvent
from tools.clients.errors import IntegrationError
from tools.clients.zoom_models import NewZoomMeeting, ZoomMeeting
from tools.crm import contact_of
from tools.deps import Deps
from tools.services import Step, as_json, perform, undo


@dataclass(frozen=True, slots=True)
class Booking:
    rep: Rep
    prospect: Prospect
    start: datetime
    end: datetime
    title: str
    timezone: str
    zoom: bool = True

    @property
    def key(self) -> str:
        return f"meeting:{self.rep.id}:{self.prospect.id}:{self.start.timestamp():.0f}"

    @property
    def calendar_key(self) -> str:
        """Its calendar step's key: once recorded, the calendar holds the event."""
        return f"{self.key}:google_calendar:events.insert"


@dataclass(frozen=True, slots=True)
class Booked:
    meeting: Meeting
    already: bool = False
    owed: list[str] = field(default_factory=list)


async def book(deps: Deps, booking: Booking) -> Booked:
    existing = await meetings.get_meeting_by_key(deps.db, idempotency_key=booking.key)
    if existing is not None:
        return await _settle(deps, booking, existing)
    require_proved(deps, booking.rep)
    zoom = await _zoom(deps, booking) if booking.zoom else None
    try:
        event = await using_calendar(deps, booking.rep, lambda a: _event(deps, booking, a, zoom))
    except (IntegrationError, NotDone) as e:
        cancelled = await _cancel_zoom(deps, booking, zoom)
        raise NotDone(f"the calendar event could not be created ({_why(e)}); {cancelled}") from None
    hubspot_id, not_logged = await _log_to_hubspot(deps, booking, zoom)
    meeting = await meetings.create_meeting(
        deps.db,
        rep_id=booking.rep.id,
        prospect_id=booking.prospect.id,
        title=booking.title,
        starts_at=booking.start,
        ends_at=booking.end,
        sandbox=deps.services.calendar.sandbox,
        zoom_meeting_id=zoom.id if zoom else None,
        zoom_join_url=zoom.join_url if zoom else None,
        calendar_event_id=event.id,
        hubspot_meeting_id=hubspot_id,
        idempotency_key=booking.key,
        owed=["hubspot"] if hubspot_id is None else [],
        now=deps.now(),
    )
    await _advance_prospect(deps, booking, meeting)
    await hot_leads.meeting_booked(deps, booking.prospect, meeting)
    return Booked(meeting, owed=not_logged)


async def settle(deps: Deps, meeting: Meeting, rep: Rep, prospect: Prospect) -> Booked:
    """A booked meeting's owed steps tried again, as when the rep books it again."""
    zoom = meeting.zoom_meeting_id is not None
    booking = Booking(
        rep, prospect, meeting.starts_at, meeting.ends_at, meeting.title, rep.timezone, zoom
    )
    return await _settle(deps, booking, meeting)


async def _settle(deps: Deps, booking: Booking, meeting: Meeting) -> Booked:
    """The meeting is booked already; a step it still owes is tried again now."""
    if "hubspot" not in meeting.owed:
        return Booked(meeting, already=True)
    hubspot_id, not_logged = await _log_to_hubspot(deps, booking, _recorded_zoom(meeting))
    if hubspot_id is not None:
        meeting = await meetings.settle_owed(
            deps.db,
            meeting_id=meeting.id,
            step="hubspot",
            hubspot_meeting_id=hubspot_id,
            now=deps.now(),
        )
    return Booked(meeting, already=True, owed=not_logged)


def _recorded_zoom(meeting: Meeting) -> ZoomMeeting | None:
    if meeting.zoom_meeting_id is None or meeting.zoom_join_url is None:
        return None
    return ZoomMeeting(
        meeting.zoom_meeting_id, meeting.zoom_join_url, None, None, "", meeting.title
    )


async def _zoom(deps: Deps, booking: Booking) -> ZoomMeeting:
    zoom = deps.services.zoom
    request = NewZoomMeeting(
        topic=booking.title,
        start=booking.start,
        duration_minutes=int((booking.end - booking.start).total_seconds() // 60),
        timezone=booking.timezone,
        host_email=booking.rep.email,
        host_name=booking.rep.name,
        agenda=_invitation(booking, None),
    )
    step = _step(booking, "zoom", "meetings.create", zoom.sandbox, as_json(request))
    try:
        return await perform(
            deps.journal, step, lambda: zoom.create_meeting(request), ZoomMeeting, deps.now()
        )
    except IntegrationError as e:
        raise NotDone(f"Zoom did not create the meeting ({_why(e)}); nothing was booked") from None


async def _event(
    deps: Deps, booking: Booking, access: CalendarAccess, zoom: ZoomMeeting | None
) -> CalendarEvent:
    calendar = deps.services.calendar
    prospect = booking.prospect
    event = NewEvent(
        event_id=hashlib.sha256(booking.key.encode()).hexdigest()[:32],
        summary=booking.title,
        description=_invitation(booking, zoom),
        start=booking.start,
        end=booking.end,
        timezone=booking.timezone,
        attendees=(Attendee(prospect.email, prospect.name),) if prospect.email else (),
        location=zoom.join_url if zoom else None,
    )
    step = _step(booking, "google_calendar", "events.insert", calendar.sandbox, as_json(event))
    return await perform(
        deps.journal, step, lambda: calendar.create_event(access, event), CalendarEvent, deps.now()
    )


async def _cancel_zoom(deps: Deps, booking: Booking, zoom: ZoomMeeting | None) -> str:
    if zoom is None:
        return "nothing was booked"
    step = _step(booking, "zoom", "meetings.create", deps.services.zoom.sandbox, {})
    try:
        await deps.services.zoom.delete_meeting(zoom.id)
    except IntegrationError as e:
        return f"nothing was booked, but Zoom meeting {zoom.id} could not be cancelled ({_why(e)})"
    await undo(deps.journal, step, deps.now())
    return f"nothing was booked and Zoom meeting {zoom.id} was cancelled"


async def _log_to_hubspot(
    deps: Deps, booking: Booking, zoom: ZoomMeeting | None
) -> tuple[str | None, list[str]]:
    """The HubSpot meeting's id, or None and what the rep is told was not done."""
    hubspot = deps.services.hubspot
    step = _step(booking, "hubspot", "meetings.create", hubspot.sandbox, {"title": booking.title})

    async def log() -> str:
        contact = await contact_of(deps, booking.rep, booking.prospect)
        return await hubspot.log_meeting(
            contact_id=contact.id,
            title=booking.title,
            body=_description(booking, zoom),
            start=booking.start,
            end=booking.end,
            join_url=zoom.join_url if zoom else None,
            owner_id=booking.rep.hubspot_owner_id,
        )

    try:
        return await perform(deps.journal, step, log, str, deps.now()), []
    except IntegrationError as e:
        return None, [f"the HubSpot log ({_why(e)}); it is recorded to be done later"]


async def _advance_prospect(deps: Deps, booking: Booking, meeting: Meeting) -> None:
    rep, prospect = booking.rep, booking.prospect
    local = booking.start.strftime("%Y-%m-%d %H:%M")
    with contextlib.suppress(InvalidTransition):  # a client's later meeting keeps their status
        await prospects.update_prospect_status(
            deps.db,
            prospect_id=prospect.id,
            status=ProspectStatus.IN_CONVERSATION,
            rep_id=rep.id,
            note=f"meeting booked for {local} ({booking.timezone})",
            now=deps.now(),
        )
    await prospects.log_activity(
        deps.db,
        prospect_id=prospect.id,
        rep_id=rep.id,
        kind="meeting",
        body=booking.title,
        data={"meeting_id": str(meeting.id), "starts_at": meeting.starts_at.isoformat()},
        now=deps.now(),
    )


def _invitation(booking: Booking, zoom: ZoomMeeting | None) -> str:
    """What the client reads (Google mails them the event; Zoom shows the agenda): who invites
    and the link, in their language. Our context and notes about them stay with us."""
    lines = [texts.text("invite.organiser", booking.prospect.language, rep=booking.rep.name)]
    if zoom:
        lines.append(f"Zoom: {zoom.join_url}")
    return "\n".join(lines)


def _description(booking: Booking, zoom: ZoomMeeting | None) -> str:
    """The meeting as the team's CRM keeps it, internal notes included."""
    prospect = booking.prospect
    lines = [f"{prospect.name}" + (f" ({prospect.telegram_id})" if prospect.telegram_id else "")]
    lines += [text for text in (prospect.context, prospect.notes) if text]
    if zoom:
        lines.append(f"Zoom: {zoom.join_url}")
    lines.append(f"Booked by {booking.rep.name} via salesbot")
    return "\n".join(lines)


def _step(booking: Booking, service: str, op: str, sandbox: bool, request: dict[str, Any]) -> Step:
    return Step(
        service,
        op,
        sandbox,
        request,
        key=f"{booking.key}:{service}:{op}",
        rep_id=booking.rep.id,
        prospect_id=booking.prospect.id,
    )


def _why(error: Exception) -> str:
    return error.message if isinstance(error, IntegrationError) else str(error)
