"""A case's Google world: the events in the reps' Google Calendars, and the changes made in
Google before given turns (an event moved, or cancelled). The case then runs against a local
fake Google over HTTP, read by the real calendar client acting as each rep through a Workspace
service account (domain-wide delegation); without a world, the sandbox calendar."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from db.queries import Executor, Queries
from tests.fakes.google import FakeGoogle
from tools.clients.calendar import GoogleCalendar
from tools.clients.google_auth import Delegation
from tools.services import Services

_q = Queries("google", package="evals")
SERVICE_ACCOUNT = Path("google-eval-service-account.json")
"""What the case's settings name as the key file: a real calendar is configured, so the
scheduler queues the calendar syncs; the key the client uses is the fake's, made per run."""
DOMAIN = "truerealestate.bali"
"""The Workspace domain the service account may act in."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Attendee(_Strict):
    email: str
    name: str | None = None
    response: Literal["needsAction", "accepted", "declined", "tentative"] = "needsAction"


class Event(_Strict):
    id: str = Field(pattern=r"^[a-v0-9]{5,1024}$")
    """Google's rule for an event id: base32hex, 5 to 1024 characters."""
    calendar: str
    """Whose calendar holds it: a rep's email (the rep is its organizer)."""
    title: str
    start: datetime
    end: datetime
    attendees: list[str | Attendee] = Field(default_factory=list)
    """The others invited: emails, or `{email, name, response}`."""
    status: Literal["confirmed", "tentative", "cancelled"] = "confirmed"
    before_turn: int | None = Field(default=None, ge=1)
    """When the rep books it in Google only just before that turn (counted from 1); by default
    it is there from the start."""

    @model_validator(mode="after")
    def _timed(self) -> Event:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError(f"event {self.id}: start and end need an offset")
        if self.end <= self.start:
            raise ValueError(f"event {self.id}: it ends before it starts")
        return self

    def body(self) -> dict[str, Any]:
        me = {"email": self.calendar, "self": True, "organizer": True, "responseStatus": "accepted"}
        others = [_attendee(a) for a in self.attendees]
        return {
            "id": self.id,
            "summary": self.title,
            "status": self.status,
            "start": {"dateTime": self.start.isoformat()},
            "end": {"dateTime": self.end.isoformat()},
            "attendees": [me, *others],
        }


class Change(_Strict):
    """Someone changes an event in Google just before turn `before_turn` (counted from 1):
    moves it (`start` and `end`) or cancels it (`cancelled`; a deleted event reads the same)."""

    before_turn: int = Field(ge=1)
    event: str
    start: datetime | None = None
    end: datetime | None = None
    cancelled: bool = False

    @model_validator(mode="after")
    def _one_change(self) -> Change:
        moved = self.start is not None and self.end is not None
        if moved == self.cancelled or (self.start is None) != (self.end is None):
            raise ValueError(f"change of {self.event}: either `start` and `end`, or `cancelled`")
        if moved and self.end <= self.start:  # type: ignore[operator]
            raise ValueError(f"change of {self.event}: it ends before it starts")
        return self

    def fields(self) -> dict[str, Any]:
        if self.cancelled:
            return {"status": "cancelled"}
        assert self.start is not None
        assert self.end is not None
        return {
            "start": {"dateTime": self.start.isoformat()},
            "end": {"dateTime": self.end.isoformat()},
        }


class World(_Strict):
    events: list[Event] = Field(default_factory=list)
    changes: list[Change] = Field(default_factory=list)

    @model_validator(mode="after")
    def _known(self) -> World:
        ids = [e.id for e in self.events]
        if len(set(ids)) != len(ids):
            raise ValueError("google.events: an event id is given twice")
        made = {e.id: e.before_turn or 0 for e in self.events}
        for change in self.changes:
            if change.event not in ids:
                raise ValueError(f"google change: no event {change.event!r}")
            if change.before_turn <= made[change.event]:
                raise ValueError(f"google change: event {change.event!r} is not there yet")
        return self

    @property
    def calendars(self) -> list[str]:
        return sorted({e.calendar.lower() for e in self.events})


@dataclass
class Google:
    """The world being served, and the real client and credentials that read it."""

    fake: FakeGoogle
    calendar: GoogleCalendar
    delegation: Delegation
    world: World

    async def connect(self, db: Executor, now: datetime) -> None:
        """The reps whose calendars the world holds have proved their emails: Google is acted
        in only as a proved address."""
        await _q.execute(db, "prove_emails", emails=self.world.calendars, now=now)

    def before(self, turn: int) -> None:
        """Makes the events and the changes due before turn `turn`."""
        by_id = {e.id: e for e in self.world.events}
        for event in (e for e in self.world.events if e.before_turn == turn):
            self.fake.put_event(event.calendar, event.body())
        for change in (c for c in self.world.changes if c.before_turn == turn):
            self.fake.change_event(by_id[change.event].calendar, change.event, **change.fields())


@contextlib.asynccontextmanager
async def google(world: World | None) -> AsyncIterator[Google | None]:
    if world is None:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="salesbot-eval-google-") as folder:
        async with FakeGoogle() as fake:
            fake.delegation_allowed = {DOMAIN}
            for event in (e for e in world.events if e.before_turn is None):
                fake.put_event(event.calendar, event.body())
            key = fake.service_account_file(Path(folder))
            calendar = GoogleCalendar(api_endpoint=fake.api_endpoint)
            try:
                yield Google(fake, calendar, Delegation(key), world)
            finally:
                calendar.close()
            if fake.violations:
                raise AssertionError(f"requests Google would refuse: {fake.violations}")


def wired(services: Services, world: Google | None) -> Services:
    """`services` with the world's calendar, acting as each rep through the service account."""
    if world is None:
        return services
    return replace(services, calendar=world.calendar, delegation=world.delegation)


async def connect(db: Executor, world: Google | None, now: datetime) -> None:
    if world is not None:
        await world.connect(db, now)


def settings(world: World | None) -> dict[str, Any]:
    """The case's settings over a fresh machine's: a calendar through delegation."""
    return {} if world is None else {"google_service_account_file": SERVICE_ACCOUNT}


def _attendee(attendee: str | Attendee) -> dict[str, Any]:
    if isinstance(attendee, str):
        attendee = Attendee(email=attendee)
    shown = {"email": attendee.email, "responseStatus": attendee.response}
    return shown | ({"displayName": attendee.name} if attendee.name else {})
