"""The settings of the mail that carries the email codes, kept apart from the rest (they are
read as the others, from the environment and `.env`)."""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings


class MailSettings(BaseSettings):
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_sender: str | None = None
    smtp_tls: Literal["starttls", "tls", "none"] = "starttls"
    email_code_minutes: float = Field(default=15, gt=0, le=1440)
    email_code_attempts: int = Field(default=5, ge=1, le=20)
    email_codes_per_day: int = Field(default=5, ge=1, le=100)

    @model_validator(mode="after")
    def _mail_complete(self) -> Self:
        all_or_none(
            "SMTP login", {"SMTP_USER": self.smtp_user, "SMTP_PASSWORD": self.smtp_password}
        )
        if self.smtp_host and "@" not in (self.mail_sender or ""):
            raise ValueError(
                "SMTP_HOST needs SMTP_SENDER (or an SMTP_USER that is an email): the address "
                "the codes are sent from"
            )
        return self

    @property
    def mail_sender(self) -> str | None:
        """Who the mail is from: SMTP_SENDER, or else the SMTP login."""
        return self.smtp_sender or self.smtp_user


def all_or_none(service: str, values: dict[str, Any]) -> None:
    """Raises unless the settings of `service` are all set or none is."""
    missing = [name for name, value in values.items() if not value]
    if missing and len(missing) < len(values):
        raise ValueError(f"{service} is half configured: also set {', '.join(missing)}")
