"""Changing a booked meeting: cancelled or moved in the calendar (Google tells the attendees),
in Zoom and in HubSpot, then in our table. Each outside step is keyed, so a retried turn
reuses what was done; what could not be done is said step by step."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from db import meetings, prospects
from db.models import Meeting, Rep
from tools.access import NotDone
from tools.calendar_access import using_calendar
from tools.clients.calendar_models import CalendarAccess
from tools.clients.errors import IntegrationError, RemoteNotFound
from tools.deps import Deps
from tools.services import Step, perform


@dataclass(frozen=True, slots=True)
class Changed:
    meeting: Meeting
    done: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


async def cancel(deps: Deps, rep: Rep, meeting: Meeting, reason: str | None) -> Changed:
    """The calendar first: while the invitation stands nothing else is cancelled."""
    calendar, zoom, hubspot = deps.services.calendar, deps.services.zoom, deps.services.hubspot
    key = f"cancel:{meeting.id}"
    done: list[str] = []
    if (event_id := meeting.calendar_event_id) is not None:
        step = _step(deps, rep, meeting, key, "google_calendar", "events.delete", calendar.sandbox)
        why = await _try(
            deps,
            step,
            lambda: using_calendar(deps, rep, lambda a: calendar.delete_event(a, event_id)),
        )
        if why is not None:
            raise NotDone(
                f"the calendar event could not be cancelled ({why}); nothing was cancelled"
            )
        done.append("calendar (the client is notified)")
    failed: list[str] = []
    if (zoom_id := meeting.zoom_meeting_id) is not None:
        step = _step(deps, rep, meeting, key, "zoom", "meetings.delete", zoom.sandbox)
        _note(await _try(deps, step, lambda: zoom.delete_meeting(zoom_id)), "Zoom", done, failed)
    if (hubspot_id := meeting.hubspot_meeting_id) is not None:
        step = _step(deps, rep, meeting, key, "hubspot", "meetings.update", hubspot.sandbox)
        call = lambda: hubspot.update_meeting(hubspot_id, outcome="CANCELED")  # noqa: E731
        _note(await _try(deps, step, call), "HubSpot", done, failed)
    cancelled = await meetings.cancel_meeting(deps.db, meeting_id=meeting.id, now=deps.now())
    await _log(deps, rep, meeting, f"meeting cancelled: {meeting.title}", reason)
    return Changed(cancelled or meeting, done, failed)


async def move(deps: Deps, rep: Rep, meeting: Meeting, start: datetime, end: datetime) -> Changed:
    """The calendar first, as for cancelling; the steps are keyed by the new time."""
    calendar, zoom, hubspot = deps.services.calendar, deps.services.zoom, deps.services.hubspot
    key, zone = _move_key(meeting, start), rep.timezone
    minutes = int((end - start).total_seconds() // 60)
    done: list[str] = []
    if (event_id := meeting.calendar_event_id) is not None:
        step = _step(deps, rep, meeting, key, "google_calendar", "events.patch", calendar.sandbox)

        def moved(a: CalendarAccess) -> Awaitable[None]:
            return calendar.move_event(a, event_id, start=start, end=end, timezone=zone)

        if (why := await _try(deps, step, lambda: using_calendar(deps, rep, moved))) is not None:
            raise NotDone(f"the calendar event could not be moved ({why}); nothing was moved")
        done.append("calendar (the client is notified)")
    failed: list[str] = []
    if (zoom_id := meeting.zoom_meeting_id) is not None:
        step = _step(deps, rep, meeting, key, "zoom", "meetings.update", zoom.sandbox)
        call = lambda: zoom.move_meeting(  # noqa: E731
            zoom_id, start=start, duration_minutes=minutes, timezone=zone
        )
        _note(await _try(deps, step, call), "Zoom", done, failed)
    if (hubspot_id := meeting.hubspot_meeting_id) is not None:
        step = _step(deps, rep, meeting, key, "hubspot", "meetings.update", hubspot.sandbox)
        call = lambda: hubspot.update_meeting(  # noqa: E731
            hubspot_id, outcome="SCHEDULED", start=start, end=end
        )
        _note(await _try(deps, step, call), "HubSpot", done, failed)
    now = deps.now()
    after = await meetings.move_meeting(
        deps.db, meeting_id=meeting.id, starts_at=start, ends_at=end, now=now
    )
    await _log(deps, rep, meeting, f"meeting moved to {start.isoformat()}: {meeting.title}", None)
    return Changed(after or meeting, done, failed)


async def follow(deps: Deps, rep: Rep, meeting: Meeting) -> list[str]:
    """Zoom and HubSpot follow a booked meeting moved, cancelled or restored in the calendar
    itself (the calendar already holds it); what could not be changed, service by service. The
    steps are keyed by the change (what it became, and when), so a meeting cancelled and then
    restored at a time it had before is followed again."""
    zoom, hubspot = deps.services.zoom, deps.services.hubspot
    start, end, cancelled = meeting.starts_at, meeting.ends_at, meeting.status == "cancelled"
    state = "cancelled" if cancelled else f"{start.timestamp():.0f}:{end.timestamp():.0f}"
    key = f"follow:{meeting.id}:{state}:{meeting.updated_at.timestamp():.6f}"
    done: list[str] = []
    failed: list[str] = []
    if (zoom_id := meeting.zoom_meeting_id) is not None:
        minutes = int((end - start).total_seconds() // 60)

        async def moved() -> None:
            await zoom.move_meeting(
                zoom_id, start=start, duration_minutes=minutes, timezone=rep.timezone
            )

        async def zoom_follows() -> None:
            if cancelled:
                return await zoom.delete_meeting(zoom_id)
            try:
                await moved()
            except RemoteNotFound:  # deleted when the meeting was cancelled: its link comes back
                await zoom.recover_meeting(zoom_id)
                await moved()

        op = "meetings.delete" if cancelled else "meetings.update"
        step = _step(deps, rep, meeting, key, "zoom", op, zoom.sandbox)
        _note(await _try(deps, step, zoom_follows), "Zoom", done, failed)
    if (hubspot_id := meeting.hubspot_meeting_id) is not None:
        step = _step(deps, rep, meeting, key, "hubspot", "meetings.update", hubspot.sandbox)
        outcome = "CANCELED" if cancelled else "SCHEDULED"
        call = lambda: hubspot.update_meeting(  # noqa: E731
            hubspot_id, outcome=outcome, start=start, end=end
        )
        _note(await _try(deps, step, call), "HubSpot", done, failed)
    return failed


def calendar_key_of_move(meeting: Meeting, start: datetime) -> str:
    """The move's calendar step's key: once recorded, the calendar holds the new time."""
    return f"{_move_key(meeting, start)}:google_calendar"


def _move_key(meeting: Meeting, start: datetime) -> str:
    return f"move:{meeting.id}:{meeting.starts_at.timestamp():.0f}:{start.timestamp():.0f}"


async def _try(deps: Deps, step: Step, call: Callable[[], Awaitable[None]]) -> str | None:
    """None when done (or already gone there); otherwise why not."""

    async def done() -> bool:
        with contextlib.suppress(RemoteNotFound):
            await call()
        return True

    try:
        await perform(deps.journal, step, done, bool, deps.now())
    except (IntegrationError, NotDone) as e:
        return e.message if isinstance(e, IntegrationError) else str(e)
    return None


def _note(why: str | None, service: str, done: list[str], failed: list[str]) -> None:
    if why is None:
        done.append(service)
    else:
        failed.append(f"{service} could not be changed: {why}")


async def _log(deps: Deps, rep: Rep, meeting: Meeting, body: str, reason: str | None) -> None:
    if meeting.prospect_id is None:
        return
    data: dict[str, Any] = {"meeting_id": str(meeting.id)} | ({"reason": reason} if reason else {})
    await prospects.log_activity(
        deps.db,
        prospect_id=meeting.prospect_id,
        rep_id=rep.id,
        kind="meeting",
        body=body if not reason else f"{body} ({reason})",
        data=data,
        now=deps.now(),
    )


def _step(
    deps: Deps, rep: Rep, meeting: Meeting, key: str, service: str, op: str, sandbox: bool
) -> Step:
    request = {"meeting_id": str(meeting.id)}
    return Step(service, op, sandbox, request, f"{key}:{service}", rep.id, meeting.prospect_id)
