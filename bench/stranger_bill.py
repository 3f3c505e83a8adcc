"""What strangers can make the model cost, with the app's default allowance: many strangers at
once, and one stranger writing long messages, against a model that answers at once and counts.

    python -m bench.stranger_bill [--strangers 500] [--long 60] [--chars 5000] [--unlimited]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import time

from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from agent.assistant import build_agent
from agent.channel import Inbound, Sender
from agent.runtime import Runtime, allowance_from, limits_from, rules_from
from agent.settings import default_settings
from agent.turn import run_turn
from bench.common import scratch_database
from db.pool import create_pool
from tests.agent.scripted import Clock


class Counting:
    def __init__(self) -> None:
        self.requests = 0
        self.largest = 0

    def __call__(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        self.requests += 1
        size = len(json.dumps([str(m) for m in messages]) + (info.instructions or ""))
        self.largest = max(self.largest, size)
        return ModelResponse(parts=[TextPart("Hello! Would you like to join the team?")])


async def main(strangers: int, long: int, chars: int, unlimited: bool) -> None:
    settings = default_settings(admin_telegram_ids=(1000,))
    async with scratch_database() as dsn:
        pool = await create_pool(dsn)
        many, one, clock = Counting(), Counting(), Clock()
        rt = Runtime(
            pool=pool,
            agent=build_agent(),
            model=FunctionModel(many),
            clock=clock,
            rules=rules_from(settings),
            limits=limits_from(settings),
            allowance=None if unlimited else allowance_from(settings),
        )
        started = time.perf_counter()
        await asyncio.gather(
            *(
                run_turn(rt, Inbound(c, Sender(c), text="hi"))
                for c in range(10_000, 10_000 + strangers)
            )
        )
        took = time.perf_counter() - started
        print(f"{strangers} strangers -> {many.requests} model requests in {took:.1f} s")
        clock.advance(hours=1)  # the strangers' hour is over
        rt = dataclasses.replace(rt, model=FunctionModel(one))
        for n in range(long):
            clock.advance(minutes=4)  # within one stranger's turns an hour
            await run_turn(
                rt, Inbound(20_000, Sender(20_000), text=f"{n} " + "word " * (chars // 5))
            )
        print(
            f"one stranger's {long} messages of {chars} chars -> {one.requests} model requests, "
            f"the largest {one.largest / 1000:.0f} KB"
        )
        await pool.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--strangers", type=int, default=500)
    parser.add_argument("--long", type=int, default=60)
    parser.add_argument("--chars", type=int, default=5000)
    parser.add_argument("--unlimited", action="store_true", help="no allowance: as before")
    args = parser.parse_args()
    asyncio.run(main(args.strangers, args.long, args.chars, args.unlimited))
