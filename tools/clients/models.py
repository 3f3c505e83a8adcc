"""What the tools ask of Google Calendar, Zoom and HubSpot, and what comes back: one interface
each, met by the real client and by its sandbox twin."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
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
    email: str
    name: str | None = None
    response_status: str | None = None
    resource: bool = False


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


@dataclass(frozen=True, slots=True)
class NewZoomMeeting:
    """Hosted by `host_email`'s Zoom user when the account has one; otherwise by the shared
    host, with `host_name` in the topic."""

    topic: str
    start: datetime
    duration_minutes: int
    timezone: str
    host_email: str
    host_name: str
    agenda: str | None = None


@dataclass(frozen=True, slots=True)
class ZoomMeeting:
    id: int
    join_url: str
    start_url: str | None
    password: str | None
    host: str
    topic: str


@dataclass(frozen=True, slots=True)
class Contact:
    id: str
    email: str | None
    created: bool


@dataclass(frozen=True, slots=True)
class Deal:
    id: str
    name: str
    stage: str
    amount: Decimal | None
    close_date: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Engagement:
    id: str
    kind: str
    at: datetime
    summary: str


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


class Zoom(Protocol):
    sandbox: bool

    async def create_meeting(self, meeting: NewZoomMeeting) -> ZoomMeeting: ...

    async def delete_meeting(self, meeting_id: int) -> None: ...

    async def move_meeting(
        self, meeting_id: int, *, start: datetime, duration_minutes: int, timezone: str
    ) -> None: ...


class HubSpot(Protocol):
    sandbox: bool

    async def find_or_create_contact(self, *, email: str | None, name: str) -> Contact: ...

    async def add_note(
        self, *, contact_id: str, body: str, at: datetime, owner_id: str | None = None
    ) -> str: ...

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
    ) -> str: ...

    async def update_meeting(
        self,
        meeting_id: str,
        *,
        outcome: str,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> None: ...

    async def deals_of_contact(self, contact_id: str) -> list[Deal]: ...

    async def engagements_of_contact(
        self, contact_id: str, *, limit: int = 20
    ) -> list[Engagement]: ...


@dataclass(frozen=True, slots=True)
class Owner:
    """A HubSpot user who can own records."""

    id: str
    email: str
    name: str


@dataclass(frozen=True, slots=True)
class CrmContact:
    """A contact as the CRM holds it, for the prospects synced from it."""

    id: str
    name: str
    email: str | None
    phone: str | None
    telegram: str | None
    owner_id: str | None
    stage: str | None
    updated_at: datetime
    merged_ids: tuple[str, ...] = ()
    """Contacts merged into this one, which HubSpot no longer has."""


@dataclass(frozen=True, slots=True)
class CrmDeal:
    """A deal as the CRM holds it; `won` is None while it is open."""

    id: str
    name: str
    pipeline: str | None
    stage: str
    amount: Decimal | None
    close_date: date | None
    owner_id: str | None
    won: bool | None
    entered_stage_at: datetime | None
    updated_at: datetime
    contact_ids: tuple[str, ...]
    merged_ids: tuple[str, ...] = ()
    """Deals merged into this one, which HubSpot no longer has."""


class CrmSource(Protocol):
    """The CRM that prospects and deals are synced from: its owners, and contacts and deals
    changed in a time range (`since` included, `until` not), a page at a time, oldest change
    first, and the ids of those archived."""

    def owners(self) -> Awaitable[list[Owner]]: ...

    def archived_contacts(self) -> Awaitable[list[str]]: ...

    def changed_contacts(
        self,
        *,
        since: datetime | None,
        until: datetime,
        stages: Sequence[str],
        telegram_property: str | None = None,
    ) -> AsyncIterator[list[CrmContact]]: ...

    def changed_deals(
        self, *, since: datetime | None, until: datetime
    ) -> AsyncIterator[list[CrmDeal]]: ...

    def archived_deals(self) -> Awaitable[list[str]]: ...

    def set_contact_owner(self, contact_id: str, owner_id: str) -> Awaitable[None]:
        """Writes the contact's owner (our rep's, assigned here)."""
        ...
