"""The claim loop the turn workers and the sender share, over a queue of the test's own: no more
in hand than its concurrency, a handler's failure logged and its slot freed, the leases of what
is in hand kept alive, woken at once when work arrives, a failed claim tried again, and on stop
what is in hand finished within the grace or given back."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest

from agent.dispatch import ClaimLoop, worker_name
from tests.conftest import NOW

POLL = 60.0
"""Longer than any test: the loop claims again only when woken, or when a slot frees up."""


@dataclass
class Job:
    name: str
    go: asyncio.Event = field(default_factory=asyncio.Event)
    fail: bool = False


class Loop(ClaimLoop[Job]):
    def __init__(self, *jobs: Job, concurrency: int = 10, lease: float = 30.0) -> None:
        super().__init__(
            role="test",
            concurrency=concurrency,
            lease=timedelta(seconds=lease),
            wall=lambda: NOW,
            poll=POLL,
        )
        self.queue = list(jobs)
        self.limits: list[int] = []
        self.failing_claims = 0
        self.failing_idle_waits = 0
        self.started: list[str] = []
        self.done: list[str] = []
        self.cancelled: list[str] = []
        self.extended: list[tuple[list[str], datetime]] = []
        self.given_back: list[str] = []

    async def claim(self, limit: int, now: datetime, until: datetime) -> list[Job]:
        self.limits.append(limit)
        if self.failing_claims:
            self.failing_claims -= 1
            raise ConnectionError("the database is away")
        taken, self.queue = self.queue[:limit], self.queue[limit:]
        return taken

    async def handle(self, item: Job) -> None:
        self.started.append(item.name)
        try:
            await item.go.wait()
        except asyncio.CancelledError:
            self.cancelled.append(item.name)
            raise
        if item.fail:
            raise RuntimeError(f"{item.name} broke")
        self.done.append(item.name)

    async def extend(self, items: list[Job], until: datetime) -> None:
        self.extended.append(([i.name for i in items], until))

    async def give_back(self, item: Job) -> None:
        self.given_back.append(item.name)

    async def idle_wait(self) -> float:
        if self.failing_idle_waits:
            self.failing_idle_waits -= 1
            raise ConnectionError("the connection was closed")
        return self.poll


async def until(check: Callable[[], bool]) -> None:
    for _ in range(2000):
        if check():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("never came true")


@asynccontextmanager
async def running(loop: Loop, grace: float = 10.0) -> AsyncIterator[asyncio.Event]:
    stop = asyncio.Event()
    task = asyncio.create_task(loop.run(stop, grace=grace))
    try:
        yield stop
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


def test_a_worker_name_is_its_own_and_says_its_role() -> None:
    first, second = worker_name("sender"), worker_name("sender")
    assert first != second
    assert first.startswith("sender@")


async def test_no_more_is_in_hand_than_the_concurrency() -> None:
    a, b, c = Job("a"), Job("b"), Job("c")
    loop = Loop(a, b, c, concurrency=2)
    async with running(loop):
        await until(lambda: loop.started == ["a", "b"])
        a.go.set()
        await until(lambda: loop.started == ["a", "b", "c"])
        assert loop.limits[0] == 2 and loop.limits[-1] == 1
        b.go.set()
        c.go.set()
        await until(lambda: len(loop.done) == 3)
    assert loop.given_back == []


async def test_a_handler_that_fails_is_logged_and_frees_its_slot(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken, after = Job("broken", fail=True), Job("after")
    broken.go.set()
    after.go.set()
    loop = Loop(broken, after, concurrency=1)
    async with running(loop):
        await until(lambda: loop.done == ["after"])
    assert "handling Job(name='broken'" in caplog.text


async def test_the_leases_of_what_is_in_hand_are_kept_alive() -> None:
    loop = Loop(Job("a"), Job("b"), lease=0.03)
    async with running(loop, grace=0):
        await until(lambda: len(loop.extended) >= 2)
    names, until_ = loop.extended[0]
    assert (sorted(names), until_) == (["a", "b"], NOW + timedelta(seconds=0.03))


async def test_work_that_arrives_is_claimed_when_the_loop_is_woken() -> None:
    late = Job("late")
    late.go.set()
    loop = Loop()
    async with running(loop):
        await until(lambda: loop.limits == [10])
        loop.queue.append(late)
        loop.wake.set()
        await until(lambda: loop.done == ["late"])


async def test_a_failed_claim_is_tried_again(caplog: pytest.LogCaptureFixture) -> None:
    job = Job("a")
    job.go.set()
    loop = Loop(job)
    loop.failing_claims = 1
    loop.poll = 0.01  # the loop waits one poll before it tries again
    async with running(loop):
        await until(lambda: loop.done == ["a"])
    assert "claiming failed: the database is away" in caplog.text


async def test_on_stop_what_is_in_hand_finishes_within_the_grace() -> None:
    a, b = Job("a"), Job("b")
    loop = Loop(a, b)
    async with running(loop) as stop:
        await until(lambda: len(loop.started) == 2)
        stop.set()
        a.go.set()
        b.go.set()
    assert (sorted(loop.done), loop.given_back) == (["a", "b"], [])


async def test_on_stop_what_outlasts_the_grace_is_cancelled_and_given_back() -> None:
    loop = Loop(Job("a"), Job("b"))
    async with running(loop, grace=0):
        await until(lambda: len(loop.started) == 2)
    assert (sorted(loop.cancelled), sorted(loop.given_back), loop.done) == (
        ["a", "b"],
        ["a", "b"],
        [],
    )


async def test_nothing_is_claimed_after_stop() -> None:
    loop = Loop()
    async with running(loop) as stop:
        await until(lambda: loop.limits == [10])
        stop.set()
        loop.queue.append(Job("late"))
    assert loop.started == []


async def test_a_loop_with_a_last_round_sends_what_is_due_at_stop_and_no_later() -> None:
    loop = Loop()
    loop.last_round = True
    async with running(loop) as stop:
        await until(lambda: loop.limits == [10])
        loop.queue.append(Job("reply"))
        loop.queue[0].go.set()
        stop.set()
    assert (loop.done, loop.limits) == (["reply"], [10, 10])


@pytest.fixture(autouse=True)
def _logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="agent.dispatch")


async def test_a_failed_look_at_the_next_due_time_does_not_end_the_loop(
    caplog: pytest.LogCaptureFixture,
) -> None:
    loop = Loop()
    loop.failing_idle_waits = 3
    loop.poll = 0.01
    async with running(loop):
        await until(lambda: loop.failing_idle_waits == 0 and len(loop.limits) >= 4)
        job = Job("late")
        job.go.set()
        loop.queue.append(job)
        loop.wake.set()
        await until(lambda: loop.done == ["late"])
    assert caplog.text.count("finding the next due time failed") == 3
