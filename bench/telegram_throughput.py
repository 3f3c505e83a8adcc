"""Turns per second through the whole Telegram path, and the latency it adds to a turn.

The bot runs in a child process (polling, turn workers, sender, an instant scripted model; with
--processes more, the others only working the inbox and outbox) on
an embedded PostgreSQL with its default durability; this process plays the fake Bot API and
`--chats` users, each writing again as soon as its answer arrives. Latency is measured at the
fake: from the moment an update is there to be fetched to the moment its answer is accepted.

    python -m bench.telegram_throughput [--chats 100] [--seconds 20] [--rate 50] [--processes 2]
                                        [--no-fsync]

Without --rate each chat writes again as soon as it is answered, which measures the most turns a
second the bot sustains (and latency is then only queueing). With --rate the chats together
offer that many turns a second, which measures the latency the path adds below saturation.
Both print the CPU time each turn cost the bot, PostgreSQL and the fake, over the same window.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import uvloop
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from agent.assistant import build_agent
from agent.runtime import Runtime, limits_from, rules_from, utc_now
from agent.settings import default_settings
from agent.telegram.app import Channel, serve
from agent.telegram.limits import Limits, RateLimiter
from agent.telegram.transport import make_bot
from bench.common import scratch_database
from db.pool import connect, create_pool
from tests.fakes.telegram import FakeTelegram, text_update

UNLIMITED = Limits(per_chat=1e6, chat_burst=1000, overall=1e6, overall_burst=1000)


async def instant(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    return ModelResponse(parts=[TextPart("ok")])


async def bot(dsn: str, base_url: str, token: str, workers: int, receive: bool) -> None:
    pool = await create_pool(dsn, min_size=workers, max_size=workers + 10)
    rt = Runtime(
        pool=pool,
        agent=build_agent(),
        model=FunctionModel(instant),
        rules=rules_from(default_settings(admin_telegram_ids=(1000,))),
        limits=limits_from(default_settings(admin_telegram_ids=(1000,))),
        clock=utc_now,
    )
    channel = Channel(
        bot=make_bot(token, base_url=base_url),
        turn_workers=workers,
        limiter=RateLimiter(UNLIMITED),
        poll_timeout=5,
        receive=receive,
        drafts=None,  # the instant model writes no text to follow (bench.drafts measures them)
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await serve(rt, channel, stop)
    await pool.close()


Cpu = Callable[[], dict[str, float]]


async def cpu_meter(dsn: str, bot_pids: list[int]) -> Cpu:
    """CPU seconds used so far by the bot's processes, by PostgreSQL (the postmaster and its
    backends) and by this process (the fake Bot API and the users)."""
    conn = await connect(dsn)
    data = Path(await conn.fetchval("SELECT current_setting('data_directory')"))
    await conn.close()
    postmaster = psutil.Process(int((data / "postmaster.pid").read_text().split()[0]))
    bots, me = [psutil.Process(pid) for pid in bot_pids], psutil.Process()

    def tree(p: psutil.Process, *, children: bool = True) -> float:
        total = 0.0
        for q in (p, *(p.children(recursive=True) if children else ())):
            try:
                t = q.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += t.user + t.system
        return total

    return lambda: {
        "bot": sum(tree(bot) for bot in bots),
        "postgres": tree(postmaster),
        "fake": tree(me, children=False),
    }


async def users(tg: FakeTelegram, chats: int, seconds: float, rate: float | None, cpu: Cpu) -> None:
    """Each chat writes again once answered: at once (rate None: as fast as the bot goes), or
    not before its next turn at `rate` messages a second over all chats."""
    interval = chats / rate if rate else 0.0
    pushed: dict[int, float] = {}
    due: dict[int, float] = {}
    latencies: list[float] = []
    started = time.monotonic()
    counted_from = started + 3.0  # warm-up
    for chat in range(1, chats + 1):
        due[chat] = started + interval * chat / chats
    seen = 0
    used: dict[str, float] | None = None
    while (now := time.monotonic()) < counted_from + seconds:
        if used is None and now >= counted_from:
            used = cpu()
        for chat, at in list(due.items()):
            if at <= now:
                tg.push(text_update(chat, "hi"))
                pushed[chat] = now
                del due[chat]
        await asyncio.sleep(0.001)
        calls = tg.calls[seen:]
        seen += len(calls)
        for call in calls:
            if call.method != "sendMessage":
                continue
            chat = int(call.fields["chat_id"])
            if call.at >= counted_from:
                latencies.append(call.at - pushed[chat])
            due[chat] = max(pushed[chat] + interval, call.at)
    assert used is not None
    after = cpu()
    ms = sorted(x * 1000 for x in latencies)
    per_turn = {k: (after[k] - v) * 1000 / max(len(ms), 1) for k, v in used.items()}
    offered = f"{rate:.0f} turns/s offered" if rate else "as fast as it goes"
    print(
        f"{chats} chats, {offered}: {len(ms) / seconds:.0f} turns/s answered; added latency "
        f"per turn median {statistics.median(ms):.1f} ms, p99 {ms[int(len(ms) * 0.99) - 1]:.1f} ms"
    )
    print("CPU per turn: " + ", ".join(f"{k} {v:.2f} ms" for k, v in per_turn.items()))


async def main(
    chats: int, seconds: float, workers: int, rate: float | None, processes: int, durable: bool
) -> None:
    """The first bot process polls; any others take no updates and work the same database."""
    async with scratch_database(durable=durable) as dsn, FakeTelegram() as tg:
        children = [
            await asyncio.create_subprocess_exec(
                *[
                    sys.executable,
                    "-m",
                    "bench.telegram_throughput",
                    "--bot",
                    dsn,
                    tg.base_url,
                    tg.token,
                    str(workers // processes),
                    "poll" if n == 0 else "work",
                ],
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
            for n in range(processes)
        ]
        try:
            while not tg.calls_of("deleteWebhook"):
                await asyncio.sleep(0.05)
            cpu = await cpu_meter(dsn, [c.pid for c in children])
            await users(tg, chats, seconds, rate, cpu)
        finally:
            for child in children:
                child.send_signal(signal.SIGTERM)
            for child in children:
                await asyncio.wait_for(child.wait(), 60)
        assert tg.violations == [], tg.violations[:3]


if __name__ == "__main__":
    if sys.argv[1:2] == ["--bot"]:
        dsn, base_url, token, workers, role = sys.argv[2:7]
        receive = role == "poll"
        if profile := os.environ.get("BENCH_PROFILE"):
            import cProfile

            code = "asyncio.run(bot(dsn, base_url, token, int(workers), receive))"
            cProfile.run(code, f"{profile}.{role}.{os.getpid()}")
        else:
            uvloop.run(bot(dsn, base_url, token, int(workers), receive))
        sys.exit(0)
    parser = argparse.ArgumentParser()
    parser.add_argument("--chats", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=100, help="turn workers, over all processes")
    parser.add_argument("--processes", type=int, default=1, help="bot processes")
    parser.add_argument("--rate", type=float, help="turns per second offered (default: all)")
    parser.add_argument(
        "--no-fsync",
        action="store_true",
        help="PostgreSQL without fsync: the path's own latency, without the disk's",
    )
    args = parser.parse_args()
    asyncio.run(
        main(args.chats, args.seconds, args.workers, args.rate, args.processes, not args.no_fsync)
    )
