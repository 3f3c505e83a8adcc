"""A local fake of Google Calendar API v3 and Google's OAuth 2.0 token endpoint, for tests.

`FakeGoogle` is an aiohttp server, run in the caller's event loop, that the real
google-api-python-client and google-auth talk to over HTTP: point the client at
`fake.api_endpoint`, OAuth at `fake.token_url`, and a service account at a key file written by
`fake.service_account_file(...)`. Every Calendar request is checked against the discovery
document that ships inside google-api-python-client (query parameters, body fields by the
method's request schema with `$ref`s resolved, `annotations.required` per method) and against
the token's scopes; violations are answered 400 in Google's error shape and collected in
`fake.violations`. State is per user (the email a token was issued for). Faults (`fail`,
`gate`) exercise error paths; `calls` records every request.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit
from zoneinfo import ZoneInfo

from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.fakes.google_channels import ChannelError, Channels
from tests.fakes.google_events import EventFeed, ListError
from tests.fakes.http_fake import LocalServer

__all__ = ["CALENDAR_SCOPE", "Call", "FakeGoogle", "discovery"]

API_PREFIX = "/calendar/v3/"
CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar"
# google-auth always puts Google's own endpoint in a service account's assertion, whatever
# token_uri the key file names; Google checks it.
JWT_AUDIENCE = "https://oauth2.googleapis.com/token"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
IDENTITY_SCOPES = {"openid", "email", "profile"}
TOKEN_SECONDS = 3599
EVENT_ID = re.compile(r"[a-v0-9]{5,1024}")
UNAUTHORIZED_CLIENT = (
    "Client is unauthorized to retrieve access tokens using this method, or client not "
    "authorized for any of the scopes requested."
)
DEFAULT_REASONS = {
    400: ("badRequest", "Bad Request"),
    401: ("authError", "Invalid Credentials"),
    403: ("forbidden", "Forbidden"),
    404: ("notFound", "Not Found"),
    409: ("duplicate", "The requested identifier already exists."),
    410: ("deleted", "Resource has been deleted"),
    429: ("rateLimitExceeded", "Rate Limit Exceeded"),
    500: ("backendError", "Backend Error"),
    503: ("backendError", "The service is currently unavailable."),
}
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


@cache
def discovery() -> dict[str, Any]:
    """calendar.v3.json as bundled with the installed google-api-python-client."""
    documents = resources.files("googleapiclient") / "discovery_cache" / "documents"
    data: dict[str, Any] = json.loads((documents / "calendar.v3.json").read_text("utf-8"))
    return data


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    user: str | None
    status: int


class GoogleError(Exception):
    """An error answer of the Calendar API, in Google's shape."""

    def __init__(
        self, status: int, message: str | None = None, reason: str | None = None, **headers: str
    ) -> None:
        default_reason, default_message = DEFAULT_REASONS.get(status, ("error", "Error"))
        super().__init__(message or default_message)
        self.status, self.message = status, message or default_message
        self.reason, self.headers = reason or default_reason, headers

    def body(self) -> dict[str, Any]:
        domain = "usageLimits" if "RateLimit" in self.reason else "global"
        detail = {"message": self.message, "domain": domain, "reason": self.reason}
        error = {"code": self.status, "message": self.message, "errors": [detail]}
        return {"error": error | {"status": STATUS_NAMES.get(self.status, "UNKNOWN")}}


