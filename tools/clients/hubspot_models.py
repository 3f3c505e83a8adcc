"""What the tools ask of HubSpot, and what comes back: one interface for the tools and one for
the sync, met by the real client (and the first by its sandbox twin)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol


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
