"""The outside services from settings: each real client when its credentials are set, its
sandbox twin otherwise; one HTTP client shared by them, closed on exit."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime

import httpx

from agent.settings import Settings
from db.queries import Executor
from tools.clients.calendar import GoogleCalendar
from tools.clients.calendar_models import Calendar
from tools.clients.google_auth import Delegation, OAuthClient
from tools.clients.hubspot import HubSpotClient
from tools.clients.hubspot_models import HubSpot
from tools.clients.mail import Mailer, Tls
from tools.clients.retry import DEFAULT_POLICY, RetryPolicy
from tools.clients.sandbox import SandboxCalendar, SandboxHubSpot, SandboxZoom
from tools.clients.zoom import ZoomClient
from tools.clients.zoom_models import Zoom
from tools.services import CalendarSignIn, Services
from tools.vault import Vault

log = logging.getLogger(__name__)

CALLBACK_PATH = "/oauth/google/callback"


@contextlib.asynccontextmanager
async def services_from(
    settings: Settings,
    *,
    journal: Executor,
    clock: Callable[[], datetime],
    policy: RetryPolicy = DEFAULT_POLICY,
) -> AsyncIterator[Services]:
    async with httpx.AsyncClient(timeout=settings.integration_timeout_seconds) as http:
        hubspot = _hubspot(settings, http, clock, policy)
        services = Services(
            calendar=_calendar(settings, policy),
            zoom=_zoom(settings, http, clock, policy),
            hubspot=hubspot,
            crm=hubspot if isinstance(hubspot, HubSpotClient) else None,
            delegation=_delegation(settings),
            sign_in=sign_in_from(settings, http),
            mail=mail_from(settings, policy),
            journal=journal,
        )
        sandboxes = [
            name
            for name, client in (
                ("Google Calendar", services.calendar),
                ("Zoom", services.zoom),
                ("HubSpot", services.hubspot),
            )
            if client.sandbox
        ]
        if sandboxes:
            log.info("sandbox mode (no credentials set) for: %s", ", ".join(sandboxes))
        try:
            yield services
        finally:
            if isinstance(services.calendar, GoogleCalendar):
                services.calendar.close()


def sign_in_from(settings: Settings, http: httpx.AsyncClient) -> CalendarSignIn | None:
    secret, key, base = (
        settings.google_oauth_client_secret,
        settings.token_encryption_key,
        settings.public_base_url,
    )
    if settings.google_service_account_file or not settings.google_oauth_client_id:
        return None
    assert secret is not None  # the settings checked all three
    assert key is not None
    assert base is not None
    client = OAuthClient(
        client_id=settings.google_oauth_client_id,
        client_secret=secret.get_secret_value(),
        auth_url=settings.google_oauth_auth_url,
        token_url=settings.google_oauth_token_url,
        revoke_url=settings.google_oauth_revoke_url,
    )
    return CalendarSignIn(
        client=client,
        redirect_uri=f"{base}{CALLBACK_PATH}",
        vault=Vault(key.get_secret_value()),
        http=http,
    )


def mail_from(settings: Settings, policy: RetryPolicy = DEFAULT_POLICY) -> Mailer | None:
    sender = settings.mail_sender
    if not settings.smtp_host or sender is None:
        return None
    password = settings.smtp_password
    return Mailer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=sender,
        tls=Tls(settings.smtp_tls),
        user=settings.smtp_user,
        password=None if password is None else password.get_secret_value(),
        timeout=settings.integration_timeout_seconds,
        policy=policy,
    )


def _delegation(settings: Settings) -> Delegation | None:
    path = settings.google_service_account_file
    return None if path is None else Delegation(path)


def _calendar(settings: Settings, policy: RetryPolicy) -> Calendar:
    if settings.google_service_account_file or settings.google_oauth_client_id:
        return GoogleCalendar(
            api_endpoint=settings.google_calendar_api_url,
            timeout=settings.integration_timeout_seconds,
            policy=policy,
        )
    return SandboxCalendar()


def _zoom(
    settings: Settings, http: httpx.AsyncClient, clock: Callable[[], datetime], policy: RetryPolicy
) -> Zoom:
    secret = settings.zoom_client_secret
    if not (settings.zoom_account_id and settings.zoom_client_id and secret):
        return SandboxZoom()
    return ZoomClient(
        account_id=settings.zoom_account_id,
        client_id=settings.zoom_client_id,
        client_secret=secret.get_secret_value(),
        shared_user=settings.zoom_shared_user or "",
        api_url=settings.zoom_api_url,
        oauth_url=settings.zoom_oauth_url,
        http=http,
        clock=clock,
        policy=policy,
    )


def _hubspot(
    settings: Settings, http: httpx.AsyncClient, clock: Callable[[], datetime], policy: RetryPolicy
) -> HubSpot:
    token = settings.hubspot_access_token
    if token is None:
        return SandboxHubSpot()
    return HubSpotClient(
        token=token.get_secret_value(),
        api_url=settings.hubspot_api_url,
        http=http,
        clock=clock,
        policy=policy,
    )
