"""The settings of the calendar sync, kept apart from the rest (they are read as the others,
from the environment and `.env`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings

PUSH_PATH = "/google/calendar/notifications"
"""Where Google posts its notifications, on the bot's web server at PUBLIC_URL."""


class CalendarSyncSettings(BaseSettings):
    calendar_sync_days: int = Field(default=14, ge=1, le=366)
    calendar_sync_minutes: float = Field(default=10, gt=0)
    calendar_sync_failures: int = Field(default=5, ge=1)
    calendar_watched_sync_minutes: float = Field(default=60, gt=0)
