"""What the tools ask of Google Calendar, and what comes back: one interface, met by the
real client and by its sandbox twin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Interval:
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class CalendarAccess:
    """Whose calendar, and the google-auth credentials that act as them (None in the
    sandbox). Credentials refresh themselves during a call; the caller saves the new token."""

    email: str
    credentials: Any = None


@dataclass(frozen=True, slots=True)
class Attendee:
    email: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class NewEvent:
    """`event_id` is ours (base32hex: a-v and 0-9, 5 to 1024 characters), so inserting the
    same event twice finds the first instead of making a second."""

    event_id: str
    summary: str
    description: str
    start: datetime
    end: datetime
    timezone: str
    attendees: tuple[Attendee, ...] = ()
    location: str | None = None


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    id: str
    html_link: str | None
    status: str = "confirmed"


@dataclass(frozen=True, slots=True)
class EventAttendee:
    """`me`: the calendar's own user (Google's `self`), whatever address they signed in with."""

    email: str
    name: str | None = None
    response_status: str | None = None
    resource: bool = False
    me: bool = False


@dataclass(frozen=True, slots=True)
class SyncedEvent:
    """An event of the rep's calendar as a sync reads it: only what the product needs (never
    the description). `start` and `end` are None for an all-day or a deleted event; `marker` is
    our private extended property, on events the bot made."""

    id: str
    status: str
    summary: str = ""
    start: datetime | None = None
    end: datetime | None = None
    attendees: tuple[EventAttendee, ...] = ()
    marker: str | None = None
    recurring_event_id: str | None = None


@dataclass(frozen=True, slots=True)
class WatchChannel:
    """A push channel on a calendar's events: Google posts to our address while it lives."""

    id: str
    resource_id: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class EventChanges:
    """Every page of one listing, and the token to ask for what changes after it."""

    events: tuple[SyncedEvent, ...]
    sync_token: str
    pages: int = 1


class Calendar(Protocol):
    sandbox: bool

    async def primary(self, access: CalendarAccess) -> str:
        """The id of the account's primary calendar (its email); proves access works."""
        ...

    async def busy(
        self, access: CalendarAccess, *, start: datetime, end: datetime
    ) -> list[Interval]: ...

    async def create_event(self, access: CalendarAccess, event: NewEvent) -> CalendarEvent: ...

    async def delete_event(self, access: CalendarAccess, event_id: str) -> None: ...

    async def move_event(
        self,
        access: CalendarAccess,
        event_id: str,
        *,
        start: datetime,
        end: datetime,
        timezone: str,
    ) -> None: ...

    async def changes(
        self,
        access: CalendarAccess,
        *,
        sync_token: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> EventChanges:
        """With `sync_token`: what changed since (deleted events as "cancelled"); without: the
        events of [start, end), recurring ones as instances. A token Google no longer knows
        raises SyncTokenExpired: sync in full again."""
        ...

    async def watch(
        self, access: CalendarAccess, *, channel_id: str, address: str, token: str
    ) -> WatchChannel:
        """Google posts to `address`, with `token`, whenever an event of the calendar changes."""
        ...

    async def stop(self, access: CalendarAccess, *, channel_id: str, resource_id: str) -> None:
        """The channel sends nothing more."""
        ...
