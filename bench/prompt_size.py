"""What each request costs before the conversation: instructions plus tool schemas, as the
`openai` client sends them, counted with the o200k_base tokenizer (GPT-4o / GPT-4.1 / GPT-5).

    python bench/prompt_size.py
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from typing import Any

from bpe_openai import get_encoding

from agent.assistant import build_agent
from agent.channel import Inbound, Sender
from agent.model import build_model
from agent.runtime import Runtime, limits_from, rules_from
from agent.settings import Settings, default_settings
from agent.turn import run_turn
from bench.common import scratch_database
from db.meetings import create_meeting
from db.pool import create_pool
from db.reps import approve_rep, create_rep
from db.verification import mark_verified
from tests.agent.fake_openai import FakeOpenAI
from tests.agent.scripted import Clock

ADMIN, REP, STRANGER = 1000, 501, 777


async def main() -> None:
    encoding = get_encoding("o200k_base")
    fake = FakeOpenAI()
    server, url = fake.serve()
    settings = Settings(_env_file=None, openai_base_url=url, openai_api_key="x", salesbot_model="m")
    async with scratch_database() as dsn:
        pool = await create_pool(dsn)
        clock = Clock()
        async with pool.acquire() as conn:
            rep = await create_rep(
                conn,
                telegram_id=REP,
                name="Иван Иванов",
                email="ivan@truerealestate.bali",
                now=clock(),
                timezone="Asia/Makassar",
            )
            await approve_rep(conn, rep_id=rep.id, now=clock())
            await mark_verified(conn, rep_id=rep.id, email=rep.email, by="code", now=clock())
        rt = Runtime(
            pool=pool,
            agent=build_agent(),
            model=build_model(settings),
            clock=clock,
            rules=rules_from(default_settings(admin_telegram_ids=(ADMIN,))),
            limits=limits_from(default_settings(admin_telegram_ids=(ADMIN,))),
        )
        print(f"{'actor':12} {'tools':>5} {'instructions':>13} {'tool schemas':>13} {'total':>6}")
        actors = [("stranger", STRANGER), ("rep", REP), ("admin", ADMIN), ("rep+meeting", REP)]
        for label, telegram_id in actors:
            if label == "rep+meeting":  # offered cancel_meeting and reschedule_meeting too
                async with pool.acquire() as conn:
                    await _a_meeting(conn, rep.id, clock())
            fake.text("ok")
            await run_turn(rt, Inbound(telegram_id, Sender(telegram_id), text="hi"))
            request = fake.requests[-1]
            system = "\n".join(m["content"] for m in request["messages"] if m["role"] == "system")
            tools = json.dumps(request["tools"], ensure_ascii=False)
            a, b = len(encoding.encode(system)), len(encoding.encode(tools))
            print(f"{label:12} {len(request['tools']):>5} {a:>13} {b:>13} {a + b:>6}")
        await pool.close()
    server.shutdown()


async def _a_meeting(conn: Any, rep_id: Any, now: datetime) -> None:
    start = now + timedelta(days=1)
    await create_meeting(
        conn,
        rep_id=rep_id,
        prospect_id=None,
        title="Call",
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        sandbox=True,
        now=now,
    )


if __name__ == "__main__":
    asyncio.run(main())
