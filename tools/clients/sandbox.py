"""The sandbox twins: what runs when a service's credentials are not set. They answer like the
real service, with ids derived from the request (the same request, the same id) and links on
`sandbox.invalid`, a domain that can never resolve, so nobody mistakes them for real ones.
Every call is recorded by the caller like a real one, marked as sandboxed."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from tools.clients.calendar_models import (
    CalendarAccess,
    CalendarEvent,
    EventChanges,
    Interval,
    NewEvent,
    WatchChannel,
)
from tools.clients.hubspot_models import Contact, Deal, Engagement
from tools.clients.zoom_models import NewZoomMeeting, ZoomMeeting

LINKS = "https://sandbox.invalid"


def _digits(*parts: object, width: int) -> int:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()
    number: int = int(digest, 16) % 10**width
    return number


class SandboxCalendar:
    sandbox = True

    async def primary(self, access: CalendarAccess) -> str:
        return access.email

    async def busy(
        self, access: CalendarAccess, *, start: datetime, end: datetime
    ) -> list[Interval]:
        return []

    async def create_event(self, access: CalendarAccess, event: NewEvent) -> CalendarEvent:
        return CalendarEvent(
            id=event.event_id, html_link=f"{LINKS}/calendar/event/{event.event_id}"
        )

    async def delete_event(self, access: CalendarAccess, event_id: str) -> None:
        return None

    async def move_event(
        self,
        access: CalendarAccess,
        event_id: str,
        *,
        start: datetime,
        end: datetime,
        timezone: str,
    ) -> None:
        return None

    async def changes(
        self,
        access: CalendarAccess,
        *,
        sync_token: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> EventChanges:
        """The sandbox calendar holds only what the bot booked, which it knows already."""
        return EventChanges(events=(), sync_token="sandbox")

    async def watch(
        self, access: CalendarAccess, *, channel_id: str, address: str, token: str
    ) -> WatchChannel:
        """Nothing changes in the sandbox, so nothing is ever sent."""
        return WatchChannel(channel_id, f"sandbox-{channel_id}", datetime.max.replace(tzinfo=UTC))

    async def stop(self, access: CalendarAccess, *, channel_id: str, resource_id: str) -> None:
        return None


class SandboxZoom:
    sandbox = True

    async def create_meeting(self, meeting: NewZoomMeeting) -> ZoomMeeting:
        number = 80_000_000_000 + _digits(meeting.topic, meeting.start.isoformat(), width=10)
        password = f"{_digits(number, width=6):06d}"
        return ZoomMeeting(
            id=number,
            join_url=f"{LINKS}/zoom/j/{number}?pwd={password}",
            start_url=f"{LINKS}/zoom/s/{number}",
            password=password,
            host=meeting.host_email,
            topic=meeting.topic,
        )

    async def delete_meeting(self, meeting_id: int) -> None:
        return None

    async def recover_meeting(self, meeting_id: int) -> None:
        return None

    async def move_meeting(
        self, meeting_id: int, *, start: datetime, duration_minutes: int, timezone: str
    ) -> None:
        return None


class SandboxHubSpot:
    sandbox = True

    async def find_or_create_contact(self, *, email: str | None, name: str) -> Contact:
        return Contact(id=str(_digits(email or name, width=11)), email=email, created=False)

    async def add_note(
        self, *, contact_id: str, body: str, at: datetime, owner_id: str | None = None
    ) -> str:
        return str(_digits(contact_id, body, at.isoformat(), width=11))

    async def log_meeting(
        self,
        *,
        contact_id: str,
        title: str,
        body: str,
        start: datetime,
        end: datetime,
        join_url: str | None,
        owner_id: str | None = None,
    ) -> str:
        return str(_digits(contact_id, title, start.isoformat(), width=11))

    async def update_meeting(
        self,
        meeting_id: str,
        *,
        outcome: str,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> None:
        return None

    async def deals_of_contact(self, contact_id: str) -> list[Deal]:
        return []

    async def engagements_of_contact(self, contact_id: str, *, limit: int = 20) -> list[Engagement]:
        return []
