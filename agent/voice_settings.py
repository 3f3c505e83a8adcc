"""The settings of voice notes: which model transcribes them and how long or large one may be."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings


class VoiceSettings(BaseSettings):
    transcription_model: str = "gpt-4o-mini-transcribe"
    """At the provider of OPENAI_API_KEY / OPENAI_BASE_URL; "none" turns voice notes off."""
    voice_max_seconds: int = Field(default=600, ge=1, le=3 * 3600)
    voice_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1024, le=1024 * 1024 * 1024)
