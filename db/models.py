"""Rows as typed values."""

from __future__ import annotations

import dataclasses
from datetime import datetime, time
from enum import StrEnum
from typing import Self
from uuid import UUID

import asyncpg


class RepStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REJECTED = "rejected"
    REMOVED = "removed"


class ProspectStatus(StrEnum):
    UNREACHED = "unreached"
    CONTACTED = "contacted"
    IN_CONVERSATION = "in_conversation"
    CONVERTED = "converted"
    ARCHIVED = "archived"


OPEN_PROSPECT_STATUSES = (
    ProspectStatus.UNREACHED,
    ProspectStatus.CONTACTED,
    ProspectStatus.IN_CONVERSATION,
)


class _Row:
    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Self:
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in row.items() if k in names})


@dataclasses.dataclass(frozen=True, slots=True)
class Rep(_Row):
    id: UUID
    telegram_id: int
    telegram_username: str | None
    name: str
    email: str
    status: RepStatus
    language: str
    timezone: str
    calendar_account_name: str | None
    calendar_connected_at: datetime | None
    zoom_user_id: str | None
    hubspot_owner_id: str | None
    is_admin: bool
    quiet_hours_start: time | None
    quiet_hours_end: time | None
    snoozed_until: datetime | None
    status_reason: str | None
    registered_at: datetime
    approved_at: datetime | None
    approved_by: UUID | None
    approved_by_telegram_id: int | None
    status_changed_at: datetime
    created_at: datetime
    updated_at: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", RepStatus(self.status))


@dataclasses.dataclass(frozen=True, slots=True)
class Prospect(_Row):
    id: str
    telegram_id: str | None
    name: str
    context: str | None
    status: ProspectStatus
    assigned_rep_id: UUID | None
    email: str | None
    notes: str | None
    language: str | None
    hubspot_contact_id: str | None
    last_contact_at: datetime | None
    assigned_at: datetime | None
    status_changed_at: datetime
    created_at: datetime
    updated_at: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", ProspectStatus(self.status))
