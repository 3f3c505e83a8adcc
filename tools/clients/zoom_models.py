"""What the tools ask of Zoom, and what comes back: one interface, met by the real client and
by its sandbox twin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


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


class Zoom(Protocol):
    sandbox: bool

    async def create_meeting(self, meeting: NewZoomMeeting) -> ZoomMeeting: ...

    async def delete_meeting(self, meeting_id: int) -> None: ...

    async def recover_meeting(self, meeting_id: int) -> None:
        """A meeting deleted within Zoom's week of grace comes back, with its link."""
        ...

    async def move_meeting(
        self, meeting_id: int, *, start: datetime, duration_minutes: int, timezone: str
    ) -> None: ...
