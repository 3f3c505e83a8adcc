"""How soon a reply becomes visible: from the update arriving to the first text the user sees
(a draft, or without drafts the message itself) and to the finished message, with drafts and
without them.

The bot runs in this process (polling, turn workers, sender) against the fake Bot API and an
embedded PostgreSQL; the model is the scripted OpenAI-compatible server over HTTP, in real time:
0.8 s to its first token, then 40 tokens a second, 150 tokens a reply, each token sent at its
time from the first (unstreamed, as without drafts, the whole reply comes when the last token
would have). Times are taken at the fakes on
one monotonic clock: when the update was there to fetch, when the model sent its first token,
when Telegram got the first draft and the message. One turn at a time, each in a chat of its
own; a first turn of each mode warms up (connections, first imports) and is not counted.

    python -m bench.drafts [--runs 20] [--first-token 0.8] [--rate 40] [--tokens 150]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import time
from dataclasses import dataclass, field

from pydantic import SecretStr

from agent.assistant import build_agent
from agent.drafts import Pace
from agent.model import build_model
from agent.runtime import Runtime, limits_from, rules_from, utc_now
from agent.settings import Settings, default_settings
from agent.telegram.app import Channel, serve
from agent.telegram.transport import make_bot
from bench.common import scratch_database
from db.pool import create_pool
from tests.agent.fake_openai import FakeOpenAI
from tests.fakes.telegram import FakeTelegram, text_update

WORDS = "the villa in Canggu has three bedrooms a pool and a view of the rice fields"
_SHOWN = ("sendMessageDraft", "sendMessage")
_GUARD = 60.0
"""Seconds after which a turn that never answers fails the bench instead of hanging it."""


def reply(tokens: int) -> str:
    """A reply of `tokens` tokens as the fake streams them (a word and the space after it)."""
    words = WORDS.split()
    return " ".join(words[n % len(words)] for n in range(tokens))


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile: the smallest value with at least `q`% at or below it."""
    ordered = sorted(values)
    return ordered[max(math.ceil(len(ordered) * q / 100) - 1, 0)]


def summary(name: str, seconds: list[float]) -> str:
    median, p95 = statistics.median(seconds), percentile(seconds, 95)
    return f"  {name}: median {median:.3f} s, p95 {p95:.3f} s"


@dataclass
class Times:
    """Seconds, one per counted turn."""

    visible: list[float] = field(default_factory=list)
    """From the update arriving to the first text shown."""
    after_token: list[float] = field(default_factory=list)
    """From the model's first token to the first text shown."""
    final: list[float] = field(default_factory=list)
    """From the update arriving to the finished message."""

    def lines(self) -> list[str]:
        return [
            summary("update → first visible text", self.visible),
            summary("model's first token → first visible text", self.after_token),
            summary("update → finished message", self.final),
        ]


async def measure(dsn: str, *, drafts: bool, runs: int, first: int, fake: FakeOpenAI) -> Times:
    """`runs` turns after a warm-up one, in chats `first`, `first + 1`…"""
    server, url = fake.serve()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, openai_base_url=url, openai_api_key=SecretStr("sk-bench")
    )
    defaults = default_settings(admin_telegram_ids=(1000,))
    times = Times()
    pool = await create_pool(dsn)
    try:
        async with FakeTelegram() as tg:
            rt = Runtime(
                pool=pool,
                agent=build_agent(),
                model=build_model(settings),
                rules=rules_from(defaults),
                limits=limits_from(defaults),
                clock=utc_now,
            )
            bot = make_bot(tg.token, base_url=tg.base_url)
            channel = Channel(
                bot=bot, turn_workers=4, poll_timeout=5, drafts=Pace() if drafts else None
            )
            stop = asyncio.Event()
            serving = asyncio.create_task(serve(rt, channel, stop))
            try:
                async with asyncio.timeout(_GUARD):
                    while not tg.calls_of("deleteWebhook"):
                        await asyncio.sleep(0.01)
                for n in range(runs + 1):
                    chat, seen, tokens = first + n, len(tg.calls), len(fake.first_tokens)
                    # update ids of their own: the inbox drops one it has seen before
                    tg.push(text_update(chat, "tell me about the villa"), update_id=chat)
                    arrived = time.monotonic()
                    async with asyncio.timeout(_GUARD):
                        while not tg.sent(chat):
                            await asyncio.sleep(0.002)
                    mine = [c for c in tg.calls[seen:] if str(c.fields.get("chat_id")) == str(chat)]
                    shown = next(c.at for c in mine if c.method in _SHOWN)
                    if n == 0:
                        continue  # the warm-up
                    times.visible.append(shown - arrived)
                    times.after_token.append(shown - fake.first_tokens[tokens])
                    times.final.append(tg.sent(chat)[0].at - arrived)
            finally:
                stop.set()
                await asyncio.wait_for(serving, 30)
            assert tg.violations == [], tg.violations[:3]
            if drafts:
                assert tg.calls_of("sendMessageDraft"), "no draft was shown"
    finally:
        await pool.close()
        server.shutdown()
        server.server_close()
    return times


async def main(runs: int, first_token: float, rate: float, tokens: int) -> None:
    print(
        f"{runs} turns each way after a warm-up; model: {first_token:g} s to the first token, "
        f"{rate:g} tokens/s, {tokens} tokens a reply"
    )
    async with scratch_database() as dsn:
        for drafts, first in ((True, 10_001), (False, 20_001)):
            fake = FakeOpenAI(
                first_token=first_token, tokens_per_second=rate, schedule=time.monotonic
            )
            for _ in range(runs + 1):
                fake.text(reply(tokens))
            times = await measure(dsn, drafts=drafts, runs=runs, first=first, fake=fake)
            print("with drafts:" if drafts else "without drafts (the message only):")
            print("\n".join(times.lines()))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20, help="counted turns each way")
    parser.add_argument("--first-token", type=float, default=0.8, help="seconds")
    parser.add_argument("--rate", type=float, default=40.0, help="tokens per second")
    parser.add_argument("--tokens", type=int, default=150, help="tokens a reply")
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.first_token, args.rate, args.tokens))
