"""Voice notes through the real clients: python-telegram-bot fetches the file from the fake Bot
API, the openai client sends it to the scripted OpenAI-compatible server, and the transcript is
a turn of the person's own, echoed back in a line. Limits, a provider away, a provider that
cannot transcribe and voice left unconfigured each get a clear answer in the person's language."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from inline_snapshot import snapshot
from openai import AsyncOpenAI

from agent.runtime import inbox_kinds
from agent.telegram import intake
from agent.telegram.transport import TelegramBot, make_bot
from agent.telegram.voice import Voice
from agent.telegram.voice import kinds as voice_kinds
from agent.transcription import Transcriber
from agent.workers import MAX_ATTEMPTS, TurnWorkers
from db import inbox
from tests.agent.fake_openai import FakeOpenAI
from tests.agent.scripted import Dialogue
from tests.agent.telegram.harness import running
from tests.fakes.telegram import FakeTelegram, voice_update

REP = 601
MB = 1024 * 1024
OGG = b"OggS\x00\x02" + bytes(range(256)) * 4


@dataclass
class Voices:
    talk: Dialogue
    tg: FakeTelegram
    openai: FakeOpenAI
    bot: TelegramBot
    url: str
    sent: int = 0

    def voice(self, **limits: Any) -> Voice:
        client = AsyncOpenAI(base_url=self.url, api_key="test-key", max_retries=0)
        return Voice(Transcriber(client, "gpt-4o-mini-transcribe"), **limits)

    async def send(
        self, *, content: bytes = OGG, duration: int = 12, language_code: str = "ru", **extra: Any
    ) -> None:
        stored = self.tg.add_file(content, name="voice.ogg") | extra
        update = voice_update(REP, duration=duration, file=stored, language_code=language_code)
        self.sent += 1
        update["update_id"] = self.sent
        await intake.store(self.talk.runtime.pool, [update], self.talk.clock.now)

    async def serve(self, voice: Voice | None) -> None:
        """One pass of the turn workers at the test's clock."""
        kinds = {**inbox_kinds(), **voice_kinds(self.bot, voice or self.voice())}
        workers = TurnWorkers(self.talk.runtime, kinds=kinds, wall=self.talk.clock)
        now = self.talk.clock.now
        for claim in await workers.claim(10, now, now + timedelta(minutes=1)):
            await workers.handle(claim)

    async def outbox(self) -> list[str]:
        rows = await self.talk.runtime.pool.fetch(
            "SELECT text FROM outbox WHERE chat_id = $1 ORDER BY id", REP
        )
        return [r["text"] for r in rows]

    async def items(self) -> list[tuple[str, int, str | None]]:
        rows = await inbox.items_of_chat(self.talk.runtime.pool, chat_id=REP)
        return [(r["status"], r["attempts"], r["last_error"]) for r in rows]


@pytest.fixture
async def voices(talk: Dialogue) -> AsyncIterator[Voices]:
    openai = FakeOpenAI()
    server, url = openai.serve()
    try:
        async with FakeTelegram() as tg:
            bot = make_bot(tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url)
            async with bot:
                yield Voices(talk, tg, openai, bot, url)
            assert tg.violations == []
    finally:
        server.shutdown()


async def test_a_voice_debrief_is_heard_echoed_and_answered_as_the_persons_words(
    voices: Voices,
) -> None:
    said = "Созвонился с Анной, ей интересна вилла в Чангу, созвон в четверг."
    voices.openai.transcript(said)
    voices.talk.script.say("Записал: созвон с Анной в четверг. Занести в HubSpot?")
    await voices.send()
    await voices.serve(None)
    assert voices.openai.heard == [
        {
            "model": "gpt-4o-mini-transcribe",
            "response_format": "json",
            "file": ("voice.ogg", OGG),
        }
    ]
    assert voices.talk.script.prompts == snapshot(
        [
            """\
[The user sent a voice note; this is its transcript, their own words:]
Созвонился с Анной, ей интересна вилла в Чангу, созвон в четверг.\
"""
        ]
    )
    assert await voices.outbox() == snapshot(
        [
            "🎙 Услышал: «Созвонился с Анной, ей интересна вилла в Чангу, созвон в четверг.»",
            "Записал: созвон с Анной в четверг. Занести в HubSpot?",
        ]
    )
    assert await voices.items() == [("done", 1, None)]


