"""Google credentials: a Workspace service account acting as a rep (domain-wide delegation), or a
rep's own OAuth grant from the web-redirect flow (authorization URL, code exchange, refresh by
google-auth during calls, revocation). Grants are plain data so they can be sealed and stored."""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlencode

import httpx
from google.oauth2 import credentials as user_creds
from google.oauth2 import service_account

from tools.clients.errors import AuthFailed, IntegrationError, RateLimited, Rejected, Unavailable
from tools.clients.http import body_of, retry_after, send
from tools.clients.retry import DEFAULT_POLICY, RetryPolicy, retrying

SERVICE = "Google sign-in"
# calendars.readonly is what calendars.get('primary') needs (the account's email and time
# zone); the other two cover booking and free/busy.
SCOPES = (
    "https://www.googleapis.com/auth/calendar.events",
    "https://www.googleapis.com/auth/calendar.freebusy",
    "https://www.googleapis.com/auth/calendar.calendars.readonly",
)
# Signing in also asks who the user is: the ID token says which address Google verified.
SIGN_IN_SCOPES = ("openid", "email", *SCOPES)
ISSUERS = ("https://accounts.google.com", "accounts.google.com")
# Token-endpoint errors that mean "the user or the admin must act", not "try again".
REFUSALS = {
    "invalid_grant",
    "invalid_client",
    "unauthorized_client",
    "access_denied",
    "redirect_uri_mismatch",
}


def delegated(service_account_file: Path, subject: str) -> service_account.Credentials:
    """The service account acting as `subject`; tokens come from the file's `token_uri`."""
    base = service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
        str(service_account_file), scopes=list(SCOPES)
    )
    return cast(service_account.Credentials, base.with_subject(subject))


class Delegation:
    """The service account acting as each rep, its key read once and each rep's credentials
    kept, so that a token is fetched (and a JWT signed) only when the last one expires."""

    def __init__(self, service_account_file: Path) -> None:
        self.file = service_account_file
        self._base: service_account.Credentials | None = None
        self._subjects: dict[str, service_account.Credentials] = {}
        self._lock = threading.Lock()

    def credentials(self, subject: str) -> service_account.Credentials:
        with self._lock:
            if (found := self._subjects.get(subject)) is not None:
                return found
            if self._base is None:
                self._base = delegated(self.file, subject)
                made = self._base
            else:
                made = self._base.with_subject(subject)  # type: ignore[no-untyped-call]
            self._subjects[subject] = made
            return made


@dataclass(frozen=True)
class OAuthClient:
    client_id: str
    client_secret: str
    auth_url: str = "https://accounts.google.com/o/oauth2/v2/auth"
    token_url: str = "https://oauth2.googleapis.com/token"
    revoke_url: str = "https://oauth2.googleapis.com/revoke"


@dataclass(frozen=True)
class TokenGrant:
    access_token: str
    refresh_token: str | None
    expires_at: datetime | None
    scopes: tuple[str, ...]
    id_token: str | None = field(default=None, compare=False, repr=False)
    """Who signed in, as the token endpoint said it; not part of the grant, never stored."""

    def to_json(self) -> dict[str, Any]:
        expires = None if self.expires_at is None else self.expires_at.isoformat()
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": expires,
            "scopes": list(self.scopes),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TokenGrant:
        expires = data.get("expires_at")
        return cls(
            access_token=data["access_token"],
            refresh_token=data.get("refresh_token"),
            expires_at=None if expires is None else datetime.fromisoformat(expires),
            scopes=tuple(data.get("scopes", ())),
        )


def authorization_url(
    client: OAuthClient,
    *,
    redirect_uri: str,
    state: str,
    code_challenge: str,
    login_hint: str | None = None,
) -> str:
    """Where to send the user to consent; Google comes back to `redirect_uri` with a code."""
    params = {
        "client_id": client.client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": " ".join(SIGN_IN_SCOPES),
        "state": state,
        "access_type": "offline",
        "prompt": "consent",
        "include_granted_scopes": "true",
        "code_challenge": code_challenge,
        "code_challenge_method": "S256",
    }
    if login_hint:
        params["login_hint"] = login_hint
    return f"{client.auth_url}?{urlencode(params)}"


