"""The voice notes of a case: each is a file the local fake Bot API serves and the local
scripted OpenAI-compatible server hears as the note's words, so the bot fetches and transcribes
it with the real clients, as it does in Telegram. Started only for a case that has voice notes."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from agent.channel import Kinds
from agent.settings import Settings
from agent.telegram.transport import make_bot
from agent.telegram.voice import Voice
from agent.telegram.voice import kinds as voice_kinds
from agent.transcription import transcriber_from
from evals import cases
from tests.agent.fake_openai import FakeOpenAI
from tests.fakes.telegram import FakeTelegram


@dataclass
class Voices:
    kinds: Kinds
    telegram: FakeTelegram
    model: FakeOpenAI

    def note(self, voice: cases.Voice) -> dict[str, Any]:
        """The `voice` of a message; the next transcription hears its words (only the next:
        a note the bot does not transcribe leaves nothing behind for the one after)."""
        self.model.transcripts.clear()
        self.model.transcript(voice.say)
        stored = self.telegram.add_file(voice.say.encode(), name="voice.ogg")
        return {"duration": voice.seconds, "mime_type": "audio/ogg"} | stored


@contextlib.asynccontextmanager
async def voices(case: cases.Case, settings: Settings) -> AsyncIterator[Voices | None]:
    """The servers, and the interpreters that hear voice notes as `settings` say."""
    if not any(turn.voice for turn in case.turns):
        yield None
        return
    model = FakeOpenAI()
    server, url = model.serve()
    try:
        async with FakeTelegram() as telegram:
            bot = make_bot(
                telegram.token, base_url=telegram.base_url, base_file_url=telegram.base_file_url
            )
            transcriber = transcriber_from(settings.model_copy(update={"openai_base_url": url}))
            voice = Voice(
                transcriber,
                max_seconds=settings.voice_max_seconds,
                max_bytes=settings.voice_max_bytes,
            )
            async with bot:
                try:
                    yield Voices(voice_kinds(bot, voice), telegram, model)
                finally:
                    if transcriber is not None:
                        await transcriber.client.close()
    finally:
        server.shutdown()
        server.server_close()
