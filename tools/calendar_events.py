"""Which events of a rep's Google Calendar are sales meetings, and who each one is with.

Pure: it reads one event as the calendar client reads it, the rep's email, the corporate domain
and the known prospects by email, and decides. The sync applies what it decides."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from uuid import UUID

from tools.clients.calendar_models import EventAttendee, SyncedEvent

SOURCE = "calendar"


@dataclasses.dataclass(frozen=True, slots=True)
class KnownProspect:
    id: str
    assigned_rep_id: UUID | None


@dataclasses.dataclass(frozen=True, slots=True)
class Linked:
    """A known prospect; `own` when they are the rep's (another rep's stays theirs)."""

    prospect_id: str
    own: bool


@dataclasses.dataclass(frozen=True, slots=True)
class NewProspect:
    """An outside attendee nobody knows yet: to become the rep's prospect, in conversation."""

    email: str
    name: str
    context: str
    status: str = "in_conversation"
    source: str = SOURCE


@dataclasses.dataclass(frozen=True, slots=True)
class SalesMeeting:
    event_id: str
    title: str
    starts_at: datetime
    ends_at: datetime
    with_: Linked | NewProspect


@dataclasses.dataclass(frozen=True, slots=True)
class NotAMeeting:
    """Cancelled, declined, all-day or internal: a meeting we hold for it is cancelled."""

    event_id: str
    why: str


Decision = SalesMeeting | NotAMeeting


def decide(
    event: SyncedEvent,
    *,
    rep_id: UUID,
    rep_email: str,
    corporate_domain: str,
    prospects: Mapping[str, KnownProspect],
) -> Decision:
    """`prospects` is keyed by lower-case email."""
    if event.status == "cancelled":
        return NotAMeeting(event.id, "cancelled")
    if event.start is None or event.end is None:
        return NotAMeeting(event.id, "all-day")
    mine = rep_email.lower()
    rep = [a for a in event.attendees if a.me or a.email == mine]
    if any(a.response_status == "declined" for a in rep):
        return NotAMeeting(event.id, "declined")
    others = [a for a in event.attendees if a not in rep and not a.resource]
    with_ = _counterpart(others, rep_id, corporate_domain.lower(), prospects, event.summary)
    if with_ is None:
        return NotAMeeting(event.id, "internal")
    return SalesMeeting(event.id, event.summary, event.start, event.end, with_)


def _counterpart(
    others: list[EventAttendee],
    rep_id: UUID,
    domain: str,
    prospects: Mapping[str, KnownProspect],
    title: str,
) -> Linked | NewProspect | None:
    known = [prospects[a.email] for a in others if a.email in prospects]
    for prospect in known:
        if prospect.assigned_rep_id == rep_id:
            return Linked(prospect.id, own=True)
    if known:
        return Linked(known[0].id, own=False)
    for attendee in others:
        if not attendee.email.endswith("@" + domain):
            name = attendee.name or attendee.email.split("@")[0]
            return NewProspect(email=attendee.email, name=name, context=title)
    return None