async def exchange_code(
    client: OAuthClient,
    *,
    code: str,
    code_verifier: str,
    redirect_uri: str,
    now: datetime,
    http: httpx.AsyncClient,
    policy: RetryPolicy = DEFAULT_POLICY,
) -> TokenGrant:
    """The grant for the code Google sent to the callback."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": code_verifier,
        "redirect_uri": redirect_uri,
        "client_id": client.client_id,
        "client_secret": client.client_secret,
    }

    async def call() -> dict[str, Any]:
        request = http.build_request("POST", client.token_url, data=form)
        response = await send(SERVICE, http, request)
        if response.is_success and isinstance(data := body_of(response), dict):
            return data
        raise _token_error(response)

    data = await retrying(policy, service=SERVICE, call=call)
    expires_in = data.get("expires_in")
    return TokenGrant(
        access_token=data["access_token"],
        refresh_token=data.get("refresh_token"),
        expires_at=None if expires_in is None else now + timedelta(seconds=int(expires_in)),
        scopes=tuple(str(data.get("scope", "")).split()),
        id_token=data.get("id_token"),
    )


@dataclass(frozen=True)
class Identity:
    """Who signed in, from the ID token: the address, whether Google verified that it is
    theirs, and the Workspace domain the account belongs to (None for a personal account)."""

    email: str
    email_verified: bool
    hosted_domain: str | None


def identity_of(client: OAuthClient, grant: TokenGrant, now: datetime) -> Identity:
    """The ID token's claims, checked for issuer, audience and expiry. Its signature is not
    checked: it came straight from Google's token endpoint over TLS (OpenID Connect Core
    3.1.3.7), not through the browser."""
    if not grant.id_token:
        raise AuthFailed(SERVICE, "Google sent no ID token, so the account is not known")
    try:
        payload = grant.id_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        raise AuthFailed(SERVICE, "the ID token is malformed") from None
    if not isinstance(claims, dict) or claims.get("iss") not in ISSUERS:
        raise AuthFailed(SERVICE, "the ID token is not from Google")
    if claims.get("aud") != client.client_id:
        raise AuthFailed(SERVICE, "the ID token is for another client")
    if not isinstance(claims.get("exp"), int | float) or claims["exp"] <= now.timestamp():
        raise AuthFailed(SERVICE, "the ID token has expired")
    if not isinstance(email := claims.get("email"), str):
        raise AuthFailed(SERVICE, "the ID token has no email")
    verified = claims.get("email_verified") in (True, "true")
    hosted = claims.get("hd")
    return Identity(email, verified, hosted if isinstance(hosted, str) else None)


def user_credentials(client: OAuthClient, grant: TokenGrant) -> user_creds.Credentials:
    """Credentials that refresh themselves at `client.token_url` when the token expires."""
    expiry = grant.expires_at
    return user_creds.Credentials(  # type: ignore[no-untyped-call]
        token=grant.access_token,
        refresh_token=grant.refresh_token,
        token_uri=client.token_url,
        client_id=client.client_id,
        client_secret=client.client_secret,
        scopes=list(grant.scopes),
        # google-auth compares expiry with a naive UTC clock.
        expiry=None if expiry is None else expiry.astimezone(UTC).replace(tzinfo=None),
    )


def grant_after(credentials: user_creds.Credentials, previous: TokenGrant) -> TokenGrant:
    """The grant to store after a call: a refresh may have changed the token and its expiry."""
    expiry = credentials.expiry
    granted = credentials.granted_scopes
    return TokenGrant(
        access_token=credentials.token or previous.access_token,
        refresh_token=credentials.refresh_token or previous.refresh_token,
        expires_at=None if expiry is None else expiry.replace(tzinfo=UTC),
        scopes=tuple(granted) if granted else previous.scopes,
    )


async def revoke(
    client: OAuthClient,
    token: str,
    *,
    http: httpx.AsyncClient,
    policy: RetryPolicy = DEFAULT_POLICY,
) -> None:
    """Revokes the grant the token belongs to; a token Google no longer knows counts as done."""

    async def call() -> None:
        request = http.build_request("POST", client.revoke_url, data={"token": token})
        response = await send(SERVICE, http, request)
        body = body_of(response)
        gone = isinstance(body, dict) and body.get("error") == "invalid_token"
        if not (response.is_success or gone):
            raise _token_error(response)

    await retrying(policy, service=SERVICE, call=call)


def _token_error(response: httpx.Response) -> IntegrationError:
    body = body_of(response)
    body = body if isinstance(body, dict) else {}
    error = str(body.get("error") or f"HTTP {response.status_code}")
    message = f"{error}: {body['error_description']}" if body.get("error_description") else error
    status = response.status_code
    if error in REFUSALS or status in (401, 403):
        return AuthFailed(SERVICE, message)
    if status == 429:
        return RateLimited(SERVICE, message, retry_after(response))
    if status >= 500 or status == 408 or response.is_success:
        return Unavailable(SERVICE, message)
    return Rejected(SERVICE, message)
