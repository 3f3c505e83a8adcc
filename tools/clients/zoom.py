"""Zoom meetings over the REST API v2, as a Server-to-Server OAuth app of the company account.

A meeting is created for the rep's own Zoom user; when the account has no such user (Zoom's
404 with code 1001) it goes to the shared user, with the rep's name in the topic."""

from __future__ import annotations

import asyncio
from base64 import b64encode
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from tools.clients.errors import AuthFailed, RemoteNotFound, Unavailable
from tools.clients.http import body_of, check, json_of, message_of, send
from tools.clients.retry import DEFAULT_POLICY, RetryPolicy, retrying
from tools.clients.zoom_models import NewZoomMeeting, ZoomMeeting

SERVICE = "Zoom"
USER_NOT_FOUND = 1001
RENEW_EARLY = timedelta(minutes=1)
AGENDA_MAX = 2000
# The request schema sets no limit, but the meeting Zoom answers with caps `topic` at 200.
TOPIC_MAX = 200


@dataclass(frozen=True, slots=True)
class _Token:
    value: str
    renew_at: datetime


class ZoomClient:
    sandbox = False

    def __init__(
        self,
        *,
        account_id: str,
        client_id: str,
        client_secret: str,
        shared_user: str,
        api_url: str = "https://api.zoom.us/v2",
        oauth_url: str = "https://zoom.us/oauth/token",
        http: httpx.AsyncClient,
        clock: Callable[[], datetime],
        policy: RetryPolicy = DEFAULT_POLICY,
    ) -> None:
        self.account_id, self.shared_user = account_id, shared_user
        secret = b64encode(f"{client_id}:{client_secret}".encode()).decode()
        self._basic = f"Basic {secret}"
        self.api_url, self.oauth_url = api_url.rstrip("/"), oauth_url
        self.http, self.clock, self.policy = http, clock, policy
        self._token: _Token | None = None
        self._token_lock = asyncio.Lock()

    async def create_meeting(self, meeting: NewZoomMeeting) -> ZoomMeeting:
        if meeting.start.tzinfo is None:
            raise ValueError("the meeting's start must carry its timezone")
        rep, shared = meeting.host_email, self.shared_user
        body = _meeting_body(meeting, meeting.topic)
        if (
            data := await retrying(
                self.policy, service=SERVICE, call=lambda: self._create(rep, body)
            )
        ) is not None:
            return _meeting(data, rep)
        if not shared:
            raise RemoteNotFound(SERVICE, f"{rep} is not in the account, and no shared user is set")
        topic = _with_suffix(meeting.topic, f" ({meeting.host_name})")
        body = _meeting_body(meeting, topic)
        if (
            data := await retrying(
                self.policy, service=SERVICE, call=lambda: self._create(shared, body)
            )
        ) is not None:
            return _meeting(data, shared)
        raise RemoteNotFound(
            SERVICE, f"neither {rep} nor the shared user {shared} is in the account"
        )

    async def delete_meeting(self, meeting_id: int) -> None:
        async def attempt() -> None:
            check(SERVICE, await self._call("DELETE", f"/meetings/{int(meeting_id)}"))

        await retrying(self.policy, service=SERVICE, call=attempt)

    async def recover_meeting(self, meeting_id: int) -> None:
        body = {"action": "recover"}

        async def attempt() -> None:
            check(SERVICE, await self._call("PUT", f"/meetings/{int(meeting_id)}/status", body))

        await retrying(self.policy, service=SERVICE, call=attempt)

    async def move_meeting(
        self, meeting_id: int, *, start: datetime, duration_minutes: int, timezone: str
    ) -> None:
        body = {
            "start_time": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "duration": duration_minutes,
            "timezone": timezone,
        }

        async def attempt() -> None:
            check(SERVICE, await self._call("PATCH", f"/meetings/{int(meeting_id)}", body))

        await retrying(self.policy, service=SERVICE, call=attempt)

    async def _create(self, user: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """The created meeting, or None when `user` is not in the account."""
        response = await self._call("POST", f"/users/{quote(user, safe='@')}/meetings", body)
        if response.status_code == 404 and _zoom_code(response) == USER_NOT_FOUND:
            return None
        data: dict[str, Any] = json_of(SERVICE, check(SERVICE, response))
        return data

    async def _call(self, method: str, path: str, body: Any = None) -> httpx.Response:
        """One API request with a valid token; a 401 renews the token and tries once more."""
        token = await self._access_token()
        response = await self._send(method, path, token, body)
        if response.status_code == 401:
            await self._forget(token)
            response = await self._send(method, path, await self._access_token(), body)
        return response

    async def _send(self, method: str, path: str, token: str, body: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"}
        request = self.http.build_request(method, self.api_url + path, json=body, headers=headers)
        return await send(SERVICE, self.http, request)

    async def _access_token(self) -> str:
        async with self._token_lock:
            if self._token is None or self.clock() >= self._token.renew_at:
                self._token = await self._fetch_token()
            return self._token.value

    async def _forget(self, token: str) -> None:
        async with self._token_lock:
            if self._token is not None and self._token.value == token:
                self._token = None

    async def _fetch_token(self) -> _Token:
        form = {"grant_type": "account_credentials", "account_id": self.account_id}
        headers = {"Authorization": self._basic}
        request = self.http.build_request("POST", self.oauth_url, data=form, headers=headers)
        response = await send(SERVICE, self.http, request)
        if response.status_code in (400, 401, 403):
            # The token endpoint only refuses us for wrong settings: id, secret or account.
            raise AuthFailed(SERVICE, f"token refused: {message_of(response)}")
        data = json_of(SERVICE, check(SERVICE, response))
        if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
            raise Unavailable(SERVICE, "the token endpoint answered without an access_token")
        lifetime = timedelta(seconds=float(data.get("expires_in", 3600)))
        return _Token(data["access_token"], self.clock() + lifetime - RENEW_EARLY)


def _meeting_body(meeting: NewZoomMeeting, topic: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "topic": topic[:TOPIC_MAX],
        "type": 2,
        "start_time": meeting.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration": meeting.duration_minutes,
        "timezone": meeting.timezone,
        "settings": {"join_before_host": False, "waiting_room": True},
    }
    if meeting.agenda:
        body["agenda"] = meeting.agenda[:AGENDA_MAX]
    return body


def _meeting(data: dict[str, Any], host: str) -> ZoomMeeting:
    try:
        return ZoomMeeting(
            id=int(data["id"]),
            join_url=str(data["join_url"]),
            start_url=data.get("start_url"),
            password=data.get("password") or None,
            host=host,
            topic=str(data["topic"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise Unavailable(SERVICE, f"the created meeting came back malformed ({exc!r})") from exc


def _with_suffix(topic: str, suffix: str) -> str:
    """`topic` + `suffix` within TOPIC_MAX, shortening the topic rather than the suffix."""
    return topic[: max(0, TOPIC_MAX - len(suffix))] + suffix


def _zoom_code(response: httpx.Response) -> int | None:
    body = body_of(response)
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, int) else None
