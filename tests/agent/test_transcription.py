"""Speech to text over HTTP with the real openai client against the scripted OpenAI-compatible
server: what it hears, and each way it fails as the error its caller acts on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from openai import AsyncOpenAI

from agent.settings import default_settings
from agent.transcription import (
    AudioRefused,
    Transcriber,
    TranscriptionFailed,
    TranscriptionUnavailable,
    transcription_model,
)
from tests.agent.fake_openai import FakeOpenAI


@pytest.fixture
def fake() -> Iterator[tuple[FakeOpenAI, Transcriber]]:
    openai = FakeOpenAI()
    server, url = openai.serve()
    client = AsyncOpenAI(base_url=url, api_key="test-key", max_retries=0)
    yield openai, Transcriber(client, "whisper-1")
    server.shutdown()


async def test_the_transcript_comes_back_trimmed_and_each_failure_typed(fake) -> None:
    openai, transcriber = fake
    openai.transcript("  Hello there \n").transcript(500).transcript(401).transcript(400)
    assert await transcriber.transcribe(b"RIFF", filename="a.wav") == "Hello there"
    assert openai.heard[0] == {
        "model": "whisper-1",
        "response_format": "json",
        "file": ("a.wav", b"RIFF"),
    }
    with pytest.raises(TranscriptionFailed):
        await transcriber.transcribe(b"RIFF", filename="a.wav")
    with pytest.raises(TranscriptionUnavailable):
        await transcriber.transcribe(b"RIFF", filename="a.wav")
    with pytest.raises(AudioRefused):
        await transcriber.transcribe(b"RIFF", filename="a.wav")
    with pytest.raises(TranscriptionUnavailable):  # nothing scripted: 404, no audio API
        await transcriber.transcribe(b"RIFF", filename="a.wav")
    assert openai.requests == []  # no chat completion was asked


def test_voice_is_off_without_a_provider_or_with_the_model_set_to_none() -> None:
    keyed = {"openai_api_key": "k"}
    assert transcription_model(default_settings(**keyed)) == "gpt-4o-mini-transcribe"
    local = default_settings(openai_base_url="http://localhost:8000/v1")
    assert transcription_model(local) == "gpt-4o-mini-transcribe"
    assert transcription_model(default_settings()) is None
    for off in ("none", "OFF", " "):
        assert transcription_model(default_settings(**keyed, transcription_model=off)) is None
