"""The time the code adds to a turn around an instant scripted model: actor, history, agent
run, outbox, audit and commit, on the embedded PostgreSQL.

    python bench/turn_overhead.py [--turns 1000] [--chats 10]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from agent.assistant import build_agent
from agent.channel import Inbound, Sender
from agent.runtime import Runtime, limits_from, rules_from
from agent.settings import default_settings
from agent.turn import run_turn
from bench.common import scratch_database
from db.pool import create_pool
from tests.agent.scripted import Clock


def instant(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    """Every other turn calls my_status first, so tool execution and audit are measured too."""
    turns = sum(1 for m in messages for p in m.parts if p.part_kind == "user-prompt")
    if turns % 2 and messages[-1].parts[-1].part_kind == "user-prompt":
        return ModelResponse(parts=[ToolCallPart("my_status", {})])
    return ModelResponse(parts=[TextPart("ok")])


async def main(turns: int, chats: int) -> None:
    async with scratch_database() as dsn:
        pool = await create_pool(dsn)
        rt = Runtime(
            pool=pool,
            agent=build_agent(),
            model=FunctionModel(instant),
            clock=Clock(),
            rules=rules_from(default_settings(admin_telegram_ids=(1000,))),
            limits=limits_from(default_settings(admin_telegram_ids=(1000,))),
        )
        timings = []
        for n in range(turns):
            chat = 5000 + n % chats
            started = time.perf_counter()
            result = await run_turn(rt, Inbound(chat, Sender(chat), text=f"сообщение {n}"))
            timings.append(time.perf_counter() - started)
            assert not result.failed
        await pool.close()
    ms = sorted(t * 1000 for t in timings)
    p99 = ms[int(len(ms) * 0.99) - 1]
    print(
        f"{turns} turns over {chats} chats: median {statistics.median(ms):.1f} ms, "
        f"p99 {p99:.1f} ms, max {ms[-1]:.1f} ms"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=1000)
    parser.add_argument("--chats", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(main(args.turns, args.chats))
