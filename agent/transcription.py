"""Speech to text through the OpenAI-compatible audio API of the configured provider (OpenAI,
or any server at `OPENAI_BASE_URL` that serves /audio/transcriptions)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import openai
from openai import AsyncOpenAI

from agent.settings import Settings

_OFF = {"none", "off", "false", "0", "-"}


class TranscriptionFailed(Exception):
    """The provider could not transcribe this time (away, overloaded, timed out): the inbox
    item is tried again."""


class TranscriptionUnavailable(Exception):
    """The provider does not transcribe at all for us (no such model or endpoint, the key
    refused): trying again will not help until the settings change."""


class AudioRefused(Exception):
    """The provider refused this audio (a format it does not read, a broken file): trying
    again will not help, another recording may."""


_UNAVAILABLE = (openai.NotFoundError, openai.AuthenticationError, openai.PermissionDeniedError)
_REFUSED = (openai.BadRequestError, openai.UnprocessableEntityError)


@dataclass(frozen=True)
class Transcriber:
    client: AsyncOpenAI
    model: str

    async def transcribe(self, audio: bytes, *, filename: str) -> str:
        """What is said in `audio`; the format is told by the file name's extension."""
        try:
            heard = await self.client.audio.transcriptions.create(
                model=self.model, file=(filename, audio), response_format="json"
            )
        except _UNAVAILABLE as e:
            raise TranscriptionUnavailable(f"{type(e).__name__}: {e.message}") from e
        except _REFUSED as e:
            raise AudioRefused(f"{type(e).__name__}: {e.message}") from e
        except (openai.OpenAIError, httpx.HTTPError) as e:
            raise TranscriptionFailed(f"{type(e).__name__}: {e}") from e
        return heard.text.strip()


def transcription_model(settings: Settings) -> str | None:
    """The model to transcribe with, or None when voice is off or no provider is set."""
    model = (settings.transcription_model or "").strip()
    if model.lower() in _OFF or not model:
        return None
    if settings.openai_api_key is None and settings.openai_base_url is None:
        return None
    return model


def transcriber_from(settings: Settings) -> Transcriber | None:
    """None when voice is not configured. The client does not retry: a failed transcription
    is an inbox item tried again later, durably, like any other."""
    model = transcription_model(settings)
    if model is None:
        return None
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    client = AsyncOpenAI(
        base_url=settings.openai_base_url,
        api_key=key or "not-needed",
        timeout=settings.model_timeout_seconds,
        max_retries=0,
    )
    return Transcriber(client, model)
