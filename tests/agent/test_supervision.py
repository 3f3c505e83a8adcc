"""The loops' backoff, and the watch over them: a loop that ends before the process was told to
stop stops the process, with an error that names it."""

from __future__ import annotations

import asyncio

import pytest

from agent.supervision import LoopEnded, Supervisor, backoff_seconds


def test_the_backoff_is_jittered_capped_and_starts_small() -> None:
    low = [backoff_seconds(n, rand=lambda: 0.0) for n in range(1, 8)]
    high = [backoff_seconds(n, rand=lambda: 1.0) for n in range(1, 8)]
    assert high == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0, 8.0]
    assert low == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0]
    assert backoff_seconds(10_000, rand=lambda: 1.0) == 8.0


async def returns() -> None:
    return None


async def raises() -> None:
    raise ConnectionResetError("reset by peer")


@pytest.mark.parametrize("loop", [returns, raises], ids=["returns", "raises"])
async def test_a_loop_that_ends_before_stop_stops_the_process_and_is_named(
    loop, caplog: pytest.LogCaptureFixture
) -> None:
    stop = asyncio.Event()
    supervisor = Supervisor(stop)
    await supervisor.watch("the outbox sender", loop())
    assert stop.is_set()
    assert "the outbox sender" in caplog.text
    assert "stopping the process" in caplog.text
    with pytest.raises(LoopEnded, match="the outbox sender ended unexpectedly"):
        supervisor.check()


async def test_a_loop_that_ends_on_stop_is_no_failure(caplog: pytest.LogCaptureFixture) -> None:
    stop = asyncio.Event()
    supervisor = Supervisor(stop)

    async def until_stopped() -> None:
        await stop.wait()

    watched = supervisor.watch("polling", until_stopped())
    stop.set()
    await watched
    supervisor.check()
    assert caplog.text == ""
