"""Which events of a rep's Google Calendar are sales meetings, and who each one is with.

Pure: it reads one event as the Calendar v3 API returns it, the rep's email, the corporate domain
and the known prospects by email, and decides. The sync applies what it decides."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

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
    event: Mapping[str, Any],
    *,
    rep_id: UUID,
    rep_email: str,
    corporate_domain: str,
    prospects: Mapping[str, KnownProspect],
) -> Decision:
    """`prospects` is keyed by lower-case email."""
    event_id = str(event["id"])
    if event.get("status") == "cancelled":
        return NotAMeeting(event_id, "cancelled")
    start, end = event.get("start") or {}, event.get("end") or {}
    if "dateTime" not in start or "dateTime" not in end:
        return NotAMeeting(event_id, "all-day")
    attendees = [a for a in event.get("attendees") or [] if a.get("email")]
    me = rep_email.lower()
    if any(_email(a) == me and a.get("responseStatus") == "declined" for a in attendees):
        return NotAMeeting(event_id, "declined")
    others = [a for a in attendees if _email(a) != me and not a.get("resource")]
    title = str(event.get("summary") or "").strip()
    with_ = _counterpart(others, rep_id, corporate_domain.lower(), prospects, title)
    if with_ is None:
        return NotAMeeting(event_id, "internal")
    return SalesMeeting(
        event_id=event_id,
        title=title,
        starts_at=_moment(start["dateTime"]),
        ends_at=_moment(end["dateTime"]),
        with_=with_,
    )


def _counterpart(
    others: list[Mapping[str, Any]],
    rep_id: UUID,
    domain: str,
    prospects: Mapping[str, KnownProspect],
    title: str,
) -> Linked | NewProspect | None:
    known = [prospects[_email(a)] for a in others if _email(a) in prospects]
    for prospect in known:
        if prospect.assigned_rep_id == rep_id:
            return Linked(prospect.id, own=True)
    if known:
        return Linked(known[0].id, own=False)
    for attendee in others:
        email = _email(attendee)
        if not email.endswith("@" + domain):
            name = str(attendee.get("displayName") or "").strip() or email.split("@")[0]
            return NewProspect(email=email, name=name, context=title)
    return None


def _email(attendee: Mapping[str, Any]) -> str:
    return str(attendee.get("email", "")).strip().lower()


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)
