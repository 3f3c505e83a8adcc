"""A local fake of Zoom's REST API v2 (meetings) and its Server-to-Server OAuth token endpoint.

`FakeZoom` is an aiohttp server in the caller's event loop; point the real client at
`fake.api_url` and `fake.oauth_url`. Meeting bodies are checked against `zoom_schema` (the
spec's fields, written out by hand); violations are answered 400 as Zoom does and collected in
`fake.violations`. Every request is recorded in `fake.calls` with the status it got. Faults:
`fail(...)`, `gate`, `expire_tokens()`.
"""

from __future__ import annotations

import base64
import itertools
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from tests.fakes import zoom_schema
from tests.fakes.http_fake import Answer, Call, FakeServer

__all__ = ["Call", "FakeZoom"]

TOKEN_LIFETIME = 3600
FIRST_MEETING_ID = 85_746_065_001  # 11 digits, as real ones: more than 32 bits
REASONS = {
    429: "You have reached the maximum per-second rate limit for this API. Try again later.",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


def _zoom_error(status: int, code: int, message: str) -> Answer:
    return Answer(status, {"code": code, "message": message})


class FakeZoom(FakeServer):
    """`users`: the account's users (emails). `meetings`: created meetings by id; `trash`: the
    deleted ones, which can be recovered. `clock`: seconds, for token expiry (time.monotonic
    unless given)."""

    def __init__(
        self,
        *,
        account_id: str = "acc-test",
        client_id: str = "zoom-client",
        client_secret: str = "zoom-secret",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.account_id, self.client_id, self.client_secret = account_id, client_id, client_secret
        self.clock = clock
        self.users = {"anna@truerealestate.bali", "shared@truerealestate.bali"}
        self.meetings: dict[int, dict[str, Any]] = {}
        self.trash: dict[int, dict[str, Any]] = {}
        self._tokens: dict[str, float] = {}
        self._token_numbers = itertools.count(1)
        self._meeting_ids = itertools.count(FIRST_MEETING_ID, 7919)

    @property
    def api_url(self) -> str:
        return f"{self.url}/v2"

    @property
    def oauth_url(self) -> str:
        return f"{self.url}/oauth/token"

    def fault_body(self, status: int) -> Any:
        return {"code": status, "message": REASONS.get(status, "Error")}

    def invalid(self, problem: str) -> Answer:
        self.violations.append(problem)
        return _zoom_error(400, 300, problem)

    def expire_tokens(self) -> None:
        """Every token issued so far is refused from now on (as after its hour)."""
        self._tokens.clear()

    async def route(self, request: web.Request, body: Any) -> Answer:
        method, path = request.method, request.path
        if path == "/oauth/token" and method == "POST":
            return self._token(request, body or {})
        self._authorize(request)
        if found := re.fullmatch(r"/v2/users/([^/]+)/meetings", path):
            if method == "POST":
                return self._create(found[1], body)
        elif found := re.fullmatch(r"/v2/meetings/(\d+)/status", path):
            if method == "PUT":
                return self._status(int(found[1]), body)
        elif found := re.fullmatch(r"/v2/meetings/([^/]+)", path):
            if not found[1].isdigit():
                raise self.invalid(f"{path}: the meeting id is not an integer")
            meeting = self.meetings.get(int(found[1]))
            if meeting is None:
                raise _zoom_error(404, 3001, f"Meeting does not exist: {found[1]}.")
            if method == "GET":
                return Answer(200, meeting)
            if method == "PATCH":
                return self._update(meeting, body)
            if method == "DELETE":
                self.trash[meeting["id"]] = self.meetings.pop(meeting["id"])
                return Answer(204)
        self.violations.append(f"{method} {path}: no such endpoint")
        raise _zoom_error(404, 404, "Not Found")

    def _token(self, request: web.Request, form: dict[str, Any]) -> Answer:
        params = {**request.query, **form}
        expected = f"{self.client_id}:{self.client_secret}".encode()
        if request.headers.get("Authorization") != "Basic " + base64.b64encode(expected).decode():
            raise Answer(
                401, {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}
            )
        if params.get("grant_type") != "account_credentials":
            raise Answer(
                400, {"reason": "Unsupported grant type", "error": "unsupported_grant_type"}
            )
        if params.get("account_id") != self.account_id:
            raise Answer(400, {"reason": "Invalid account_id", "error": "invalid_request"})
        token = f"zoom-token-{next(self._token_numbers)}"
        self._tokens[token] = self.clock() + TOKEN_LIFETIME
        return Answer(
            200,
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": TOKEN_LIFETIME,
                "scope": "meeting:write:admin meeting:read:admin",
                "api_url": "https://api.zoom.us",
            },
        )

    def _authorize(self, request: web.Request) -> None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        expires = self._tokens.get(token) if scheme.lower() == "bearer" else None
        if expires is None:
            raise _zoom_error(401, 124, "Invalid access token.")
        if self.clock() >= expires:
            raise _zoom_error(401, 124, "Access token is expired.")

    def _status(self, meeting_id: int, body: Any) -> Answer:
        """`recover` brings a deleted meeting back (a live one is left as it is); `end`, for a
        meeting not running here, changes nothing."""
        errors = zoom_schema.validate(zoom_schema.MEETING_STATUS, body, "body")
        if errors := errors or ([] if "action" in body else ["body: 'action' is required"]):
            self.violations += [f"meetingStatus: {e}" for e in errors]
            raise Answer(400, {"code": 300, "message": "Validation Failed."})
        if body.get("action") == "recover" and meeting_id in self.trash:
            self.meetings[meeting_id] = self.trash.pop(meeting_id)
        if meeting_id not in self.meetings:
            raise _zoom_error(404, 3001, f"Meeting does not exist: {meeting_id}.")
        return Answer(204)

    def _update(self, meeting: dict[str, Any], body: Any) -> Answer:
        if errors := zoom_schema.validate(zoom_schema.MEETING_CREATE, body, "body"):
            self.violations += [f"meetingUpdate: {e}" for e in errors]
            raise Answer(400, {"code": 300, "message": "Validation Failed."})
        for field in ("topic", "duration", "timezone", "agenda"):
            if field in body:
                meeting[field] = body[field]
        if "start_time" in body:
            meeting["start_time"] = _utc(body["start_time"], body.get("timezone"))
        return Answer(204)

    def _create(self, user: str, body: Any) -> Answer:
        if errors := zoom_schema.validate(zoom_schema.MEETING_CREATE, body, "body"):
            self.violations += [f"meetingCreate: {e}" for e in errors]
            problems = [{"field": e.split(":")[0], "message": e} for e in errors]
            raise Answer(400, {"code": 300, "message": "Validation Failed.", "errors": problems})
        if user.lower() not in {u.lower() for u in self.users}:
            raise _zoom_error(404, 1001, f"User does not exist: {user}.")
        meeting_id = next(self._meeting_ids)
        secret = f"{meeting_id % 1_000_000:06d}"
        settings: dict[str, Any] = {
            "host_video": False,
            "participant_video": False,
            "join_before_host": False,
        }
        settings |= {"mute_upon_entry": False, "waiting_room": False, "audio": "voip"}
        meeting = {
            "uuid": base64.b64encode(meeting_id.to_bytes(16, "big")).decode(),
            "id": meeting_id,
            "host_id": base64.urlsafe_b64encode(user.lower().encode()).decode()[:22],
            "host_email": user.lower(),
            "topic": body.get("topic", "Zoom Meeting"),
            "type": body.get("type", 2),
            "status": "waiting",
            "start_time": _utc(body.get("start_time"), body.get("timezone")),
            "duration": body.get("duration", 60),
            "timezone": body.get("timezone", "UTC"),
            "agenda": body.get("agenda", ""),
            "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "start_url": f"https://us06web.zoom.us/s/{meeting_id}?zak=fake-zak-{meeting_id}",
            "join_url": f"https://us06web.zoom.us/j/{meeting_id}?pwd=fake{secret}",
            "password": secret,
            "h323_password": secret,
            "encrypted_password": f"fake{secret}",
            "pre_schedule": False,
            "settings": settings | body.get("settings", {}),
        }
        for schema in (zoom_schema.MEETING_CREATED, zoom_schema.MEETING_EXTRA):
            errors = zoom_schema.validate(schema, meeting, "answer", closed=False)
            self.violations += [f"meetingCreate {e}" for e in errors]
        self.meetings[meeting_id] = meeting
        return Answer(201, meeting)


def _utc(start: str | None, timezone: str | None) -> str:
    """Zoom answers with the start in UTC, whichever of its two forms it was given in."""
    if start is None:
        return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if start.endswith("Z"):
        return start
    try:
        zone = ZoneInfo(timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = datetime.fromisoformat(start).replace(tzinfo=zone)
    return local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
