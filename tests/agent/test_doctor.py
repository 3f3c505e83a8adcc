import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from inline_snapshot import snapshot

from agent.doctor import Check, diagnose
from agent.settings import Settings, default_settings
from tests.agent.fake_openai import FakeOpenAI
from tests.fakes.google import FakeGoogle
from tests.fakes.hubspot import FakeHubSpot
from tests.fakes.smtp import FakeMailServer
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zoom import FakeZoom

KEY = Fernet.generate_key().decode()


@asynccontextmanager
async def every_service(tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    """Settings for every service, each pointed at its fake, all of them right."""
    model = FakeOpenAI(echo=True)
    server, model_url = model.serve()
    try:
        async with (
            FakeTelegram() as tg,
            FakeGoogle() as google,
            FakeZoom() as zoom,
            FakeHubSpot() as hubspot,
            FakeMailServer(login=("bot@truerealestate.bali", "mail-pass")) as mail,
        ):
            yield {
                "telegram_bot_token": tg.token,
                "telegram_api_url": tg.url,
                "openai_base_url": model_url,
                "openai_api_key": "sk-test-model-key",
                "token_encryption_key": KEY,
                "google_service_account_file": google.service_account_file(tmp_path),
                "zoom_account_id": zoom.account_id,
                "zoom_client_id": zoom.client_id,
                "zoom_client_secret": zoom.client_secret,
                "zoom_shared_user": "shared@truerealestate.bali",
                "zoom_api_url": zoom.api_url,
                "zoom_oauth_url": zoom.oauth_url,
                "hubspot_access_token": hubspot.token,
                "hubspot_api_url": hubspot.url,
                "smtp_host": mail.host,
                "smtp_port": mail.port,
                "smtp_tls": "none",
                "smtp_user": "bot@truerealestate.bali",
                "smtp_password": "mail-pass",
            }
    finally:
        server.shutdown()


def table(checks: list[Check]) -> str:
    """The rows, without what changes from run to run or with the schema: ports, the server's
    version, how many migrations there are."""
    text = "\n".join(f"{c.name} | {c.status} | {c.detail}" for c in checks)
    text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text)
    text = re.sub(r"all \d+ migrations", "all N migrations", text)
    return re.sub(r"PostgreSQL [^;]+", "PostgreSQL N", text)


def secrets_of(settings: Settings) -> list[str]:
    return [v.get_secret_value() for _, v in settings if hasattr(v, "get_secret_value")]


async def test_every_service_right_is_all_ok_and_no_secret_is_shown(
    db_dsn: str, tmp_path: Path
) -> None:
    async with every_service(tmp_path) as values:
        settings = default_settings(**values)
        checks = await diagnose(settings, db_dsn)
    assert table(checks) == snapshot("""\
Telegram bot | ok | @salesbot_test_bot, long polling
Model | ok | gpt-4.1-mini at http://127.0.0.1:PORT/v1 answers
Database | ok | PostgreSQL N; all N migrations applied
Encryption key | ok | 1 key(s), newest seals
Google | ok | delegation as service account salesbot@salesbot-test.iam.gserviceaccount.com; its key gets a token
Zoom | ok | token issued; shared user shared@truerealestate.bali
HubSpot | ok | token reads contacts
SMTP | ok | 127.0.0.1:PORT accepts the login\
""")
    shown = table(checks)
    assert all(secret not in shown for secret in secrets_of(settings))


async def test_nothing_optional_configured_is_warned_not_failed(
    db_dsn: str, tmp_path: Path
) -> None:
    async with every_service(tmp_path) as values:
        core = {k: values[k] for k in ("telegram_bot_token", "telegram_api_url")}
        core |= {k: values[k] for k in ("openai_base_url", "openai_api_key")}
        checks = await diagnose(default_settings(**core), db_dsn)
    assert table(checks) == snapshot("""\
Telegram bot | ok | @salesbot_test_bot, long polling
Model | ok | gpt-4.1-mini at http://127.0.0.1:PORT/v1 answers
Database | ok | PostgreSQL N; all N migrations applied
Encryption key | warn | TOKEN_ENCRYPTION_KEY not set (needed only for Google sign-in)
Google | warn | not configured: set GOOGLE_SERVICE_ACCOUNT_FILE or GOOGLE_OAUTH_CLIENT_*
Zoom | warn | not configured (optional): set ZOOM_ACCOUNT_ID and ZOOM_CLIENT_*
HubSpot | warn | not configured (optional): set HUBSPOT_ACCESS_TOKEN
SMTP | warn | not configured (optional): set SMTP_HOST to send email codes\
""")


async def test_a_wrong_bot_token_fails_naming_the_setting(db_dsn: str, tmp_path: Path) -> None:
    async with every_service(tmp_path) as values:
        settings = default_settings(**values | {"telegram_bot_token": "1:wrong-token-value"})
        checks = await diagnose(settings, db_dsn)
    row = next(c for c in checks if c.name == "Telegram bot")
    assert row.status == "FAIL"
    assert "TELEGRAM_BOT_TOKEN" in row.detail
    assert "wrong-token-value" not in table(checks)


async def test_the_model_server_down_fails(db_dsn: str, tmp_path: Path) -> None:
    async with every_service(tmp_path) as values:
        down = values | {"openai_base_url": "http://127.0.0.1:9/v1"}
        checks = await diagnose(default_settings(**down), db_dsn)
    row = next(c for c in checks if c.name == "Model")
    assert (row.status, row.detail) == snapshot(
        ("FAIL", "cannot reach http://127.0.0.1:9/v1 (OPENAI_BASE_URL): Connection error.")
    )


async def test_wrong_zoom_hubspot_and_mail_credentials_fail(db_dsn: str, tmp_path: Path) -> None:
    async with every_service(tmp_path) as values:
        wrong = {
            "zoom_client_secret": "not-the-zoom-secret",
            "hubspot_access_token": "not-the-hubspot-token",
            "smtp_password": "not-the-mail-password",
        }
        checks = await diagnose(default_settings(**values | wrong), db_dsn)
    failed = {c.name: c.detail for c in checks if c.status == "FAIL"}
    assert sorted(failed) == ["HubSpot", "SMTP", "Zoom"]
    assert all(secret not in table(checks) for secret in wrong.values())


async def test_pending_migrations_fail_telling_to_migrate(empty_dsn: str, tmp_path: Path) -> None:
    async with every_service(tmp_path) as values:
        checks = await diagnose(default_settings(**values), empty_dsn)
    row = next(c for c in checks if c.name == "Database")
    assert row.status == "FAIL"
    assert "run `salesbot migrate`" in row.detail


async def test_a_service_account_key_google_does_not_know_fails(
    db_dsn: str, tmp_path: Path
) -> None:
    async with every_service(tmp_path) as values, FakeGoogle() as elsewhere:
        known = json.loads(values["google_service_account_file"].read_text())
        stranger = elsewhere.service_account_file(tmp_path, name="stranger")
        stranger.write_text(
            json.dumps(json.loads(stranger.read_text()) | {"token_uri": known["token_uri"]})
        )
        checks = await diagnose(
            default_settings(**values | {"google_service_account_file": stranger}), db_dsn
        )
    row = next(c for c in checks if c.name == "Google")
    assert row.status == "FAIL"
    assert row.detail.startswith(
        "Google refused the key of stranger@salesbot-test.iam.gserviceaccount.com"
    )
