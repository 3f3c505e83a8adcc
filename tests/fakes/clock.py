"""A monotonic clock for tests that moves only when someone sleeps on it, and records every
sleep: code under test waits for nothing, and tests assert on the waits it asked for."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class FakeClock:
    """`clock()` is the time now; `await clock.sleep(s)` records `s` in `waits`, then moves
    the time on by it. `settle`, when given, is awaited before the time moves (for work under
    way to land at the time it was started)."""

    def __init__(
        self, now: float = 100.0, *, settle: Callable[[], Awaitable[None]] | None = None
    ) -> None:
        self.now = now
        self.waits: list[float] = []
        self._settle = settle

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self._settle is not None:
            await self._settle()
        else:
            await asyncio.sleep(0)  # a sleep still lets others run, as a real one would
        self.now += max(seconds, 0.0)


async def no_wait(seconds: float) -> None:
    """A sleep that only lets others run: for retries whose waits no test reads."""
    await asyncio.sleep(0)