class OAuthError(Exception):
    """An error answer of the token endpoint (RFC 6749 shape)."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.status, self.error, self.description = status, error, description

    def body(self) -> dict[str, Any]:
        return {"error": self.error, "error_description": self.description}


@dataclass
class _Fault:
    target: str
    status: int
    times: int
    headers: dict[str, str]
    body: Any
    reason: str | None
    skip: int = 0


@dataclass
class _Token:
    user: str
    scopes: frozenset[str]
    expires: float
    refresh: str | None


@dataclass
class _Grant:
    user: str
    client_id: str
    scopes: frozenset[str]
    revoked: bool = False


@dataclass(frozen=True)
class _Code:
    user: str
    client_id: str
    redirect_uri: str
    scopes: frozenset[str]
    offline: bool
    challenge: str | None = None


@dataclass(frozen=True)
class _Route:
    http_method: str
    pattern: re.Pattern[str]
    method: dict[str, Any]


class FakeGoogle(LocalServer):
    """`busy[email]`: seeded (start, end) pairs; `events[email]`: events by id (deleted ones stay,
    cancelled, as in Google); `delegation_allowed`: emails or domains the service accounts may
    act as; `calls`: every request; `violations`: requests Google would refuse as malformed."""

    def __init__(
        self,
        client_id: str = "salesbot-test.apps.googleusercontent.com",
        client_secret: str = "test-client-secret",
    ) -> None:
        super().__init__()
        self.client_id, self.client_secret = client_id, client_secret
        self.busy: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
        self.events: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        self.time_zones: dict[str, str] = {}
        self.delegation_allowed: set[str] = set()
        self.token_seconds = TOKEN_SECONDS
        """How long an access token it issues lasts."""
        self.calls: list[Call] = []
        self.violations: list[str] = []
        self.feed = EventFeed()
        """What changed when, for sync tokens; `feed.expire_sync_tokens()` makes them 410."""
        self.channels = Channels()
        """Push channels opened by `events.watch`; `channels.deliver()` sends what is owed."""
        self._tokens: dict[str, _Token] = {}
        self._grants: dict[str, _Grant] = {}
        self._codes: dict[str, _Code] = {}
        self._accounts: dict[str, tuple[str, rsa.RSAPublicKey]] = {}
        self._faults: list[_Fault] = []
        self._users: set[str] = set()
        self.unverified: set[str] = set()
        """Addresses whose accounts Google has not verified (`email_verified` false)."""
        self.personal: set[str] = set()
        """Addresses of personal Google accounts (no `hd`, the Workspace domain)."""

    @property
    def api_endpoint(self) -> str:
        """For googleapiclient's `client_options={"api_endpoint": ...}`."""
        return f"{self.url}{API_PREFIX}"

    @property
    def auth_url(self) -> str:
        """Not served: `consent` plays the consent screen for a URL built on it."""
        return f"{self.url}/o/oauth2/v2/auth"

    @property
    def token_url(self) -> str:
        return f"{self.url}/token"

    @property
    def revoke_url(self) -> str:
        return f"{self.url}/revoke"

    # What tests look at.
    def calendar_calls(self) -> list[Call]:
        return [c for c in self.calls if c.path.startswith(API_PREFIX)]

    def live_events(self, email: str) -> list[dict[str, Any]]:
        return [e for e in self.events[email].values() if e["status"] != "cancelled"]

    # What users, admins and Google do.
    def put_event(self, email: str, event: dict[str, Any]) -> dict[str, Any]:
        """An event made in the user's calendar by someone else (the user, a client's invitation):
        Google's own fields filled in; `event` needs an id, start and end."""
        stamp = _stamp(datetime.now(UTC), UTC)
        organizer = event.get("organizer", {"email": email, "self": True})
        full = {
            "kind": "calendar#event",
            "etag": f'"{time.time_ns()}"',
            "status": "confirmed",
            "htmlLink": f"https://www.google.com/calendar/event?eid={event['id']}",
            "created": stamp,
            "updated": stamp,
            "creator": organizer,
            "organizer": organizer,
            "iCalUID": f"{event['id']}@google.com",
            "sequence": 0,
            "reminders": {"useDefault": True},
            "eventType": "default",
        } | event
        self.events[email][event["id"]] = full
        self._touch(email, event["id"])
        return full

    def change_event(self, email: str, event_id: str, **fields: Any) -> dict[str, Any]:
        """The user (or the organizer) changes an event in Google: `status="cancelled"` deletes
        it; `attendees` replaces the list."""
        event = self.events[email][event_id]
        stamp = _stamp(datetime.now(UTC), UTC)
        event |= fields | {"updated": stamp, "sequence": event.get("sequence", 0) + 1}
        self._touch(email, event_id)
        return event

    def authorize(
        self,
        email: str,
        redirect_uri: str,
        *,
        scopes: tuple[str, ...] = (CALENDAR_SCOPE,),
        client_id: str | None = None,
        offline: bool = True,
        challenge: str | None = None,
    ) -> str:
        """The user consents on Google's screen; returns the code sent to `redirect_uri`."""
        code = f"4/fake-{secrets.token_urlsafe(12)}"
        client = client_id or self.client_id
        granted = frozenset(scopes)
        self._codes[code] = _Code(email, client, redirect_uri, granted, offline, challenge)
        return code

    def consent(self, authorization_url: str, email: str) -> str:
        """Plays the consent screen for an authorization URL (its parameters are checked);
        returns where Google sends the browser back: the redirect URI with code and state."""
        params = dict(parse_qsl(urlsplit(authorization_url).query))
        known = {"client_id", "redirect_uri", "response_type", "scope", "state", "access_type"}
        known |= {"prompt", "include_granted_scopes", "login_hint"}
        known |= {"code_challenge", "code_challenge_method"}
        errors = [f"authorization URL: unknown parameter {k}" for k in params if k not in known]
        for name in ("client_id", "redirect_uri", "response_type", "scope"):
            if not params.get(name):
                errors.append(f"authorization URL: missing {name}")
        if params.get("response_type", "code") != "code":
            errors.append("authorization URL: response_type must be code")
        if "code_challenge" in params and params.get("code_challenge_method") != "S256":
            errors.append("authorization URL: code_challenge_method must be S256")
        scopes = tuple(params.get("scope", "").split())
        errors += [f"authorization URL: unknown scope {s}" for s in scopes if not _known_scope(s)]
        if errors:
            self.violations += errors
            raise ValueError("; ".join(errors))
        code = self.authorize(
            email,
            params["redirect_uri"],
            scopes=scopes,
            client_id=params["client_id"],
            offline=params.get("access_type") == "offline",
            challenge=params.get("code_challenge"),
        )
        back = {"code": code, "scope": " ".join(scopes)}
        if "state" in params:
            back["state"] = params["state"]
        return f"{params['redirect_uri']}?{urlencode(back)}"

    def issue_token(self, email: str, scopes: tuple[str, ...] = (CALENDAR_SCOPE,)) -> str:
        """An access token for `email`, as if from any grant."""
        return str(self._issue(email, frozenset(scopes), None)["access_token"])

    def revoke(self, email: str) -> None:
        """The user removes the app's access: every grant and token of theirs stops working."""
        for grant in self._grants.values():
            if grant.user == email:
                grant.revoked = True
        self._tokens = {k: t for k, t in self._tokens.items() if t.user != email}

    def expire_tokens(self, email: str | None = None) -> None:
        """Access tokens (of `email`, or all) expire now; refresh tokens still work."""
        for token in self._tokens.values():
            if email is None or token.user == email:
                token.expires = time.time() - 1

    def service_account_file(
        self, directory: Path, *, name: str = "salesbot", project: str = "salesbot-test"
    ) -> Path:
        """Writes a service-account key file (a fresh RSA key) whose token_uri is this fake."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        key_id, email = secrets.token_hex(20), f"{name}@{project}.iam.gserviceaccount.com"
        self._accounts[email] = (key_id, key.public_key())
        info = {
            "type": "service_account",
            "project_id": project,
            "private_key_id": key_id,
            "private_key": pem,
            "client_email": email,
            "client_id": str(10**20 + secrets.randbelow(10**20)),
            "auth_uri": self.auth_url,
            "token_uri": self.token_url,
            "universe_domain": "googleapis.com",
        }
        path = directory / f"{name}-service-account.json"
        path.write_text(json.dumps(info, indent=2))
        return path

    def fail(
        self,
        target: str,
        status: int = 503,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        body: Any = None,
        reason: str | None = None,
        skip: int = 0,
    ) -> None:
        """The next `times` requests whose path contains `target`, or whose discovery method id
        is or ends with it ("events.insert"), get `status`: Google's error shape with `reason`
        (or the usual one for the status) unless `body` is given. The first `skip` such
        requests are answered as usual (a failure on the second page)."""
        self._faults.append(_Fault(target, status, times, headers or {}, body, reason, skip))

    # The server.
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        await self.gate.passage()
        path = request.rel_url.raw_path
        if request.method == "POST" and path in ("/token", "/revoke"):
            return await self._handle_oauth(request, path)
        if not path.startswith(API_PREFIX):
            self.violations.append(f"{request.method} {path}: not a Google endpoint")
            return _answer(GoogleError(404))
        route = _route(request.method, path[len(API_PREFIX) :])
        if route is None:
            self.violations.append(f"{request.method} {path}: no such Calendar method")
            return _answer(GoogleError(404))
        method, params = route
        token = self._token_of(request)
        query = dict(request.query)
        try:
            body = await _json_body(request)
        except GoogleError as error:
            self.violations.append(f"{method['id']}: {error.message}")
            return self._record(request, query, None, token, error)
        try:
            self._inject(path, method["id"], oauth=False)
            self._authorize(request, method, token)
            self._check(method, request, body)
            assert token is not None  # _authorize let it through
            result = self._calendar(method["id"], params, query, body, token.user)
        except (GoogleError, _FaultAnswer) as error:
            return self._record(request, query, body, token, error)
        if result is not None:
            self.violations += _check_response(method, result)
        return self._record(request, query, body, token, result)

    def _record(
        self,
        request: web.Request,
        query: dict[str, str],
        body: Any,
        token: _Token | None,
        result: Any,
    ) -> web.StreamResponse:
        response = _answer(result)
        user = None if token is None else token.user
        self.calls.append(Call(request.method, request.path, query, body, user, response.status))
        return response

    def _token_of(self, request: web.Request) -> _Token | None:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        token = self._tokens.get(value) if scheme.lower() == "bearer" else None
        return token if token is not None and token.expires > time.time() else None

    def _authorize(
        self, request: web.Request, method: dict[str, Any], token: _Token | None
    ) -> None:
        if "Authorization" not in request.headers:
            self.violations.append(f"{method['id']}: no Authorization header")
            raise GoogleError(
                401,
                "Request is missing required authentication credential. Expected OAuth 2 "
                "access token, login cookie or other valid authentication credential.",
                "required",
            )
        if token is None:
            raise GoogleError(
                401,
                "Request had invalid authentication credentials. Expected OAuth 2 access "
                "token, login cookie or other valid authentication credential.",
                "authError",
                **{"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
            )
        if not token.scopes & set(method.get("scopes", ())):
            raise GoogleError(
                403, "Request had insufficient authentication scopes.", "insufficientPermissions"
            )

    def _check(self, method: dict[str, Any], request: web.Request, body: Any) -> None:
        errors = _check_query(method, request)
        if "request" in method:
            if request.content_type != "application/json":
                errors.append(f"the body must be JSON, not {request.content_type}")
            errors += _check_value(method["request"], body, "body", method["id"])
        elif body is not None:
            errors.append("this method takes no body")
        if errors:
            self.violations += [f"{method['id']}: {e}" for e in errors]
            raise GoogleError(400, "Invalid request: " + "; ".join(errors), "invalid")

    def _inject(self, path: str, method_id: str, *, oauth: bool) -> None:
        for fault in self._faults:
            target = fault.target
            if target in path or method_id == target or method_id.endswith(f".{target}"):
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                raise _FaultAnswer(fault, oauth)

    # Calendar v3.
    def _calendar(
        self, method_id: str, params: dict[str, str], query: dict[str, str], body: Any, user: str
    ) -> dict[str, Any] | None:
        match method_id:
            case "calendar.freebusy.query":
                return self._freebusy(user, body)
            case "calendar.calendars.get" | "calendar.calendarList.get":
                return self._calendar_resource(method_id, self._owner(user, params["calendarId"]))
            case "calendar.events.insert":
                return self._insert(self._owner(user, params["calendarId"]), body)
            case "calendar.events.list":
                return self._list(self._owner(user, params["calendarId"]), query)
            case "calendar.events.get":
                owner = self._owner(user, params["calendarId"])
                return self._event(owner, params["eventId"])
            case "calendar.events.patch":
                return self._patch(self._owner(user, params["calendarId"]), params["eventId"], body)
            case "calendar.events.delete":
                self._delete(self._owner(user, params["calendarId"]), params["eventId"])
                return None
            case "calendar.events.watch" | "calendar.channels.stop":
                return self._channel(method_id, params, body, user)
        self.violations.append(f"{method_id}: valid, but not implemented by the fake")
        raise GoogleError(501, f"{method_id} is not implemented by the fake", "notImplemented")

    def _touch(self, owner: str, event_id: str) -> None:
        self.feed.touch(owner, event_id)
        self.channels.changed(owner)

    def _channel(
        self, method_id: str, params: dict[str, str], body: dict[str, Any], user: str
    ) -> dict[str, Any] | None:
        try:
            if method_id == "calendar.events.watch":
                return self.channels.watch(self._owner(user, params["calendarId"]), body)
            channel = self.channels.open.get(body.get("id", ""))
            if channel is not None and channel.owner != user:
                raise GoogleError(404)
            self.channels.stop(body)
            return None
        except ChannelError as error:
            raise GoogleError(error.status, error.message, error.reason) from None

    def _owner(self, user: str, calendar_id: str) -> str:
        if calendar_id in ("primary", user):
            return user
        raise GoogleError(404)

    def _calendar_resource(self, method_id: str, owner: str) -> dict[str, Any]:
        zone = self.time_zones.get(owner, "UTC")
        base = {"etag": '"1"', "id": owner, "summary": owner, "timeZone": zone}
        if method_id == "calendar.calendars.get":
            return {"kind": "calendar#calendar"} | base
        entry = {"kind": "calendar#calendarListEntry", "accessRole": "owner", "primary": True}
        return entry | base

    def _freebusy(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        start, end = _when(body.get("timeMin"), "timeMin"), _when(body.get("timeMax"), "timeMax")
        if end <= start:
            raise GoogleError(400, "The specified time range is empty.", "timeRangeEmpty")
        zone = ZoneInfo(body.get("timeZone", "UTC"))
        calendars: dict[str, Any] = {}
        for item in body.get("items", []):
            owner = user if item["id"] == "primary" else item["id"]
            if owner not in self._users and owner not in self.busy:
                calendars[item["id"]] = {"errors": [{"domain": "global", "reason": "notFound"}]}
                continue
            busy = _merged(self._busy_of(owner), start, end)
            periods = [{"start": _stamp(s, zone), "end": _stamp(e, zone)} for s, e in busy]
            calendars[item["id"]] = {"busy": periods}
        return {
            "kind": "calendar#freeBusy",
            "timeMin": _stamp(start, zone),
            "timeMax": _stamp(end, zone),
            "calendars": calendars,
        }

    def _busy_of(self, owner: str) -> list[tuple[datetime, datetime]]:
        booked = [
            (_event_time(e["start"]), _event_time(e["end"]))
            for e in self.live_events(owner)
            if e.get("transparency") != "transparent"
        ]
        return [*self.busy.get(owner, []), *booked]

    def _insert(self, owner: str, body: dict[str, Any]) -> dict[str, Any]:
        event_id = body.get("id") or secrets.token_hex(13)
        if not EVENT_ID.fullmatch(event_id):
            raise GoogleError(400, "Invalid resource id value.", "invalid")
        if event_id in self.events[owner]:
            raise GoogleError(409)
        if _event_time(body["end"]) <= _event_time(body["start"]):
            raise GoogleError(400, "The specified time range is empty.", "timeRangeEmpty")
        now = _stamp(datetime.now(UTC), UTC)
        me = {"email": owner, "self": True}
        attendees = [{"responseStatus": "needsAction"} | a for a in body.get("attendees", [])]
        event = body | {
            "kind": "calendar#event",
            "etag": f'"{time.time_ns()}"',
            "id": event_id,
            "status": "confirmed",
            "htmlLink": f"https://www.google.com/calendar/event?eid={event_id}",
            "created": now,
            "updated": now,
            "creator": me,
            "organizer": me,
            "iCalUID": f"{event_id}@google.com",
            "sequence": 0,
            "reminders": {"useDefault": True},
            "eventType": "default",
        }
        if attendees:
            event["attendees"] = attendees
        self.events[owner][event_id] = event
        self._touch(owner, event_id)
        return event

    def _list(self, owner: str, query: dict[str, str]) -> dict[str, Any]:
        if query.get("orderBy") == "startTime" and query.get("singleEvents") != "true":
            raise GoogleError(
                400, "The requested ordering is not available for the particular query."
            )
        try:
            items, tokens = self.feed.listing(
                owner, list(self.events[owner].values()), query, _event_time
            )
        except ListError as error:
            raise GoogleError(error.status, error.message, error.reason) from None
        zone = self.time_zones.get(owner, "UTC")
        stamp = _stamp(datetime.now(UTC), UTC)
        answer = {"kind": "calendar#events", "summary": owner, "timeZone": zone}
        return answer | {"updated": stamp, "items": items} | tokens

    def _event(self, owner: str, event_id: str) -> dict[str, Any]:
        if event_id not in self.events[owner]:
            raise GoogleError(404)
        return self.events[owner][event_id]

    def _patch(self, owner: str, event_id: str, body: dict[str, Any]) -> dict[str, Any]:
        event = self._event(owner, event_id)
        moved = event | body
        if _event_time(moved["end"]) <= _event_time(moved["start"]):
            raise GoogleError(400, "The specified time range is empty.", "timeRangeEmpty")
        stamp = _stamp(datetime.now(UTC), UTC)
        event |= body | {"updated": stamp, "sequence": event["sequence"] + 1}
        self._touch(owner, event_id)
        return event

    def _delete(self, owner: str, event_id: str) -> None:
        event = self._event(owner, event_id)
        if event["status"] == "cancelled":
            raise GoogleError(410)
        event["status"] = "cancelled"
        event["updated"] = _stamp(datetime.now(UTC), UTC)
        self._touch(owner, event_id)

    # OAuth 2.0.
    async def _handle_oauth(self, request: web.Request, path: str) -> web.StreamResponse:
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        user = None
        try:
            if request.content_type != "application/x-www-form-urlencoded":
                self.violations.append(f"{path}: the body must be a form")
                raise OAuthError(400, "invalid_request", "Bad Request")
            self._inject(path, path, oauth=True)
            if path == "/revoke":
                result: Any = self._revoke_token(form)
            else:
                result = self._grant(form)
                user = self._tokens[result["access_token"]].user
        except (OAuthError, _FaultAnswer) as error:
            result = error
        response = _answer(result)
        self.calls.append(Call("POST", path, {}, form, user, response.status))
        return response

    def _grant(self, form: dict[str, str]) -> dict[str, Any]:
        grant_type = form.get("grant_type", "")
        if grant_type == "authorization_code":
            return self._from_code(form)
        if grant_type == "refresh_token":
            return self._from_refresh_token(form)
        if grant_type == JWT_BEARER:
            return self._from_assertion(self._required(form, "assertion"))
        raise OAuthError(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")

    def _required(self, form: dict[str, str], name: str) -> str:
        if not form.get(name):
            self.violations.append(f"/token: missing {name}")
            raise OAuthError(400, "invalid_request", f"Missing required parameter: {name}")
        return form[name]

    def _client(self, form: dict[str, str]) -> str:
        client_id = self._required(form, "client_id")
        if client_id != self.client_id:
            raise OAuthError(401, "invalid_client", "The OAuth client was not found.")
        if form.get("client_secret") != self.client_secret:
            raise OAuthError(401, "invalid_client", "Unauthorized")
        return client_id

    def _from_code(self, form: dict[str, str]) -> dict[str, Any]:
        client_id = self._client(form)
        code = self._codes.get(self._required(form, "code"))
        redirect_uri = self._required(form, "redirect_uri")
        if code is None or code.client_id != client_id:
            raise OAuthError(400, "invalid_grant", "Bad Request")
        if code.redirect_uri != redirect_uri:
            raise OAuthError(400, "redirect_uri_mismatch", "Bad Request")
        if code.challenge is not None:
            verifier = form.get("code_verifier")
            if not verifier:
                raise OAuthError(400, "invalid_grant", "Missing code verifier.")
            digest = hashlib.sha256(verifier.encode()).digest()
            if base64.urlsafe_b64encode(digest).decode().rstrip("=") != code.challenge:
                raise OAuthError(400, "invalid_grant", "Invalid code verifier.")
        del self._codes[form["code"]]  # a code works once
        refresh = None
        if code.offline:
            refresh = f"1//fake-{secrets.token_urlsafe(24)}"
            self._grants[refresh] = _Grant(code.user, client_id, code.scopes)
        answer = self._issue(code.user, code.scopes, refresh)
        if "openid" in code.scopes:
            answer["id_token"] = self._id_token(code.user, client_id)
        return answer

    def _id_token(self, user: str, client_id: str) -> str:
        """An OpenID Connect ID token with Google's claims (signed with no key we publish:
        a client takes it from the token endpoint, not from the browser)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": "https://accounts.google.com",
            "aud": client_id,
            "azp": client_id,
            "sub": hashlib.sha256(user.encode()).hexdigest()[:21],
            "email": user,
            "email_verified": user not in self.unverified,
            "iat": now,
            "exp": now + TOKEN_SECONDS,
        }
        if user not in self.personal:
            claims["hd"] = user.rpartition("@")[2]
        parts = ({"alg": "RS256", "kid": "fake", "typ": "JWT"}, claims)
        encoded = [
            base64.urlsafe_b64encode(json.dumps(p).encode()).decode().rstrip("=") for p in parts
        ]
        return ".".join([*encoded, "c2lnbmF0dXJl"])

    def _from_refresh_token(self, form: dict[str, str]) -> dict[str, Any]:
        client_id = self._client(form)
        grant = self._grants.get(self._required(form, "refresh_token"))
        if grant is None or grant.revoked or grant.client_id != client_id:
            raise OAuthError(400, "invalid_grant", "Token has been expired or revoked.")
        scopes = frozenset(form.get("scope", "").split()) or grant.scopes
        if not scopes <= grant.scopes:
            raise OAuthError(400, "invalid_scope", "Bad Request")
        answer = self._issue(grant.user, scopes, form["refresh_token"])
        del answer["refresh_token"]  # Google keeps the refresh token; it does not send it again
        return answer

    def _from_assertion(self, assertion: str) -> dict[str, Any]:
        claims = self._verified_claims(assertion)
        scopes = frozenset(str(claims.get("scope", "")).split())
        if not scopes or not all(_known_scope(s) for s in scopes):
            raise OAuthError(400, "invalid_scope", "Invalid OAuth scope or ID token audience.")
        user = claims.get("sub") or claims["iss"]
        if "sub" in claims and not {user, user.rpartition("@")[2]} & self.delegation_allowed:
            raise OAuthError(401, "unauthorized_client", UNAUTHORIZED_CLIENT)
        answer = self._issue(user, scopes, None)
        del answer["refresh_token"], answer["scope"]
        return answer

    def _verified_claims(self, assertion: str) -> dict[str, Any]:
        try:
            head, payload, signature = assertion.split(".")
            header, claims = json.loads(_b64(head)), json.loads(_b64(payload))
            key_id, public_key = self._accounts[claims["iss"]]
        except (ValueError, KeyError, TypeError):
            raise OAuthError(400, "invalid_grant", "Invalid JWT or unknown issuer.") from None
        if header.get("alg") != "RS256" or header.get("kid") != key_id:
            raise OAuthError(400, "invalid_grant", "Invalid JWT Signature.")
        try:
            signed = f"{head}.{payload}".encode()
            public_key.verify(_b64(signature), signed, padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            raise OAuthError(400, "invalid_grant", "Invalid JWT Signature.") from None
        if claims.get("aud") != JWT_AUDIENCE:
            raise OAuthError(400, "invalid_grant", "Invalid JWT: Failed audience check.")
        now, issued, expires = time.time(), claims.get("iat", 0), claims.get("exp", 0)
        if not (issued - 300 <= now < expires and expires - issued <= 3600):
            raise OAuthError(
                400, "invalid_grant", "Invalid JWT: Token must be a short-lived token."
            )
        return dict(claims)

    def _issue(self, user: str, scopes: frozenset[str], refresh: str | None) -> dict[str, Any]:
        access = f"ya29.fake-{secrets.token_urlsafe(24)}"
        lasts = self.token_seconds
        self._tokens[access] = _Token(user, scopes, time.time() + lasts, refresh)
        self._users.add(user)
        answer = {"access_token": access, "expires_in": lasts, "token_type": "Bearer"}
        return answer | {"scope": " ".join(sorted(scopes)), "refresh_token": refresh}

    def _revoke_token(self, form: dict[str, str]) -> dict[str, Any]:
        token = self._required(form, "token")
        if token in self._tokens:
            token = self._tokens.pop(token).refresh or ""
        grant = self._grants.get(token)
        if grant is None or grant.revoked:
            raise OAuthError(400, "invalid_token", "Bad Request")
        grant.revoked = True
        self._tokens = {k: t for k, t in self._tokens.items() if t.refresh != token}
        return {}


class _FaultAnswer(Exception):
    def __init__(self, fault: _Fault, oauth: bool) -> None:
        super().__init__(fault.target)
        self.fault, self.oauth = fault, oauth

    def response(self) -> web.Response:
        fault = self.fault
        body = fault.body
        if body is None and self.oauth:
            body = OAuthError(fault.status, fault.reason or "server_error", "injected fault").body()
        elif body is None:
            body = GoogleError(fault.status, None, fault.reason).body()
        if isinstance(body, str):
            return web.Response(text=body, status=fault.status, headers=fault.headers)
        return web.json_response(body, status=fault.status, headers=fault.headers)


def _answer(result: Any) -> web.Response:
    if isinstance(result, GoogleError):
        return web.json_response(result.body(), status=result.status, headers=result.headers)
    if isinstance(result, OAuthError):
        return web.json_response(result.body(), status=result.status)
    if isinstance(result, _FaultAnswer):
        return result.response()
    if result is None:
        return web.Response(status=204)
    return web.json_response(result)


# Checking requests against the discovery document.
@cache
def _routes() -> tuple[_Route, ...]:
    routes = []

    def collect(resource: dict[str, Any]) -> None:
        for method in resource.get("methods", {}).values():
            regex = re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(method["path"]))
            routes.append(_Route(method["httpMethod"], re.compile(regex), method))
        for child in resource.get("resources", {}).values():
            collect(child)

    collect(discovery())
    # A literal segment wins over a placeholder ("events/import" is not an event id).
    return tuple(sorted(routes, key=lambda r: r.method["path"].count("{")))