async def test_an_english_voice_note_is_echoed_in_english_and_a_long_one_by_its_start(
    voices: Voices,
) -> None:
    said = "Met Mark at the villa. " * 20
    voices.openai.transcript(said)
    voices.talk.script.say("Noted.")
    await voices.send(language_code="en")
    await voices.serve(None)
    echo, answer = await voices.outbox()
    assert echo == snapshot(
        "🎙 I heard: «Met Mark at the villa. Met Mark at the villa. Met Mark at the villa. Met Mark at the villa. Met Mark at the villa. Met Mark at the villa. Met Mark at the villa. Met Mark at the villa. Met Mark at the…»"
    )
    assert answer == "Noted."
    assert voices.talk.script.prompts[0].endswith(said.strip())


@pytest.mark.parametrize(
    ("language_code", "sent"),
    [
        ("ru", {"duration": 61}),
        ("en", {"duration": 61}),
        ("ru", {"file_size": 2 * MB}),
        ("en", {"file_size": 2 * MB}),
    ],
)
async def test_past_the_limits_the_person_is_told_and_nothing_is_fetched(
    voices: Voices, language_code: str, sent: dict[str, Any]
) -> None:
    await voices.send(language_code=language_code, **sent)
    await voices.serve(voices.voice(max_seconds=60, max_bytes=MB))
    assert voices.openai.heard == []
    assert voices.tg.calls_of("getFile") == []
    assert voices.talk.script.prompts == []
    assert await voices.items() == [("done", 1, None)]
    told = {
        ("ru", "duration"): (
            "Это голосовое слишком длинное для меня: я принимаю до 1 мин. Разбейте его на "
            "несколько покороче или напишите словами."
        ),
        ("en", "duration"): (
            "This voice message is too long for me: I take up to 1 min. Please split it into "
            "shorter ones or write it in words."
        ),
        ("ru", "file_size"): (
            "Этот аудиофайл слишком большой для меня: я принимаю до 1 МБ. Пришлите запись "
            "покороче или напишите словами."
        ),
        ("en", "file_size"): (
            "This audio file is too large for me: I take up to 1 MB. Please send a "
            "shorter recording or write it in words."
        ),
    }
    assert await voices.outbox() == [told[language_code, next(iter(sent))]]


async def test_a_file_larger_than_it_said_is_stopped_at_the_download(voices: Voices) -> None:
    await voices.send(content=b"x" * (MB + 1), language_code="en", file_size=100)
    await voices.serve(voices.voice(max_bytes=MB))
    assert voices.openai.heard == []
    assert await voices.outbox() == [
        "This audio file is too large for me: I take up to 1 MB. Please send a "
        "shorter recording or write it in words."
    ]


async def test_a_failed_transcription_is_tried_again_and_then_heard(voices: Voices) -> None:
    voices.openai.transcript(500).transcript("Yes, book it.")
    voices.talk.script.say("Booked.")
    await voices.send(language_code="en")
    await voices.serve(None)
    assert await voices.outbox() == []
    assert await voices.items() == snapshot(
        [("pending", 1, "TranscriptionFailed('InternalServerError: Error code: 500 - failed')")]
    )
    await voices.serve(None)  # not yet due: it waits
    assert len(voices.openai.heard) == 1
    voices.talk.clock.advance(seconds=2)
    await voices.serve(None)
    assert len(voices.openai.heard) == 2
    assert await voices.outbox() == ["🎙 I heard: «Yes, book it.»", "Booked."]
    assert await voices.items() == [("done", 2, None)]


