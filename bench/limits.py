"""The waits the tests only record, measured for real: the Telegram limiter's spacing in one
chat and its rate over many, a 429's Retry-After waited out by a client, and a client's
timeout against a service that never answers.

    python -m bench.limits [--messages 8] [--chats 300] [--retry-after 1.0] [--timeout 0.2]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from datetime import UTC, datetime

import httpx

from agent.telegram.limits import Limits, RateLimiter
from tests.fakes.hubspot import FakeHubSpot
from tools.clients.errors import Unavailable
from tools.clients.hubspot import HubSpotClient
from tools.clients.retry import RetryPolicy

TOKEN = "pat-bench-token"


async def one_chat(messages: int) -> None:
    """Telegram's advice: a short burst, then about one message a second in a chat."""
    limiter, started, at = RateLimiter(), time.monotonic(), []
    for _ in range(messages):
        await limiter.wait(7)
        at.append(time.monotonic() - started)
    limits = Limits()
    print(
        f"one chat, {messages} messages (burst {limits.chat_burst}, {limits.per_chat:g}/s): "
        "sent at " + ", ".join(f"{t:.2f}" for t in at) + " s"
    )


async def many_chats(chats: int) -> None:
    """Overall at most about thirty a second, whatever the number of chats."""
    limiter, started = RateLimiter(), time.monotonic()
    await asyncio.gather(*(limiter.wait(chat) for chat in range(chats)))
    seconds = time.monotonic() - started
    burst = Limits().overall_burst
    print(
        f"{chats} chats, one message each: {seconds:.2f} s, "
        f"{(chats - burst) / seconds:.1f} messages/s after a burst of {burst}"
    )


def client(fake: FakeHubSpot, http: httpx.AsyncClient, policy: RetryPolicy) -> HubSpotClient:
    now = datetime.now(UTC)
    return HubSpotClient(token=TOKEN, api_url=fake.url, http=http, clock=lambda: now, policy=policy)


async def retry_after(seconds: float) -> None:
    async with FakeHubSpot(token=TOKEN) as fake, httpx.AsyncClient(timeout=10) as http:
        fake.fail("/search", 429, headers={"Retry-After": str(seconds)})
        started = time.monotonic()
        await client(fake, http, RetryPolicy()).find_or_create_contact(
            email="a@b.example", name="A"
        )
        took = time.monotonic() - started
        print(f"a 429 with Retry-After {seconds:g} s: answered after {took:.2f} s")


async def no_answer(read_timeout: float) -> None:
    """The timeout per attempt plus the backoff between them."""
    http = httpx.AsyncClient(timeout=read_timeout)
    async with FakeHubSpot(token=TOKEN) as fake, http:
        fake.gate.close()
        policy = RetryPolicy(attempts=3)
        started = time.monotonic()
        with contextlib.suppress(Unavailable):
            await client(fake, http, policy).deals_of_contact("1001")
        print(
            f"no answer at all, timeout {read_timeout:g} s, {policy.attempts} attempts: "
            f"given up after {time.monotonic() - started:.2f} s"
        )


async def main(messages: int, chats: int, wait: float, read_timeout: float) -> None:
    await one_chat(messages)
    await many_chats(chats)
    await retry_after(wait)
    await no_answer(read_timeout)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=8, help="messages to one chat")
    parser.add_argument("--chats", type=int, default=300, help="chats sent one message each")
    parser.add_argument("--retry-after", type=float, default=1.0)
    parser.add_argument("--timeout", type=float, default=0.2)
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.chats, args.retry_after, args.timeout))