def _route(http_method: str, path: str) -> tuple[dict[str, Any], dict[str, str]] | None:
    for route in _routes():
        found = route.pattern.fullmatch(path)
        if found and route.http_method == http_method:
            return route.method, {k: unquote(v) for k, v in found.groupdict().items()}
    return None


def _known_scope(scope: str) -> bool:
    return scope in discovery()["auth"]["oauth2"]["scopes"] or scope in IDENTITY_SCOPES


def _check_query(method: dict[str, Any], request: web.Request) -> list[str]:
    known = {
        name: spec
        for name, spec in (discovery()["parameters"] | method.get("parameters", {})).items()
        if spec["location"] == "query"
    }
    errors = []
    for name in set(request.query):
        spec = known.get(name)
        values = request.query.getall(name)
        if spec is None:
            errors.append(f"unknown query parameter {name}")
            continue
        if len(values) > 1 and not spec.get("repeated"):
            errors.append(f"query parameter {name} given {len(values)} times")
        errors += [e for v in values if (e := _check_param(name, spec, v))]
    for name, spec in known.items():
        if spec.get("required") and name not in request.query:
            errors.append(f"missing query parameter {name}")
    return errors


def _check_param(name: str, spec: dict[str, Any], value: str) -> str | None:
    kind, fmt = spec.get("type"), spec.get("format")
    if "enum" in spec and value not in spec["enum"]:
        return f"query parameter {name}={value!r} is not one of {spec['enum']}"
    if kind == "boolean" and value not in ("true", "false"):
        return f"query parameter {name}={value!r} is not a boolean"
    if kind == "integer" and not re.fullmatch(r"-?\d+", value):
        return f"query parameter {name}={value!r} is not an integer"
    if kind == "integer" and "minimum" in spec and int(value) < int(spec["minimum"]):
        return f"query parameter {name}={value!r} is below {spec['minimum']}"
    if fmt == "date-time" and _rfc3339(value) is None:
        return f"query parameter {name}={value!r} is not an RFC 3339 time with an offset"
    return None


