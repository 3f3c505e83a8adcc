"""What can go wrong with an outside service, in words a tool can act on. Clients raise these
and nothing else; tools turn them into a retry for the model or a message for the user."""

from __future__ import annotations


class IntegrationError(Exception):
    """A call to Google, Zoom or HubSpot failed; `service` names which."""

    def __init__(self, service: str, message: str) -> None:
        super().__init__(f"{service}: {message}")
        self.service = service
        self.message = message


class RemoteNotFound(IntegrationError):
    """The thing asked for does not exist there (a user, a contact, an event)."""


class Rejected(IntegrationError):
    """The service refused the request as invalid (4xx other than auth, not found, rate)."""


class AuthFailed(IntegrationError):
    """Our credentials were refused or revoked: someone must reconnect or fix the settings."""


class RateLimited(IntegrationError):
    """Too many requests; `retry_after` is the wait the service asked for, in seconds."""

    def __init__(self, service: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(service, message)
        self.retry_after = retry_after


class Unavailable(IntegrationError):
    """The service did not answer well (5xx, timeout, connection refused) after retries."""


class SyncTokenExpired(IntegrationError):
    """Google no longer knows where the last sync left off (410 Gone): sync in full again."""
