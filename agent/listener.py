"""Wake-ups from the database: new inbox and outbox rows (from any process) NOTIFY a channel,
and the listener wakes the loop waiting on it at once; without it the loops still find the work,
a poll interval later. Its connection is watched: when it is lost (a database restart, a
terminated backend) or stops answering, the listener connects again, with backoff, listens
again, and wakes every loop, since what was notified meanwhile was missed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

import asyncpg

from agent.supervision import backoff_seconds, sleep_or_stop

log = logging.getLogger(__name__)


class ListenerLost(Exception):
    """The listening connection was closed under the listener."""


class Listener:
    def __init__(
        self,
        pool: asyncpg.Pool,
        wakes: Mapping[str, asyncio.Event],
        *,
        check_every: float = 10.0,
        backoff: Callable[[int], float] = backoff_seconds,
    ) -> None:
        self.pool = pool
        self.wakes = wakes
        self.check_every = check_every
        self.backoff = backoff
        self.pid: int | None = None
        """The database backend listening, while one is."""
        self._failures = 0

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self._listen(stop)
            except Exception as e:  # the database went away: listen again once it is back
                self._failures += 1
                log.warning("listening for new work failed (%r): listening again", e)
                await sleep_or_stop(stop, self.backoff(self._failures))

    async def _listen(self, stop: asyncio.Event) -> None:
        lost = asyncio.Event()

        def wake(_conn: Any, _pid: int, channel: str, _payload: object) -> None:
            self.wakes[channel].set()

        def closed(_conn: Any) -> None:
            lost.set()

        async with self.pool.acquire() as conn:
            conn.add_termination_listener(closed)
            try:
                for name in self.wakes:
                    await conn.add_listener(name, wake)
                self.pid = conn.get_server_pid()
                self._failures = 0
                for event in self.wakes.values():
                    event.set()
                while not await _either(lost, stop, self.check_every):
                    await conn.fetchval("SELECT 1", timeout=self.check_every)
                if lost.is_set():
                    raise ListenerLost("the listening connection was closed")
            finally:
                self.pid = None
                with contextlib.suppress(Exception):  # a closed connection took them with it
                    for name in self.wakes:
                        await conn.remove_listener(name, wake)
                    conn.remove_termination_listener(closed)


async def _either(first: asyncio.Event, second: asyncio.Event, seconds: float) -> bool:
    """Waits up to `seconds` for either event; whether one is set."""
    waiters = [asyncio.create_task(first.wait()), asyncio.create_task(second.wait())]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
    return first.is_set() or second.is_set()