_KINDS: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
}


def _check_value(
    schema: dict[str, Any], value: Any, where: str, method_id: str | None
) -> list[str]:
    """Where `value` breaks `schema`: unknown fields, wrong types, and the fields
    `annotations.required` names for `method_id` (None: skip those)."""
    if "$ref" in schema:
        schema = discovery()["schemas"][schema["$ref"]]
    kind = schema.get("type")
    if value is None:
        return [f"{where} is null (the fake refuses nulls: send nothing instead)"]
    if kind == "object":
        return _check_object(schema, value, where, method_id)
    if kind == "array":
        if not isinstance(value, list):
            return [f"{where} must be an array"]
        errors = []
        for i, item in enumerate(value):
            errors += _check_value(schema["items"], item, f"{where}[{i}]", method_id)
        return errors
    if kind in _KINDS and not _KINDS[kind](value):
        return [f"{where} must be a {kind}, not {type(value).__name__}"]
    fmt = schema.get("format")
    if fmt == "date-time" and _datetime_or_none(value) is None:
        return [f"{where}={value!r} is not an RFC 3339 date-time"]
    if fmt == "date" and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return [f"{where}={value!r} is not a date"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}={value!r} is not one of {schema['enum']}"]
    return []


def _check_object(
    schema: dict[str, Any], value: Any, where: str, method_id: str | None
) -> list[str]:
    if not isinstance(value, dict):
        return [f"{where} must be an object"]
    fields, extra = schema.get("properties", {}), schema.get("additionalProperties")
    errors = [
        f"{where}.{name} is required for {method_id}"
        for name, spec in (fields.items() if method_id is not None else ())
        if method_id in spec.get("annotations", {}).get("required", ()) and name not in value
    ]
    for name, item in value.items():
        spec = fields.get(name, extra)
        if spec is None:
            errors.append(f"{where}.{name} is not a field of {schema.get('id', 'this object')}")
        else:
            errors += _check_value(spec, item, f"{where}.{name}", method_id)
    return errors


