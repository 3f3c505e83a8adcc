"""The listener on the real database: a NOTIFY wakes its loop, and after its backend is
terminated (as a database restart does) it listens again, wakes every loop once to catch up,
and the next NOTIFY wakes them again."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import asyncpg

from agent.listener import Listener
from db.pool import create_pool


async def until(check: Callable[[], bool]) -> None:
    for _ in range(1000):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("never")


async def test_after_its_backend_is_terminated_a_notify_wakes_the_loop_again(db_dsn: str) -> None:
    pool = await create_pool(db_dsn, min_size=1, max_size=2)
    admin = await asyncpg.connect(db_dsn)
    inbox, outbox = asyncio.Event(), asyncio.Event()
    waits: list[int] = []

    def backoff(failures: int) -> float:
        waits.append(failures)
        return 0

    listener = Listener(pool, {"salesbot_inbox": inbox, "salesbot_outbox": outbox}, backoff=backoff)
    stop = asyncio.Event()
    listening = asyncio.create_task(listener.run(stop))
    try:
        await until(lambda: listener.pid is not None)
        first = listener.pid
        inbox.clear()
        outbox.clear()
        await admin.execute("NOTIFY salesbot_inbox")
        await until(inbox.is_set)
        assert not outbox.is_set()

        assert await admin.fetchval("SELECT pg_terminate_backend($1)", first)
        await until(lambda: listener.pid not in (None, first))
        assert inbox.is_set() and outbox.is_set()  # what was notified meanwhile was missed
        inbox.clear()
        outbox.clear()
        await admin.execute("NOTIFY salesbot_outbox")
        await until(outbox.is_set)
        assert not inbox.is_set()
        assert waits == [1]
    finally:
        stop.set()
        await asyncio.wait_for(listening, 10)
        await admin.close()
        await pool.close()
    assert listening.result() is None
