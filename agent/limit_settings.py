"""The settings that bound what a turn and a stranger may cost, kept apart from the rest (they
are read as the others, from the environment and `.env`)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode

_LIMITABLE = ("unknown", "pending", "suspended", "rejected", "removed", "active", "admin")


class LimitSettings(BaseSettings):
    model_timeout_seconds: float = Field(default=60.0, gt=0, le=600)
    model_retries: int = Field(default=1, ge=0, le=5)
    turn_deadline_seconds: float = Field(default=150.0, gt=0, le=3600)
    model_requests_per_turn: int = Field(default=12, ge=1, le=100)
    tool_calls_per_turn: int = Field(default=20, ge=1, le=200)
    limited_roles: Annotated[tuple[str, ...], NoDecode] = (
        "unknown",
        "pending",
        "suspended",
        "rejected",
        "removed",
    )
    stranger_turns_per_hour: int = Field(default=20, ge=0, le=10_000)
    stranger_tokens_per_day: int = Field(default=200_000, ge=0)
    all_strangers_turns_per_hour: int = Field(default=300, ge=0, le=1_000_000)
    stranger_message_chars: int = Field(default=2000, ge=100, le=100_000)
    stranger_history_messages: int = Field(default=12, ge=2, le=200)
    registrations_per_day: int = Field(default=3, ge=1, le=100)
    import_max_kb: int = Field(default=1024, ge=1, le=20 * 1024)
    import_max_rows: int = Field(default=1000, ge=1, le=100_000)

    @field_validator("limited_roles", mode="before")
    @classmethod
    def _split_roles(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = value.replace(";", ",").split(",")
            value = tuple(p.strip().lower() for p in parts if p.strip() not in ("", "none"))
        bad = [r for r in value or () if r not in _LIMITABLE]
        if bad:
            raise ValueError(f"{bad[0]!r} is not a role; use some of {', '.join(_LIMITABLE)}")
        return value