def _check_response(method: dict[str, Any], result: Any) -> list[str]:
    if "response" not in method:
        return []
    errors = _check_value(method["response"], result, "response", None)
    return [f"{method['id']}: the fake answered badly: {e}" for e in errors]


async def _json_body(request: web.Request) -> Any:
    raw = await request.read()
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise GoogleError(400, "Parse Error", "parseError") from None


# Times.
def _datetime_or_none(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if "T" in text else None
    except ValueError:
        return None


def _rfc3339(text: str) -> datetime | None:
    moment = _datetime_or_none(text)
    return moment if moment is not None and moment.tzinfo is not None else None


def _when(text: Any, name: str) -> datetime:
    moment = _rfc3339(text) if isinstance(text, str) else None
    if moment is None:
        raise GoogleError(400, f"Missing or invalid {name or 'time'} parameter.", "required")
    return moment


def _event_time(when: dict[str, Any]) -> datetime:
    """An EventDateTime as an aware datetime; as Google, a time without an offset needs a zone."""
    if "date" in when:
        return datetime.fromisoformat(when["date"]).replace(tzinfo=UTC)
    moment = _datetime_or_none(when.get("dateTime", ""))
    if moment is None:
        raise GoogleError(400, "Missing or invalid dateTime.", "invalid")
    if moment.tzinfo is None:
        if "timeZone" not in when:
            raise GoogleError(400, "Missing time zone definition for start time.", "required")
        moment = moment.replace(tzinfo=ZoneInfo(when["timeZone"]))
    return moment


def _merged(
    periods: list[tuple[datetime, datetime]], start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """Busy periods clipped to [start, end) and joined where they overlap or touch."""
    clipped = sorted((max(s, start), min(e, end)) for s, e in periods if s < end and e > start)
    merged: list[tuple[datetime, datetime]] = []
    for s, e in clipped:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def _stamp(moment: datetime, zone: Any) -> str:
    text = moment.astimezone(zone).replace(microsecond=0).isoformat()
    return text.replace("+00:00", "Z")


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
