"""Replies in context, end to end through the real python-telegram-bot client and the fake Bot
API: a reply to the bot's reminder, meeting prep or application card reaches the model with
which message it was and what it was about."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from inline_snapshot import snapshot
from openai import AsyncOpenAI
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from agent.runtime import utc_now
from agent.telegram.voice import Voice
from agent.transcription import Transcriber
from db import outbox
from db.meetings import create_meeting
from db.models import Rep
from db.reps import approve_rep, create_rep
from tests.agent.fake_openai import FakeOpenAI
from tests.agent.telegram.harness import Running, last_prompt, running
from tests.fakes.telegram import reply_update, text_update, voice_update

NOON = datetime(2026, 12, 3, 4, 0, tzinfo=UTC)


class Heard:
    """Answers each prompt with the next line; keeps every prompt it was given."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.prompts: list[str] = []

    async def __call__(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        self.prompts.append(last_prompt(messages))
        return ModelResponse(parts=[TextPart(self.answers.pop(0))])

    async def stream(self, messages: list[ModelMessage], info: AgentInfo) -> Any:
        response = await self(messages, info)
        yield response.parts[0].content

    def model(self) -> FunctionModel:
        return FunctionModel(self, stream_function=self.stream)


async def recorded(bot: Running) -> bool:
    """Every message queued is sent and its Telegram id recorded."""
    waiting = await bot.pool.fetchval(
        "SELECT count(*) FROM outbox WHERE status <> 'sent' OR telegram_message_id IS NULL"
    )
    return bool(waiting == 0)


async def active_rep(bot: Running, telegram_id: int) -> Rep:
    """An active rep with the test prospect assigned: what a reminder is still true for."""
    async with bot.pool.acquire() as conn:
        rep = await create_rep(
            conn,
            telegram_id=telegram_id,
            name="Ivan",
            email="ivan@truerealestate.bali",
            now=NOON,
            timezone="Asia/Makassar",
        )
        await approve_rep(conn, rep_id=rep.id, now=NOON)
        await conn.execute(
            "UPDATE prospects SET assigned_rep_id = $1, assigned_at = now()"
            " WHERE id = 'test_prospect_001'",
            rep.id,
        )
    return rep


async def event(bot: Running, chat_id: int, kind: str, data: dict[str, Any]) -> None:
    await bot.pool.execute(
        "INSERT INTO inbox (chat_id, kind, dedupe_key, payload) VALUES ($1, 'event', $2, $3)",
        chat_id,
        f"{kind}:{chat_id}",
        {"event": kind, "data": data},
    )


async def test_a_reply_under_a_reminder_is_about_its_prospect(db_dsn: str) -> None:
    heard = Heard("Алексей Петров всё ещё ждёт вашего сообщения.", "Отлично, отмечу.")
    async with running(db_dsn, function=heard.model()) as bot:
        await active_rep(bot, 501)
        data = {"prospect_id": "test_prospect_001", "name": "Алексей Петров"}
        await event(bot, 501, "unreached_reminder", data)
        await bot.until(lambda: len(bot.tg.sent(501)) == 1)
        (reminder,) = bot.tg.messages
        await bot.until(lambda: recorded(bot))
        bot.push(reply_update(501, "написал ему", reminder))
        await bot.until(lambda: len(bot.tg.sent(501)) == 2)

    assert heard.prompts[1] == snapshot(
        """\
[The user replies to your message about scheduler event «unreached_reminder»; prospect «Алексей Петров» (id test_prospect_001); what they say refers to it. It began: «Алексей Петров всё ещё ждёт вашего сообщения.»]
написал ему\
"""
    )


async def test_a_voice_note_in_reply_to_a_reminder_is_about_its_prospect(db_dsn: str) -> None:
    heard = Heard("Алексей Петров всё ещё ждёт вашего сообщения.", "Записал.")
    openai = FakeOpenAI().transcript("Написал ему, созвонимся в пятницу")
    server, url = openai.serve()
    client = AsyncOpenAI(base_url=url, api_key="test-key", max_retries=0)
    voice = Voice(Transcriber(client, "gpt-4o-mini-transcribe"))
    try:
        async with running(db_dsn, function=heard.model(), voice=voice) as bot:
            await active_rep(bot, 501)
            data = {"prospect_id": "test_prospect_001", "name": "Алексей Петров"}
            await event(bot, 501, "unreached_reminder", data)
            await bot.until(lambda: len(bot.tg.sent(501)) == 1)
            await bot.until(lambda: recorded(bot))
            update = voice_update(501, file=bot.tg.add_file(b"OggS", name="voice.ogg"))
            update["message"]["reply_to_message"] = bot.tg.messages[0]
            bot.push(update)
            await bot.until(lambda: len(bot.tg.sent(501)) == 3)  # the echo, then the answer
    finally:
        server.shutdown()

    assert heard.prompts[1] == snapshot("""\
[The user replies to your message about scheduler event «unreached_reminder»; prospect «Алексей Петров» (id test_prospect_001); what they say refers to it. It began: «Алексей Петров всё ещё ждёт вашего сообщения.»]
[The user sent a voice note; this is its transcript, their own words:]
Написал ему, созвонимся в пятницу\
""")


async def test_a_reply_under_a_meeting_prep_is_about_its_meeting(db_dsn: str) -> None:
    heard = Heard("Prep for your call with Alex: three steps.", "Noted.")
    soon = utc_now().replace(microsecond=0) + timedelta(hours=1)
    async with running(db_dsn, function=heard.model()) as bot:
        rep = await active_rep(bot, 501)
        meeting = await create_meeting(
            bot.pool,
            rep_id=rep.id,
            prospect_id="test_prospect_001",
            title="Call with Alex",
            starts_at=soon,
            ends_at=soon + timedelta(minutes=30),
            sandbox=True,
            now=NOON,
        )
        data = {"meeting_id": str(meeting.id), "prospect_id": "test_prospect_001"}
        await event(bot, 501, "meeting_prep", data)
        await bot.until(lambda: len(bot.tg.sent(501)) == 1)
        await bot.until(lambda: recorded(bot))
        bot.push(reply_update(501, "move it to Friday", bot.tg.messages[0]))
        await bot.until(lambda: len(bot.tg.sent(501)) == 2)

    note = heard.prompts[1].replace(str(meeting.id), "MEETING").replace(soon.isoformat(), "SOON")
    assert note == snapshot(
        """\
[The user replies to your message about scheduler event «meeting_prep»; prospect «Алексей Петров» (id test_prospect_001); meeting «Call with Alex» at SOON (id MEETING); what they say refers to it. It began: «Prep for your call with Alex: three steps.»]
move it to Friday\
"""
    )


async def test_a_reply_under_an_application_card_is_about_the_applicant(db_dsn: str) -> None:
    heard = Heard("Одобряю?")
    async with running(db_dsn, function=heard.model()) as bot:
        async with bot.pool.acquire() as conn:
            rep = await create_rep(
                conn,
                telegram_id=501,
                name="Иван Иванов",
                email="ivan@truerealestate.bali",
                now=NOON,
                timezone="Asia/Makassar",
            )
            await outbox.enqueue(
                conn,
                chat_id=1000,
                text="Новая заявка: Иван Иванов",
                now=NOON,
                about={"rep_id": str(rep.id)},
            )
        await bot.until(lambda: len(bot.tg.sent(1000)) == 1)
        await bot.until(lambda: recorded(bot))
        bot.push(reply_update(1000, "да, одобряю его", bot.tg.messages[0]))
        await bot.until(lambda: len(bot.tg.sent(1000)) == 2)

    assert heard.prompts[0].replace(str(rep.id), "REP") == snapshot("""\
[The user replies to your message about the rep application of «Иван Иванов» <ivan@truerealestate.bali> (rep id REP); what they say refers to it. It began: «Новая заявка: Иван Иванов»]
да, одобряю его\
""")


async def test_a_reply_to_a_message_the_bot_does_not_know_keeps_telegrams_quote(
    db_dsn: str,
) -> None:
    heard = Heard("Понял.", "Хорошо.")
    async with running(db_dsn, function=heard.model()) as bot:
        bot.push(text_update(501, "привет"))
        await bot.until(lambda: len(bot.tg.sent(501)) == 1)
        await bot.until(bot.settled)
        (answer,) = bot.tg.messages
        await bot.pool.execute("UPDATE outbox SET telegram_message_id = NULL")  # long ago
        bot.push(reply_update(501, "а это что?", answer))
        await bot.until(lambda: len(bot.tg.sent(501)) == 2)
        bot.push(text_update(501, "просто так"))  # no reply: no note
        heard.answers.append("Ок.")
        await bot.until(lambda: len(bot.tg.sent(501)) == 3)

    assert heard.prompts[1:] == [
        "[The user replies to an earlier message, which read: «Понял.»]\nа это что?",
        "просто так",
    ]