@pytest.mark.parametrize("language_code", ["ru", "en"])
async def test_once_transcribing_is_given_up_the_person_is_told_and_the_note_kept(
    voices: Voices, language_code: str
) -> None:
    for _ in range(MAX_ATTEMPTS):
        voices.openai.transcript(503)
    await voices.send(language_code=language_code)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        await voices.serve(None)
        voices.talk.clock.advance(seconds=2**attempt)
    assert len(voices.openai.heard) == MAX_ATTEMPTS
    assert (
        await voices.outbox()
        == {
            "ru": [
                "Не удалось разобрать ваше голосовое даже после нескольких попыток, поэтому я его "
                "отложил. Ничего не изменено; пришлите его ещё раз или напишите словами."
            ],
            "en": [
                "I could not make out your voice message even after several attempts, so I set it "
                "aside. Nothing was changed; please send it again or write it in words."
            ],
        }[language_code]
    )
    (status, attempts, error), *_ = await voices.items()
    assert (status, attempts) == ("failed", MAX_ATTEMPTS)
    assert error == snapshot(
        "given up: TranscriptionFailed('InternalServerError: Error code: 503 - failed')"
    )
    kept = await voices.talk.runtime.pool.fetchval(
        "SELECT payload FROM inbox WHERE chat_id = $1", REP
    )
    assert kept["message"]["voice"]["file_id"] == "file-1-voice.ogg"
    assert voices.talk.script.prompts == []


@pytest.mark.parametrize("language_code", ["ru", "en"])
async def test_with_no_transcription_model_the_bot_says_it_cannot_take_voice_yet(
    voices: Voices, language_code: str
) -> None:
    await voices.send(language_code=language_code)
    await voices.serve(Voice())
    assert voices.tg.calls_of("getFile") == []
    assert (
        await voices.outbox()
        == {
            "ru": ["Голосовые я пока не принимаю. Напишите, пожалуйста, словами."],
            "en": ["I cannot take voice messages yet. Please write it in words."],
        }[language_code]
    )
    assert await voices.items() == [("done", 1, None)]


async def test_a_provider_without_the_audio_api_is_told_once_not_retried(voices: Voices) -> None:
    await voices.send(language_code="en")  # nothing scripted: the fake answers 404
    await voices.serve(None)
    assert len(voices.openai.heard) == 1
    assert await voices.outbox() == ["I cannot take voice messages yet. Please write it in words."]
    assert await voices.items() == snapshot(
        [("failed", 1, "NotFoundError: Error code: 404 - unexpected request")]
    )


async def test_a_recording_the_provider_cannot_read_is_answered_and_silence_too(
    voices: Voices,
) -> None:
    voices.openai.transcript(400).transcript("  ")
    await voices.send(language_code="en")
    await voices.send(language_code="en")
    await voices.serve(None)
    await voices.serve(None)
    assert await voices.outbox() == snapshot(
        [
            "I could not read this recording (its format or the file itself). Please record it again or write it in words.",
            "I heard no words in this voice message. Please record it again or write it in words.",
        ]
    )


async def test_a_voice_note_in_the_running_bot_is_heard_and_answered(db_dsn: str) -> None:
    openai = FakeOpenAI().transcript("Напомни мне про Анну завтра")
    server, url = openai.serve()
    client = AsyncOpenAI(base_url=url, api_key="test-key", max_retries=0)
    voice = Voice(Transcriber(client, "gpt-4o-mini-transcribe"))
    try:
        async with running(db_dsn, voice=voice) as bot:
            stored = bot.tg.add_file(OGG, name="voice.ogg")
            bot.push(voice_update(REP, duration=4, file=stored, language_code="ru"))
            await bot.until(lambda: len(bot.tg.texts(REP)) == 2)
            assert bot.tg.texts(REP) == snapshot(
                [
                    "🎙 Услышал: «Напомни мне про Анну завтра»",
                    """\
echo: [The user sent a voice note; this is its transcript, their own words:]
Напомни мне про Анну завтра\
""",
                ]
            )
            await bot.until(bot.settled)
    finally:
        server.shutdown()
    assert [f["file"] for f in openai.heard] == [("voice.ogg", OGG)]


def test_the_voice_settings_reach_the_channel() -> None:
    from agent.bot import channel_from
    from agent.settings import default_settings

    base = {"telegram_bot_token": "1:t", "voice_max_seconds": 90, "voice_max_bytes": 5000}
    keyed = channel_from(default_settings(**base, openai_api_key="k")).voice
    assert (keyed.max_seconds, keyed.max_bytes) == (90, 5000)
    assert keyed.transcriber is not None
    assert keyed.transcriber.model == "gpt-4o-mini-transcribe"
    assert channel_from(default_settings(**base)).voice.transcriber is None
    off = default_settings(**base, openai_api_key="k", transcription_model="none")
    assert channel_from(off).voice.transcriber is None
    assert dataclasses.replace(keyed, transcriber=None) == Voice(None, 90, 5000)
