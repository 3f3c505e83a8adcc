"""Our side of Telegram's flood limits: slots reserved in order, per chat and overall."""

from __future__ import annotations

from agent.telegram.limits import Limits, RateLimiter
from tests.fakes.clock import FakeClock


def test_a_chat_gets_a_short_burst_then_one_message_a_second() -> None:
    clock = FakeClock()
    limiter = RateLimiter(Limits(per_chat=1, chat_burst=3), monotonic=clock)
    assert [round(limiter.reserve_chat(7), 3) for _ in range(5)] == [0, 0, 0, 1.0, 2.0]
    assert limiter.reserve_chat(8) == 0  # another chat is not held up
    clock.now += 10
    assert limiter.reserve_chat(7) == 0


def test_the_overall_limit_spreads_many_chats() -> None:
    limiter = RateLimiter(Limits(overall=30, overall_burst=30), monotonic=FakeClock())
    waits = [limiter.reserve_overall() for _ in range(60)]
    assert waits[:30] == [0] * 30
    assert [round(w, 3) for w in waits[30:32]] == [round(1 / 30, 3), round(2 / 30, 3)]
    assert round(waits[59], 3) == 1.0


def test_a_flood_wait_holds_the_chat() -> None:
    clock = FakeClock()
    limiter = RateLimiter(Limits(), monotonic=clock)
    limiter.hold(7, 5)
    assert not limiter.free_now(7)
    assert round(limiter.reserve_chat(7), 3) == 5
    assert limiter.free_now(8)


async def test_waiting_for_a_slot_sleeps_until_it() -> None:
    clock = FakeClock()
    limits = Limits(per_chat=20, chat_burst=1, overall=1000)
    limiter = RateLimiter(limits, monotonic=clock, sleep=clock.sleep)
    for _ in range(4):
        await limiter.wait(7)
    assert [round(w, 3) for w in clock.waits] == [0.05, 0.05, 0.05]
    assert round(clock.now, 3) == 100.15


async def test_a_chat_whose_slot_came_then_waits_for_the_overall_one() -> None:
    clock = FakeClock()
    limits = Limits(per_chat=1, chat_burst=1, overall=4, overall_burst=1)
    limiter = RateLimiter(limits, monotonic=clock, sleep=clock.sleep)
    for chat in (1, 2, 1):
        await limiter.wait(chat)
    # chat 2 waits for the overall slot only; chat 1 again first for its own, then not at all
    assert [round(w, 3) for w in clock.waits] == [0.25, 0.75]
