"""What a slow model costs the database: a turn keeps one transaction (and its connection) open
while it waits on the model, so `--concurrency` turns in flight hold that many connections.

`--turns` turns over as many chats run through `run_turn`, at most `--concurrency` at once (the
turn workers' bound), on a pool of concurrency + 10 as the bot has; the scripted model waits
`--latency` seconds per request and calls a tool first, so each turn asks it twice. A second
connection samples `pg_stat_activity` every 20 ms.

    python -m bench.slow_turns [--turns 200] [--concurrency 100] [--latency 1.0]
"""

from __future__ import annotations

import argparse
import asyncio
import time

import asyncpg
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from agent.assistant import build_agent
from agent.channel import Inbound, Sender
from agent.runtime import Runtime, limits_from, rules_from, utc_now
from agent.settings import default_settings
from agent.turn import run_turn
from bench.common import scratch_database
from db.pool import connect, create_pool


def slow(latency: float) -> FunctionModel:
    async def answer(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        await asyncio.sleep(latency)
        if messages[-1].parts[-1].part_kind == "user-prompt":
            return ModelResponse(parts=[ToolCallPart("my_status", {})])
        return ModelResponse(parts=[TextPart("ok")])

    return FunctionModel(answer)


async def sample(conn: asyncpg.Connection, stop: asyncio.Event, peaks: dict[str, int]) -> None:
    while not stop.is_set():
        row = await conn.fetchrow(
            "SELECT count(*) FILTER (WHERE state LIKE 'idle in transaction%') AS waiting,"
            "       count(*) FILTER (WHERE xact_start IS NOT NULL) AS in_transaction,"
            "       count(*) AS connections"
            "  FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        assert row is not None
        for key in ("waiting", "in_transaction", "connections"):
            peaks[key] = max(peaks.get(key, 0), row[key])
        await asyncio.sleep(0.02)


async def main(args: argparse.Namespace) -> None:
    async with scratch_database() as dsn:
        pool = await create_pool(dsn, max_size=args.concurrency + 10)
        settings = default_settings(admin_telegram_ids=(1000,))
        rt = Runtime(
            pool=pool,
            agent=build_agent(),
            model=slow(args.latency),
            clock=utc_now,
            rules=rules_from(settings),
            limits=limits_from(settings),
        )
        watcher = await connect(dsn)
        peaks: dict[str, int] = {}
        stop = asyncio.Event()
        sampling = asyncio.create_task(sample(watcher, stop, peaks))
        bound = asyncio.Semaphore(args.concurrency)
        failed = 0

        async def turn(n: int) -> None:
            nonlocal failed
            chat = 7000 + n
            async with bound:
                result = await run_turn(rt, Inbound(chat, Sender(chat), text=f"сообщение {n}"))
                failed += result.failed

        started = time.perf_counter()
        await asyncio.gather(*(turn(n) for n in range(args.turns)))
        elapsed = time.perf_counter() - started
        stop.set()
        await sampling
        await watcher.close()
        await pool.close()
    ideal = args.turns / args.concurrency * 2 * args.latency
    print(
        f"{args.turns} turns, {args.concurrency} at once, model {args.latency:.2f} s a request"
        f" (2 a turn): {args.turns / elapsed:.1f} turns/s, {elapsed:.1f} s"
        f" ({ideal:.1f} s if only the model took time), {failed} failed"
    )
    print(
        f"peak connections {peaks['connections']}, in a transaction {peaks['in_transaction']},"
        f" idle in a transaction (waiting on the model) {peaks['waiting']}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--latency", type=float, default=1.0)
    asyncio.run(main(parser.parse_args()))
