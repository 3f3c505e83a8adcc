"""The settings of the hot lead alert, kept apart from the rest (read as the others, from the
environment and `.env`)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import field_validator
from pydantic_settings import BaseSettings, NoDecode


class HotLeadSettings(BaseSettings):
    hubspot_hot_stages: Annotated[tuple[str, ...], NoDecode] = ("contractsent",)
    """HubSpot deal stage ids (comma-separated; "none" for none) a synced deal moving into
    alerts the admins."""

    @field_validator("hubspot_hot_stages", mode="before")
    @classmethod
    def _split_hot_stages(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = (p.strip() for p in value.replace(";", ",").split(","))
            value = tuple(p for p in parts if p and p.lower() != "none")
        bad = [s for s in value or () if not s or any(c.isspace() for c in s)]
        if bad:
            raise ValueError(f"{bad[0]!r} is not a HubSpot stage id; use ids separated by commas")
        return value
