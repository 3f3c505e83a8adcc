"""The settings of the HubSpot sync, kept apart from the rest (they are read as the others,
from the environment and `.env`)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode

from tools.deps import DEFAULT_STAGES

_PROPERTY = re.compile(r"^[a-z0-9_]+$")


class HubSpotSyncSettings(BaseSettings):
    hubspot_sync_minutes: float = Field(default=15, ge=0)
    """How often prospects and deals are synced from HubSpot; 0: only when an admin asks."""
    hubspot_lifecycle_stages: Annotated[tuple[str, ...], NoDecode] = DEFAULT_STAGES
    hubspot_telegram_property: str | None = None
    """The internal name of the contact property holding a Telegram handle, if there is one."""
    hubspot_write_owners: bool = False
    """Whether a rep assigned here is written to HubSpot as the contact's owner."""

    @field_validator("hubspot_lifecycle_stages", mode="before")
    @classmethod
    def _split_stages(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = tuple(
                p.strip().lower() for p in value.replace(";", ",").split(",") if p.strip()
            )
        if not value:
            raise ValueError("name at least one lifecycle stage, e.g. lead,opportunity")
        return value

    @field_validator("hubspot_telegram_property")
    @classmethod
    def _property(cls, value: str | None) -> str | None:
        if value is not None and not _PROPERTY.match(value):
            raise ValueError(f"{value!r} is not a HubSpot property's internal name (a-z, 0-9, _)")
        return value
