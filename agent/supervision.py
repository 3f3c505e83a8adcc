"""The process's long-running loops (polling, the turn workers, the sender, the listener, the
scheduler) each survive the database or Telegram going away: they log, back off with jitter
and go on. A loop that ends all the same, raising, or returning before the process was told to
stop, stops the whole process with an error, so that whatever runs it starts it again, instead
of leaving a process that looks alive and no longer does that loop's work."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)


class LoopEnded(Exception):
    """One or more loops ended before the process was told to stop."""

    def __init__(self, names: list[str]) -> None:
        super().__init__(f"stopped because {', '.join(names)} ended unexpectedly (see the log)")
        self.names = names


def backoff_seconds(failures: int, rand: Callable[[], float] = random.random) -> float:
    """After `failures` in a row: up to half a second doubled each time, at most 8 s, jittered
    so that processes do not come back in step."""
    ceiling = min(0.5 * 2.0 ** min(failures, 10), 8.0)
    return ceiling * (0.5 + 0.5 * rand())


async def sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(stop.wait(), max(seconds, 0))


class Supervisor:
    """Watches loops that should run until `stop`; `check()` raises `LoopEnded` for those that
    raised, or returned before it."""

    def __init__(self, stop: asyncio.Event) -> None:
        self.stop = stop
        self.ended: list[str] = []
        self.tasks: dict[str, asyncio.Task[None]] = {}

    def watch(self, name: str, loop: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(self._watched(name, loop), name=name)
        self.tasks[name] = task
        return task

    def running(self) -> dict[str, bool]:
        """Each loop watched, and whether it still runs."""
        return {name: not task.done() for name, task in self.tasks.items()}

    async def _watched(self, name: str, loop: Coroutine[Any, Any, None]) -> None:
        try:
            await loop
        except Exception:
            log.exception("%s failed; stopping the process so that it is started again", name)
        else:
            if self.stop.is_set():
                return
            log.error(
                "%s ended unexpectedly; stopping the process so that it is started again", name
            )
        self.ended.append(name)
        self.stop.set()

    def check(self) -> None:
        if self.ended:
            raise LoopEnded(self.ended)


class Beats:
    """When loops that must keep succeeding (polling Telegram) last did, on the monotonic clock."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.started = clock()
        self.last: dict[str, float] = {}

    def beat(self, name: str) -> None:
        self.last[name] = self.clock()

    def silent_for(self, name: str) -> float:
        """Seconds since `name` last beat, or since these beats began if it never has (a
        poller failing from the start is as silent as one that stopped)."""
        return self.clock() - self.last.get(name, self.started)
