"""Google's errors, as google-api-python-client, google-auth and httplib2 raise them or the
free/busy answer reports them, turned into the typed ones."""

from __future__ import annotations

import json
from typing import Any

import httplib2
from google.auth import exceptions as auth_errors
from googleapiclient.errors import HttpError

from tools.clients.errors import (
    AuthFailed,
    IntegrationError,
    RateLimited,
    Rejected,
    RemoteNotFound,
    SyncTokenExpired,
    Unavailable,
)

SERVICE = "Google Calendar"
RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}
# 403 reasons about our credentials or the account's settings (someone must fix access); any
# other 403 (forbiddenForNonOrganizer, quotaExceeded, ...) refuses this request only: Rejected.
ACCESS_REASONS = {
    "forbidden",
    "insufficientPermissions",
    "accessNotConfigured",
    "domainPolicy",
    "authError",
    "accessDenied",
}


class Exists(Rejected):
    """409: the id is taken (by our own earlier insert, since we choose the ids)."""


def mapped_error(error: Exception) -> IntegrationError | None:
    if isinstance(error, HttpError):
        return _http_error(error)
    if isinstance(error, auth_errors.RefreshError):
        return _refresh_error(error)
    if isinstance(error, auth_errors.TransportError | httplib2.HttpLib2Error):
        return Unavailable(SERVICE, f"could not be reached ({error})")
    if isinstance(error, OSError):
        kind = "no answer in time" if isinstance(error, TimeoutError) else "could not be reached"
        return Unavailable(SERVICE, f"{kind} ({type(error).__name__}: {error})")
    return None


def _http_error(error: HttpError) -> IntegrationError:
    status = error.status_code
    reason, message = _google_error(error.content, error.reason or f"HTTP {status}")
    if status == 401:
        return AuthFailed(SERVICE, message)
    if status == 429 or (status == 403 and reason in RATE_REASONS):
        return RateLimited(SERVICE, message, _retry_after(error.resp.get("retry-after")))
    if status == 403:
        return (AuthFailed if reason in ACCESS_REASONS else Rejected)(SERVICE, message)
    if status == 409:
        return Exists(SERVICE, message)
    if status == 410 and reason == "fullSyncRequired":
        return SyncTokenExpired(SERVICE, message)
    if status in (404, 410):
        return RemoteNotFound(SERVICE, message)
    if status >= 500 or status == 408:
        return Unavailable(SERVICE, f"{message} (HTTP {status})")
    return Rejected(SERVICE, message)


def _refresh_error(error: auth_errors.RefreshError) -> IntegrationError:
    text = str(error.args[0]) if error.args else str(error)
    if text.startswith("invalid_grant"):
        return AuthFailed(SERVICE, f"access was revoked; reconnect ({text})")
    if error.retryable:
        return Unavailable(SERVICE, f"the token endpoint failed ({text})")
    return AuthFailed(SERVICE, f"Google refused the credentials ({text})")


def _google_error(content: bytes, default: str) -> tuple[str | None, str]:
    """The first `reason` and the `message` of Google's error body."""
    try:
        error = json.loads(content)["error"]
        reasons = [e.get("reason") for e in error.get("errors", [])]
        return (reasons[0] if reasons else None), str(error.get("message") or default)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None, default


def freebusy_error(error: dict[str, Any]) -> IntegrationError:
    reason = str(error.get("reason", "unknown"))
    if reason == "notFound":
        return RemoteNotFound(SERVICE, "the calendar was not found")
    if reason in ("backendError", "internalError"):
        return Unavailable(SERVICE, f"free/busy failed ({reason})")
    return Rejected(SERVICE, f"free/busy failed ({reason})")


def _retry_after(value: str | None) -> float | None:
    try:
        return None if value is None else max(0.0, float(value))
    except ValueError:
        return None
