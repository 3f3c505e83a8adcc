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

    def watch(self, name: str, loop: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        return asyncio.create_task(self._watched(name, loop), name=name)

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
