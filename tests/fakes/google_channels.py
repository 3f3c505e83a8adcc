"""Push notifications of the fake Google Calendar, as Google documents them: `events.watch`
opens a channel (the caller's id, address and token; Google's resourceId and expiration), Google
sends a "sync" message as it opens, then an "exists" message numbered on from it each time an
event of the calendar changes; `channels.stop` ends it (by id and resourceId). Messages are
POSTs with an empty body and the X-Goog-* headers; `deliver()` sends those that are owed."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

DEFAULT_TTL = timedelta(days=7)


class ChannelError(Exception):
    def __init__(self, status: int, message: str, reason: str) -> None:
        super().__init__(message)
        self.status, self.message, self.reason = status, message, reason


@dataclass
class Channel:
    id: str
    resource_id: str
    owner: str
    address: str
    token: str | None
    expiration: datetime
    number: int = 0
    owed: list[str] = field(default_factory=list)
    """Resource states still to be sent, in order."""


@dataclass
class Channels:
    """`ttl`: how long a channel lives unless the caller asks for less (`params.ttl`);
    `now`: Google's clock; `answers`: each message sent, with the status it got."""

    ttl: timedelta = DEFAULT_TTL
    now: Any = field(default=lambda: datetime.now(UTC))
    open: dict[str, Channel] = field(default_factory=dict)
    answers: list[tuple[str, str, int]] = field(default_factory=list)

    def watch(self, owner: str, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("type") not in ("web_hook", "webhook"):
            raise ChannelError(400, "Invalid value for type.", "invalid")
        if not body.get("id") or not body.get("address"):
            raise ChannelError(400, "Required: id and address.", "required")
        if body["id"] in self.open:
            raise ChannelError(400, f"Channel id {body['id']} not unique", "channelIdNotUnique")
        ttl = self.ttl
        if "ttl" in (body.get("params") or {}):
            ttl = min(ttl, timedelta(seconds=int(body["params"]["ttl"])))
        channel = Channel(
            id=body["id"],
            resource_id=f"res-{secrets.token_urlsafe(9)}",
            owner=owner,
            address=body["address"],
            token=body.get("token"),
            expiration=self.now() + ttl,
            owed=["sync"],
        )
        self.open[channel.id] = channel
        return {
            "kind": "api#channel",
            "id": channel.id,
            "resourceId": channel.resource_id,
            "resourceUri": f"https://www.googleapis.com/calendar/v3/calendars/{owner}/events",
            "expiration": str(int(channel.expiration.timestamp() * 1000)),
        } | ({"token": channel.token} if channel.token is not None else {})

    def stop(self, body: dict[str, Any]) -> None:
        channel = self.open.get(body.get("id", ""))
        if channel is None or channel.resource_id != body.get("resourceId"):
            raise ChannelError(404, f"Channel '{body.get('id')}' not found", "notFound")
        del self.open[channel.id]

    def changed(self, owner: str) -> None:
        """An event of `owner`'s calendar changed: each live channel on it owes a message."""
        for channel in self.live(owner):
            if "exists" not in channel.owed:
                channel.owed.append("exists")

    def live(self, owner: str | None = None) -> list[Channel]:
        now = self.now()
        return [
            c
            for c in self.open.values()
            if c.expiration > now and (owner is None or c.owner == owner)
        ]

    async def deliver(self, *, forged_token: str | None = None) -> list[int]:
        """Sends every message owed by a live channel; the statuses answered. `forged_token`
        plays someone else sending them with a token of their own."""
        statuses = []
        async with aiohttp.ClientSession() as session:
            for channel in self.live():
                while channel.owed:
                    state = channel.owed.pop(0)
                    headers = self._headers(channel, state)
                    if forged_token is not None:
                        headers["X-Goog-Channel-Token"] = forged_token
                    async with session.post(channel.address, headers=headers, data=b"") as r:
                        statuses.append(r.status)
                        self.answers.append((channel.id, state, r.status))
        return statuses

    def _headers(self, channel: Channel, state: str) -> dict[str, str]:
        channel.number += 1
        headers = {
            "X-Goog-Channel-ID": channel.id,
            "X-Goog-Resource-ID": channel.resource_id,
            "X-Goog-Resource-State": state,
            "X-Goog-Resource-URI": (
                f"https://www.googleapis.com/calendar/v3/calendars/{channel.owner}/events"
            ),
            "X-Goog-Message-Number": str(channel.number),
            "X-Goog-Channel-Expiration": channel.expiration.strftime("%a, %d %b %Y %H:%M:%S GMT"),
        }
        if channel.token is not None:
            headers["X-Goog-Channel-Token"] = channel.token
        return headers
