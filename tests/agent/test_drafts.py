"""Replies shown as they are written: drafts through the real python-telegram-bot client to the
fake Bot API, and the model streamed over HTTP by the real `openai` client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from pydantic import SecretStr
from pydantic_ai.messages import ModelMessage
from pydantic_ai.models.function import AgentInfo, FunctionModel

from agent.assistant import build_agent
from agent.channel import Inbound, Sender
from agent.drafts import Drafts, Pace
from agent.model import build_model
from agent.runtime import Runtime, limits_from, rules_from
from agent.settings import Settings, default_settings
from agent.turn import run_turn
from db.pool import create_pool
from tests.agent.fake_openai import FakeOpenAI
from tests.agent.scripted import ADMIN, Clock
from tests.agent.telegram.harness import running
from tests.fakes.clock import FakeClock
from tests.fakes.telegram import text_update


class Tokens:
    """A streamed model whose tokens the test hands over one by one; None ends the reply."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()

    async def stream(self, messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str]:
        while (token := await self.queue.get()) is not None:
            yield token

    def model(self) -> FunctionModel:
        return FunctionModel(stream_function=self.stream)


async def test_a_reply_is_shown_as_it_is_written_then_sent_once(db_dsn: str) -> None:
    clock, tokens = FakeClock(), Tokens()
    pace = Pace(every=1.0, monotonic=clock)
    async with running(db_dsn, drafts=pace, function=tokens.model()) as bot:
        bot.push(text_update(501, "привет"))
        await tokens.queue.put("Привет")
        await bot.until(lambda: bot.tg.drafts(501) == ["Привет"])
        await tokens.queue.put(", **Иван**")  # within the second: kept for later
        await asyncio.sleep(0.05)
        clock.now += 1.0
        await tokens.queue.put("! Чем помочь?")
        await bot.until(lambda: len(bot.tg.drafts(501)) == 2)
        await tokens.queue.put(None)
        await bot.until(lambda: len(bot.tg.sent(501)) == 1)
        await bot.until(bot.settled)
        item = await bot.pool.fetchval("SELECT id FROM inbox WHERE chat_id = 501")

    drafts = bot.tg.calls_of("sendMessageDraft")
    assert [(c.fields["draft_id"], c.fields["parse_mode"]) for c in drafts] == [
        (item, "HTML"),
        (item, "HTML"),
    ]
    assert bot.tg.drafts(501) == ["Привет", "Привет, <b>Иван</b>! Чем помочь?"]
    assert bot.tg.texts(501) == ["Привет, <b>Иван</b>! Чем помочь?"]
    methods = [c.method for c in bot.tg.calls if c.method.startswith("send")]
    assert methods[-1] == "sendMessage"  # no draft after the finished message


async def test_a_draft_refused_stops_the_drafts_and_nothing_else(db_dsn: str) -> None:
    clock, tokens = FakeClock(), Tokens()
    async with running(db_dsn, drafts=Pace(monotonic=clock), function=tokens.model()) as bot:
        bot.tg.fail("sendMessageDraft", status=400, description="Bad Request: not now")
        bot.push(text_update(501, "hi"))
        await tokens.queue.put("Hello")
        await bot.until(lambda: len(bot.tg.failed) == 1)
        clock.now += 5.0
        await tokens.queue.put(" there")
        await tokens.queue.put(None)
        await bot.until(lambda: len(bot.tg.sent(501)) == 1)
        await bot.until(bot.settled)

    assert bot.tg.texts(501) == ["Hello there"]
    assert bot.tg.drafts(501) == []
    assert [c.method for c in bot.tg.failed] == ["sendMessageDraft"]


async def test_with_no_drafts_the_reply_is_only_sent(db_dsn: str) -> None:
    tokens = Tokens()
    async with running(db_dsn, drafts=None, function=tokens.model()) as bot:
        bot.push(text_update(501, "hi"))
        for token in ("Hello", " there", None):
            await tokens.queue.put(token)
        await bot.until(lambda: len(bot.tg.sent(501)) == 1)
    assert bot.tg.calls_of("sendMessageDraft") == []


async def _over_the_wire(db_dsn: str, fake: FakeOpenAI, drafts: Drafts | None) -> list[str]:
    """One turn with `fake` as the model over HTTP; the text of its messages."""
    server, url = fake.serve()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, openai_base_url=url, openai_api_key=SecretStr("sk-test")
    )
    pool = await create_pool(db_dsn)
    defaults = default_settings(admin_telegram_ids=(ADMIN,))
    rt = Runtime(
        pool=pool,
        agent=build_agent(),
        model=build_model(settings),
        clock=Clock(),
        rules=rules_from(defaults),
        limits=limits_from(defaults),
    )
    try:
        result = await run_turn(rt, Inbound(501, Sender(501), text="добрый день"), drafts)
    finally:
        await pool.close()
        server.shutdown()
    return [m.text for m in result.messages]


async def test_a_streamed_model_over_the_wire_paces_its_tokens_and_drafts_follow(
    db_dsn: str,
) -> None:
    waits: list[float] = []
    fake = FakeOpenAI(first_token=0.8, tokens_per_second=40, sleep=waits.append)
    fake.text("Добрый день! Чем могу помочь сегодня?")
    shown: list[str] = []

    async def show(text: str) -> None:
        shown.append(text)

    drafts = Drafts(show, Pace(every=0.0, monotonic=FakeClock()))
    messages = await _over_the_wire(db_dsn, fake, drafts)

    assert fake.requests[0]["stream"] is True
    assert waits == [0.8, 0.025, 0.025, 0.025, 0.025, 0.025]
    assert len(fake.first_tokens) == 1
    assert messages == ["Добрый день! Чем могу помочь сегодня?"]
    assert shown[0] == "Добрый "  # the first token is shown by itself
    assert all("Добрый день! Чем могу помочь сегодня?".startswith(s) for s in shown)


async def test_without_drafts_the_model_answers_once_it_would_have_written_the_whole_reply(
    db_dsn: str,
) -> None:
    waits: list[float] = []
    fake = FakeOpenAI(first_token=0.8, tokens_per_second=40, sleep=waits.append)
    fake.text("Добрый день! Чем могу помочь сегодня?")

    messages = await _over_the_wire(db_dsn, fake, None)

    assert not fake.requests[0].get("stream")
    assert waits == [0.8, 5 / 40]  # six tokens: the first, then five more at 40 a second
    assert len(fake.first_tokens) == 1
    assert messages == ["Добрый день! Чем могу помочь сегодня?"]
