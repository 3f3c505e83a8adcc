"""Google Calendar's events as its JSON has them: the body of an event we insert, and what a
listing's items become; with the RFC 3339 times both are written in."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from tools.clients.calendar_models import EventAttendee, NewEvent, SyncedEvent

MARKER = "salesbot"
"""Our private extended property on events the bot made."""


def event_body(event: NewEvent) -> dict[str, Any]:
    zone = ZoneInfo(event.timezone)
    body: dict[str, Any] = {
        "id": event.event_id,
        "summary": event.summary,
        "description": event.description,
        "start": {"dateTime": rfc3339(event.start, zone), "timeZone": event.timezone},
        "end": {"dateTime": rfc3339(event.end, zone), "timeZone": event.timezone},
    }
    if event.attendees:
        body["attendees"] = [
            {"email": a.email} | ({"displayName": a.name} if a.name else {})
            for a in event.attendees
        ]
    if event.location:
        body["location"] = event.location
    return body


def synced_event(item: dict[str, Any]) -> SyncedEvent:
    """What the product keeps of an event as Google lists it (the description is not read)."""
    start, end = item.get("start") or {}, item.get("end") or {}
    timed = "dateTime" in start and "dateTime" in end
    private = (item.get("extendedProperties") or {}).get("private") or {}
    return SyncedEvent(
        id=str(item["id"]),
        status=str(item.get("status", "confirmed")),
        summary=str(item.get("summary") or "").strip(),
        start=parse_time(start["dateTime"]) if timed else None,
        end=parse_time(end["dateTime"]) if timed else None,
        attendees=tuple(
            EventAttendee(
                email=str(a["email"]).strip().lower(),
                name=str(a.get("displayName") or "").strip() or None,
                response_status=a.get("responseStatus"),
                resource=bool(a.get("resource")),
                me=bool(a.get("self")),
            )
            for a in item.get("attendees") or []
            if a.get("email")
        ),
        marker=private.get(MARKER),
        recurring_event_id=item.get("recurringEventId"),
    )


def rfc3339(moment: datetime, zone: tzinfo = UTC) -> str:
    """With the offset of `zone` (a naive time is taken as already there)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(zone)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)
