"""The Telegram channel running in the test's event loop: the real python-telegram-bot client
against the fake Bot API, a real database, and a model scripted per test."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, UserPromptPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from agent.assistant import build_agent
from agent.drafts import Pace
from agent.runtime import Runtime, limits_from, rules_from, utc_now
from agent.settings import default_settings
from agent.telegram.app import Channel, Webhook, serve
from agent.telegram.limits import Limits, RateLimiter
from agent.telegram.transport import make_bot
from agent.telegram.voice import Voice
from db.pool import create_pool
from tests.fakes.telegram import FakeTelegram

UNLIMITED = Limits(per_chat=1000, chat_burst=1000, overall=10_000, overall_burst=10_000)


def last_prompt(messages: list[ModelMessage]) -> str:
    for message in reversed(messages):
        for part in message.parts:
            if isinstance(part, UserPromptPart):
                return str(part.content)
    return ""


@dataclass
class Echo:
    """A model that answers every message with its text; given a `gate`, only once it is set
    (`inside` counts the calls waiting at it), so a test decides when a slow model answers."""

    gate: asyncio.Event | None = None
    inside: int = 0
    calls: int = 0
    fail_on: set[str] = field(default_factory=set)

    async def __call__(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        self.calls += 1
        if self.gate is not None:
            self.inside += 1
            try:
                await self.gate.wait()
            finally:
                self.inside -= 1
        prompt = last_prompt(messages)
        if prompt in self.fail_on:
            raise RuntimeError(f"the model broke on {prompt!r}")
        return ModelResponse(parts=[TextPart(f"echo: {prompt}")])

    async def stream(self, messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str]:
        """The same answer, streamed in one piece."""
        response = await self(messages, info)
        yield "".join(p.content for p in response.parts if isinstance(p, TextPart))


@dataclass
class Running:
    tg: FakeTelegram
    pool: asyncpg.Pool
    model: Echo
    channel: Channel
    serving: asyncio.Task[None]
    pushed: int = 0

    def push(self, update: dict[str, Any], update_id: int | None = None) -> int:
        self.pushed = max(self.pushed, self.tg.push(update, update_id=update_id))
        return self.pushed

    async def until(
        self, check: Callable[[], bool | Awaitable[bool]], seconds: float = 10.0
    ) -> None:
        deadline = time.monotonic() + seconds
        while True:
            outcome = check()
            if not isinstance(outcome, bool):
                outcome = await outcome
            if outcome:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"not within {seconds} s")
            await asyncio.sleep(0.02)

    async def settled(self) -> bool:
        """Every update pushed was taken, and nothing is left in the inbox or the outbox."""
        if (self.tg.confirmed_offset or 0) <= self.pushed:
            return False
        pending = await self.pool.fetchval(
            "SELECT (SELECT count(*) FROM inbox WHERE status = 'pending')"
            " + (SELECT count(*) FROM outbox WHERE status = 'pending')"
        )
        return bool(pending == 0)


@asynccontextmanager
async def running(
    dsn: str,
    *,
    model: Echo | None = None,
    limits: Limits = UNLIMITED,
    workers: int = 20,
    webhook: Webhook | None = None,
    grace: float = 5.0,
    listen: str | None = None,
    receive: bool = True,
    drafts: Pace | None = None,
    function: FunctionModel | None = None,
    voice: Voice | None = None,
) -> AsyncIterator[Running]:
    """`function`: a model of the test's own instead of `model`'s echo."""
    model = model or Echo()
    async with FakeTelegram() as tg:
        pool = await create_pool(dsn, min_size=workers, max_size=workers + 10)
        rt = Runtime(
            pool=pool,
            agent=build_agent(),
            model=function or FunctionModel(model, stream_function=model.stream),
            rules=rules_from(default_settings(admin_telegram_ids=(1000,))),
            limits=limits_from(default_settings(admin_telegram_ids=(1000,))),
            clock=utc_now,
        )
        channel = Channel(
            bot=make_bot(tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url),
            webhook=webhook,
            turn_workers=workers,
            limiter=RateLimiter(limits),
            grace=grace,
            poll_timeout=1,
            listen=listen,
            receive=receive,
            drafts=drafts,
            voice=voice or Voice(),
        )
        stop = asyncio.Event()
        task = asyncio.create_task(serve(rt, channel, stop))
        try:
            yield Running(tg, pool, model, channel, task)
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)
            await pool.close()
        assert tg.violations == [], tg.violations
