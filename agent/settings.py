"""Settings from the environment and `.env`, built once by the CLI. Every default the app has is
here: the rules tools follow and the scheduler's plan are built from these."""

from __future__ import annotations

import base64
import urllib.parse
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from agent.calendar_settings import CalendarSyncSettings
from agent.hot_lead_settings import HotLeadSettings
from agent.hubspot_settings import HubSpotSyncSettings
from agent.limit_settings import LimitSettings
from agent.mail_settings import MailSettings, all_or_none
from agent.voice_settings import VoiceSettings


class SettingsError(Exception):
    """A setting has a wrong value; the message names it and says what is expected."""


class Settings(
    LimitSettings,
    MailSettings,
    CalendarSyncSettings,
    HubSpotSyncSettings,
    VoiceSettings,
    HotLeadSettings,
    BaseSettings,
):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    webhook_listen: str = "0.0.0.0:8080"
    turn_workers: int = Field(default=100, ge=1, le=1000)
    draft_every_seconds: float = Field(default=1.0, ge=0, le=60)
    lease_seconds: int = Field(default=30, ge=1, le=3600)
    admin_telegram_ids: Annotated[tuple[int, ...], NoDecode] = ()
    corporate_email_domain: str = "truerealestate.bali"
    confirmation_minutes: float = Field(default=15, gt=0)
    outreach_enabled: bool = True
    scheduler_tick_seconds: float = Field(default=60, gt=0, le=3600)
    unreached_reminder_hours: float = Field(default=24, gt=0)
    follow_up_hours: float = Field(default=2, gt=0)
    meeting_prep_minutes: float = Field(default=60, gt=0)
    pending_alert_hours: float = Field(default=24, gt=0)
    calendar_reminder_hours: float = Field(default=24, gt=0)
    digest_time: time = time(9, 30)
    stale_deal_days: float = Field(default=5, gt=0)
    owed_retry_minutes: float = Field(default=30, gt=0)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    logfire_token: SecretStr | None = None
    trace_content: bool = False

    database_url: str | None = None
    salesbot_data_dir: Path | None = None

    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    salesbot_model: str = "gpt-4.1-mini"

    default_timezone: str = "Asia/Makassar"
    quiet_hours_start: time = time(21, 0)
    quiet_hours_end: time = time(9, 0)
    work_hours_start: time = time(9, 0)
    work_hours_end: time = time(19, 0)

    public_url: str | None = None
    google_service_account_file: Path | None = None
    google_oauth_client_id: str | None = None
    google_oauth_client_secret: SecretStr | None = None
    google_calendar_api_url: str | None = None
    google_oauth_auth_url: str = "https://accounts.google.com/o/oauth2/v2/auth"
    google_oauth_token_url: str = "https://oauth2.googleapis.com/token"
    google_oauth_revoke_url: str = "https://oauth2.googleapis.com/revoke"
    zoom_account_id: str | None = None
    zoom_client_id: str | None = None
    zoom_client_secret: SecretStr | None = None
    zoom_shared_user: str | None = None
    zoom_api_url: str = "https://api.zoom.us/v2"
    zoom_oauth_url: str = "https://zoom.us/oauth/token"
    hubspot_access_token: SecretStr | None = None
    hubspot_api_url: str = "https://api.hubapi.com"
    integration_timeout_seconds: float = Field(default=20.0, gt=0, le=300)
    token_encryption_key: SecretStr | None = None

    @field_validator("admin_telegram_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
            bad = [p for p in parts if not p.lstrip("-").isdigit()]
            if bad:
                raise ValueError(
                    f"{bad[0]!r} is not a Telegram id; use numbers separated by commas"
                )
            return tuple(int(p) for p in parts)
        return value

    @field_validator(
        "telegram_api_url",
        "telegram_webhook_url",
        "public_url",
        "google_calendar_api_url",
        "google_oauth_auth_url",
        "google_oauth_token_url",
        "google_oauth_revoke_url",
        "zoom_api_url",
        "zoom_oauth_url",
        "hubspot_api_url",
    )
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value.rstrip("/") if value else value

    @field_validator("webhook_listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"{value!r} is not HOST:PORT such as 0.0.0.0:8080")
        return value

    @field_validator("corporate_email_domain")
    @classmethod
    def _domain(cls, value: str) -> str:
        domain = value.strip().lstrip("@").lower()
        if "." not in domain or " " in domain:
            raise ValueError(f"{value!r} is not a domain such as truerealestate.bali")
        return domain

    @field_validator("default_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a timezone such as Asia/Makassar") from None
        return value

    @field_validator("token_encryption_key")
    @classmethod
    def _fernet_key(cls, value: SecretStr | None) -> SecretStr | None:
        for key in value.get_secret_value().split(",") if value is not None else []:
            try:
                raw = base64.urlsafe_b64decode(key.strip())
            except ValueError:
                raw = b""
            if len(raw) != 32:
                raise ValueError(
                    "must be Fernet keys (32 url-safe base64 bytes each, newest first, comma "
                    'separated); make one with `python -c "from cryptography.fernet import '
                    'Fernet; print(Fernet.generate_key().decode())"`'
                )
        return value

    @model_validator(mode="after")
    def _integrations_complete(self) -> Settings:
        zoom = {
            "ZOOM_ACCOUNT_ID": self.zoom_account_id,
            "ZOOM_CLIENT_ID": self.zoom_client_id,
            "ZOOM_CLIENT_SECRET": self.zoom_client_secret,
            "ZOOM_SHARED_USER": self.zoom_shared_user,
        }
        all_or_none("Zoom", zoom)
        google = {
            "GOOGLE_OAUTH_CLIENT_ID": self.google_oauth_client_id,
            "GOOGLE_OAUTH_CLIENT_SECRET": self.google_oauth_client_secret,
        }
        all_or_none("Google sign-in", google)
        if self.google_oauth_client_id and not self.google_service_account_file:
            if not self.token_encryption_key:
                raise ValueError("Google sign-in needs TOKEN_ENCRYPTION_KEY to seal the tokens")
            if not self.public_base_url:
                raise ValueError(
                    "Google sign-in needs PUBLIC_URL (or TELEGRAM_WEBHOOK_URL): the address "
                    "where Google sends the rep back"
                )
        return self

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _word(cls, value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, str):
            return value
        return value.strip().upper() if info.field_name == "log_level" else value.strip().lower()

    def secret_values(self) -> list[tuple[str, str]]:
        """Every secret set, by variable name: the whole value and each comma-separated part
        (a list of keys), for the logs and the doctor to mask."""
        found = []
        for name, value in vars(self).items():
            if isinstance(value, SecretStr):
                whole = value.get_secret_value()
                parts = {whole.strip(), *(p.strip() for p in whole.split(","))}
                found += [(name.upper(), part) for part in sorted(parts) if part]
        return found

    @property
    def secrets(self) -> list[str]:
        """Every secret value set, for the logs to mask."""
        return [value for _, value in self.secret_values()]

    @property
    def public_base_url(self) -> str | None:
        """Where the bot's web server is reached from outside: PUBLIC_URL, or the origin of
        the webhook URL."""
        if self.public_url:
            return self.public_url
        if self.telegram_webhook_url:
            parts = urllib.parse.urlsplit(self.telegram_webhook_url)
            return f"{parts.scheme}://{parts.netloc}"
        return None


class _DefaultsOnly(Settings):
    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)  # the values given, neither the environment nor `.env`


def default_settings(**values: Any) -> Settings:
    """A fresh machine's settings with `values` over them, whatever the environment says: for
    tests and eval cases, which must not change with the machine they run on."""
    try:
        return _DefaultsOnly(**values)
    except ValidationError as e:
        raise SettingsError(_describe(e)) from None


def load_settings(**overrides: Any) -> Settings:
    """Builds the settings; a wrong value raises `SettingsError` naming the variable."""
    try:
        return Settings(**overrides)
    except ValidationError as e:
        raise SettingsError(_describe(e)) from None


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        message = item["msg"].removeprefix("Value error, ")
        if not item["loc"]:  # a rule across settings: its message names them
            lines.append(message)
            continue
        name = str(item["loc"][0]).upper()
        secret = any(word in name for word in ("TOKEN", "KEY", "SECRET", "PASSWORD"))
        got = "" if secret else f" (got {item.get('input')!r})"
        lines.append(f"{name}: {message}{got}")
    return "Invalid setting:\n  " + "\n  ".join(lines)
