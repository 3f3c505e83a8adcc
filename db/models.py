"""Rows as typed values."""

from __future__ import annotations

import dataclasses
from datetime import datetime, time
from enum import StrEnum
from typing import Any, Self
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
    email_verified_at: datetime | None = None
    email_verified_by: str | None = None
    """How the email was proved: "code" (mailed to it) or "google" (signed in as it)."""
    digest_time: time | None = None
    """When their daily digest comes, local; None for the DIGEST_TIME setting."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", RepStatus(self.status))

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None


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


@dataclasses.dataclass(frozen=True, slots=True)
class Meeting(_Row):
    id: UUID
    rep_id: UUID
    prospect_id: str | None
    title: str
    starts_at: datetime
    ends_at: datetime
    status: str
    zoom_meeting_id: int | None
    zoom_join_url: str | None
    calendar_event_id: str | None
    hubspot_meeting_id: str | None
    sandbox: bool
    idempotency_key: str | None
    owed: list[str]
    outcome: str | None
    debrief: str | None
    created_at: datetime
    updated_at: datetime


@dataclasses.dataclass(frozen=True, slots=True)
class IntegrationRecord(_Row):
    id: int
    service: str
    operation: str
    sandbox: bool
    rep_id: UUID | None
    prospect_id: str | None
    external_id: str | None
    request: dict[str, Any]
    response: dict[str, Any]
    idempotency_key: str | None
    undone_at: datetime | None
    created_at: datetime


@dataclasses.dataclass(frozen=True, slots=True)
class StoredToken(_Row):
    rep_id: UUID
    provider: str
    ciphertext: bytes
    scopes: list[str]
    expires_at: datetime | None


@dataclasses.dataclass(frozen=True, slots=True)
class EmailCode(_Row):
    id: int
    rep_id: UUID
    email: str
    code_hash: str
    attempts: int
    expires_at: datetime
    spent_at: datetime | None
    created_at: datetime
