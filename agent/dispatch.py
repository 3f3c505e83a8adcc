"""The loop the turn workers and the sender share: claim what is due with a lease, handle each
item in its own task up to a concurrency limit, keep the leases alive while they run, and on
stop let what is in hand finish for a grace period, then give the rest back."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Item = TypeVar("Item")


def worker_name(role: str) -> str:
    """Unique per process and role, readable in `locked_by`."""
    return f"{role}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class ClaimLoop(ABC, Generic[Item]):
    def __init__(
        self,
        *,
        role: str,
        concurrency: int,
        lease: timedelta,
        wall: Callable[[], datetime],
        poll: float = 1.0,
    ) -> None:
        self.worker = worker_name(role)
        self.concurrency = concurrency
        self.lease = lease
        self.wall = wall
        self.poll = poll
        self.wake = asyncio.Event()
        self._running: dict[asyncio.Task[None], Item] = {}

    last_round = False
    """Claim once more when told to stop: the sender stops only after the turn workers, and
    the replies their last turns wrote are due by then, maybe before it was woken for them."""

    @abstractmethod
    async def claim(self, limit: int, now: datetime, until: datetime) -> list[Item]: ...

    @abstractmethod
    async def handle(self, item: Item) -> None: ...

    @abstractmethod
    async def extend(self, items: list[Item], until: datetime) -> None: ...

    @abstractmethod
    async def give_back(self, item: Item) -> None:
        """Release an item whose task was cancelled on stop, so another process takes it now."""

    async def idle_wait(self) -> float:
        return self.poll

    async def run(self, stop: asyncio.Event, grace: float = 10.0) -> None:
        heartbeat = asyncio.create_task(self._heartbeat())
        try:
            await self._loop(stop)
            if self.last_round:
                try:
                    await self._take(self.concurrency - len(self._running))
                except Exception as e:
                    log.warning("%s: the last claim failed: %s", self.worker, e)
        finally:
            heartbeat.cancel()
            await self._drain(grace)

    async def _loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.wake.clear()
            free = self.concurrency - len(self._running)
            try:
                taken = await self._take(free)
            except Exception as e:  # the database is away: try again shortly, out of step
                log.warning("%s: claiming failed: %s", self.worker, e)
                await _sleep_or(stop, self.poll * random.uniform(0.5, 1.5))
                continue
            if free > 0 and taken == free:
                continue
            timeout = await self._idle_wait() if free > 0 else self.poll
            await _first(self.wake, stop, timeout)

    async def _take(self, free: int) -> int:
        """Claims up to `free` items and starts each; how many were taken."""
        if free <= 0:
            return 0
        now = self.wall()
        items = await self.claim(free, now, now + self.lease)
        for item in items:
            self._running[asyncio.create_task(self._guarded(item))] = item
        return len(items)

    async def _idle_wait(self) -> float:
        try:
            return await self.idle_wait()
        except Exception as e:  # it may ask the database, which may be away: poll meanwhile
            log.warning("%s: finding the next due time failed: %s", self.worker, e)
            return self.poll

    async def _guarded(self, item: Item) -> None:
        try:
            await self.handle(item)
        except Exception:
            log.exception("%s: handling %r failed", self.worker, item)
        finally:
            self._running.pop(asyncio.current_task(), None)  # type: ignore[arg-type]
            self.wake.set()

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            if self._running:
                with contextlib.suppress(Exception):
                    await self.extend(list(self._running.values()), self.wall() + self.lease)

    async def _drain(self, grace: float) -> None:
        tasks = list(self._running)
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=grace)
        left = [self._running.get(t) for t in pending]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for item in left:
            if item is not None:
                with contextlib.suppress(Exception):
                    await self.give_back(item)


async def _first(event: asyncio.Event, stop: asyncio.Event, seconds: float) -> None:
    waiters = [asyncio.create_task(event.wait()), asyncio.create_task(stop.wait())]
    try:
        await asyncio.wait(waiters, timeout=max(seconds, 0), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


async def _sleep_or(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
