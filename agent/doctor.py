"""`salesbot doctor`: every setting and every configured service checked live, each as one row
saying ok, warn (an optional service not configured) or FAIL, and what to fix. No secret is
ever put in a row: anything a service or library says is scrubbed of the secrets set."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import httpx

from agent.settings import Settings

Status = Literal["ok", "warn", "FAIL"]


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    """What was found when it is fine; what to fix when it is not."""


def ok(name: str, detail: str) -> Check:
    return Check(name, "ok", detail)


def warn(name: str, detail: str) -> Check:
    return Check(name, "warn", detail)


def fail(name: str, detail: str) -> Check:
    return Check(name, "FAIL", detail)


async def diagnose(settings: Settings, dsn: str) -> list[Check]:
    """Every check, in the order of the table; a check that raises is a FAIL, not a crash."""
    checks: list[tuple[str, Callable[[], Awaitable[Check]]]] = [
        ("Telegram", lambda: telegram(settings)),
        ("Model", lambda: model(settings)),
        ("Database", lambda: database(dsn)),
        ("Encryption key", lambda: encryption_key(settings)),
        ("Google", lambda: google(settings)),
        ("Zoom", lambda: zoom(settings)),
        ("HubSpot", lambda: hubspot(settings)),
        ("SMTP", lambda: smtp(settings)),
    ]
    rows = []
    for name, check in checks:
        try:
            row = await asyncio.wait_for(check(), settings.integration_timeout_seconds + 5)
        except Exception as e:
            row = fail(name, f"check failed unexpectedly: {type(e).__name__}: {e}")
        rows.append(Check(row.name, row.status, scrub(row.detail, settings)))
    return rows


def scrub(text: str, settings: Settings) -> str:
    """`text` with every secret value of `settings` masked."""
    longest_first = sorted(settings.secret_values(), key=lambda s: len(s[1]), reverse=True)
    for name, value in longest_first:
        if len(value) >= 4:
            text = text.replace(value, f"<{name}>")
    return text.replace("\n", " ")


async def telegram(settings: Settings) -> Check:
    name = "Telegram bot"
    if settings.telegram_bot_token is None:
        return fail(name, "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather")
    from telegram.error import InvalidToken, TelegramError

    from agent.telegram.transport import make_bot

    api = settings.telegram_api_url
    bot = make_bot(settings.telegram_bot_token.get_secret_value(), base_url=f"{api}/bot")
    try:
        async with bot:  # initialize() calls getMe
            info = await bot.get_webhook_info()
    except InvalidToken:
        return fail(name, "Telegram refused TELEGRAM_BOT_TOKEN: copy the token @BotFather gave")
    except TelegramError as e:
        return fail(name, f"cannot reach Telegram at {api} (TELEGRAM_API_URL): {e}")
    mode = f"webhook {info.url}" if info.url else "long polling"
    if settings.telegram_webhook_url and info.url != settings.telegram_webhook_url:
        mode += " (set to TELEGRAM_WEBHOOK_URL when `salesbot run` starts)"
    if info.last_error_message:
        return warn(name, f"@{bot.username}, {mode}; last webhook error: {info.last_error_message}")
    return ok(name, f"@{bot.username}, {mode}")


async def model(settings: Settings) -> Check:
    name = "Model"
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    if key is None and settings.openai_base_url is None:
        return fail(name, "no model: set OPENAI_API_KEY, or OPENAI_BASE_URL for a local server")
    import openai

    where = settings.openai_base_url or "api.openai.com"
    client = openai.AsyncOpenAI(
        base_url=settings.openai_base_url,
        api_key=key or "not-needed",
        timeout=settings.model_timeout_seconds,
        max_retries=0,
    )
    try:
        async with client:
            await client.chat.completions.create(
                model=settings.salesbot_model,
                messages=[{"role": "user", "content": "Say OK."}],
                max_tokens=1,
            )
    except openai.AuthenticationError:
        return fail(name, f"{where} refused OPENAI_API_KEY: set a valid key")
    except openai.NotFoundError:
        return fail(name, f"{where} has no model {settings.salesbot_model!r}: fix SALESBOT_MODEL")
    except openai.APIConnectionError as e:
        return fail(name, f"cannot reach {where} (OPENAI_BASE_URL): {e}")
    except openai.APIStatusError as e:
        return fail(name, f"{where} answered HTTP {e.status_code}: {e.message}")
    return ok(name, f"{settings.salesbot_model} at {where} answers")


async def database(dsn: str) -> Check:
    name = "Database"
    from db.migrate import applied_migrations, discover
    from db.pool import connect

    try:
        conn = await connect(dsn)
    except OSError as e:
        return fail(name, f"cannot connect (DATABASE_URL): {e}")
    try:
        version = await conn.fetchval("SHOW server_version")
        applied = {r["version"] for r in await applied_migrations(conn)}
    finally:
        await conn.close()
    missing = [f"{m.version:03d}_{m.name}" for m in discover() if m.version not in applied]
    server = f"PostgreSQL {version}"
    if missing:
        return fail(name, f"{server}; {len(missing)} migration(s) pending: run `salesbot migrate`")
    return ok(name, f"{server}; all {len(applied)} migrations applied")


async def encryption_key(settings: Settings) -> Check:
    name = "Encryption key"
    if settings.token_encryption_key is None:
        needed = settings.google_oauth_client_id and not settings.google_service_account_file
        detail = "TOKEN_ENCRYPTION_KEY not set (needed only for Google sign-in)"
        return fail(name, detail) if needed else warn(name, detail)
    from tools.vault import Vault

    vault = Vault(settings.token_encryption_key.get_secret_value())
    try:
        sealed = vault.seal({"doctor": True})
        vault.open(sealed)
    except ValueError:
        return fail(name, "TOKEN_ENCRYPTION_KEY is not Fernet keys: make one with Fernet")
    return ok(name, f"{len(vault.key.split(','))} key(s), newest seals")


async def google(settings: Settings) -> Check:
    name = "Google"
    if path := settings.google_service_account_file:
        from google.auth.exceptions import GoogleAuthError

        from tools.clients.google_auth import delegated

        try:
            credentials = delegated(path, f"doctor@{settings.corporate_email_domain}")
        except (OSError, ValueError, KeyError, GoogleAuthError) as e:
            fix = "point GOOGLE_SERVICE_ACCOUNT_FILE at the service account's JSON key"
            return fail(name, f"{fix} ({type(e).__name__}: {e})")
        email = credentials.service_account_email
        try:
            await asyncio.to_thread(_refresh, credentials.with_subject(None), settings)  # type: ignore[no-untyped-call]
        except GoogleAuthError as e:
            return fail(name, f"Google refused the key of {email}: make a new key ({e})")
        return ok(name, f"delegation as service account {email}; its key gets a token")
    if settings.google_oauth_client_id:
        client_id = settings.google_oauth_client_id
        if not client_id.endswith(".apps.googleusercontent.com"):
            return fail(name, "GOOGLE_OAUTH_CLIENT_ID is not a Google OAuth client id")
        return ok(name, f"sign-in with OAuth client; callback at {settings.public_base_url}")
    return warn(name, "not configured: set GOOGLE_SERVICE_ACCOUNT_FILE or GOOGLE_OAUTH_CLIENT_*")


async def zoom(settings: Settings) -> Check:
    name = "Zoom"
    if not (settings.zoom_client_id and settings.zoom_client_secret and settings.zoom_account_id):
        return warn(name, "not configured (optional): set ZOOM_ACCOUNT_ID and ZOOM_CLIENT_*")
    from tools.clients.errors import AuthFailed, IntegrationError
    from tools.clients.zoom import ZoomClient

    async with _http(settings) as http:
        client = ZoomClient(
            account_id=settings.zoom_account_id,
            client_id=settings.zoom_client_id,
            client_secret=settings.zoom_client_secret.get_secret_value(),
            shared_user=settings.zoom_shared_user or "",
            api_url=settings.zoom_api_url,
            oauth_url=settings.zoom_oauth_url,
            http=http,
            clock=_now,
        )
        try:
            await client._fetch_token()
        except AuthFailed as e:
            fix = "check ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET"
            return fail(name, f"{fix} ({e.message})")
        except IntegrationError as e:
            return fail(name, f"cannot get a token at ZOOM_OAUTH_URL: {e.message}")
    return ok(name, f"token issued; shared user {settings.zoom_shared_user}")


async def hubspot(settings: Settings) -> Check:
    name = "HubSpot"
    if settings.hubspot_access_token is None:
        return warn(name, "not configured (optional): set HUBSPOT_ACCESS_TOKEN")
    from tools.clients.errors import AuthFailed, IntegrationError
    from tools.clients.http import check, send

    headers = {"Authorization": f"Bearer {settings.hubspot_access_token.get_secret_value()}"}
    body = {"filterGroups": [], "sorts": [], "properties": ["email"], "limit": 1, "after": "0"}
    url = f"{settings.hubspot_api_url}/crm/v3/objects/contacts/search"
    async with _http(settings) as http:
        try:
            request = http.build_request("POST", url, json=body, headers=headers)
            check("HubSpot", await send("HubSpot", http, request))
        except AuthFailed as e:
            fix = "HUBSPOT_ACCESS_TOKEN is refused or lacks crm.objects.contacts.read"
            return fail(name, f"{fix} ({e.message})")
        except IntegrationError as e:
            return fail(name, f"contacts search failed: {e.message}")
    return ok(name, "token reads contacts")


async def smtp(settings: Settings) -> Check:
    name = "SMTP"
    if not settings.smtp_host:
        return warn(name, "not configured (optional): set SMTP_HOST to send email codes")
    import aiosmtplib

    where = f"{settings.smtp_host}:{settings.smtp_port}"
    client = aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        use_tls=settings.smtp_tls == "tls",
        start_tls=settings.smtp_tls == "starttls",
        timeout=settings.integration_timeout_seconds,
    )
    try:
        await client.connect()
        if settings.smtp_user and settings.smtp_password:
            await client.login(settings.smtp_user, settings.smtp_password.get_secret_value())
        await client.quit()
    except aiosmtplib.SMTPAuthenticationError as e:
        return fail(name, f"{where} refused SMTP_USER/SMTP_PASSWORD: {e.code} {e.message}")
    except (aiosmtplib.SMTPException, OSError) as e:
        return fail(name, f"cannot talk to {where} (SMTP_HOST, SMTP_PORT, SMTP_TLS): {e}")
    return ok(name, f"{where} accepts {'the login' if settings.smtp_user else 'connections'}")


def _refresh(credentials: Any, settings: Settings) -> None:
    """A token for the service account itself: proves the key and its token endpoint. Whether
    the domain lets it act as a rep shows when that rep's calendar is first used."""
    import google_auth_httplib2
    import httplib2

    http = httplib2.Http(timeout=settings.integration_timeout_seconds)
    try:
        credentials.refresh(google_auth_httplib2.Request(http))
    finally:
        http.close()


def _http(settings: Settings) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=settings.integration_timeout_seconds)


def _now() -> datetime:
    return datetime.now(UTC)
