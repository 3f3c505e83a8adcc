"""The one retry policy every client uses: transport failures, 5xx and 429 are retried with
backoff (a 429's own wait when it gives one), a bounded number of times within a bounded total
time; anything else fails at once. The policy carries its sleep, so that a test can record the
waits instead of waiting."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)

from tools.clients.errors import IntegrationError, RateLimited, Unavailable
from tools.metrics import INTEGRATION_CALLS

T = TypeVar("T")


async def _counted(service: str, call: Callable[[], Awaitable[T]]) -> T:
    try:
        result = await call()
    except IntegrationError as e:
        INTEGRATION_CALLS.labels(service, type(e).__name__).inc()
        raise
    INTEGRATION_CALLS.labels(service, "ok").inc()
    return result


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 4
    total_seconds: float = 20.0
    initial_wait: float = 0.5
    max_wait: float = 8.0
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, compare=False)


DEFAULT_POLICY = RetryPolicy()


def _wait(policy: RetryPolicy) -> Callable[[RetryCallState], float]:
    backoff = wait_exponential_jitter(
        multiplier=policy.initial_wait, max=policy.max_wait, jitter=policy.initial_wait
    )

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, RateLimited) and error.retry_after is not None:
            return min(error.retry_after, policy.total_seconds)
        return backoff(state)

    return wait


async def retrying(policy: RetryPolicy, *, service: str, call: Callable[[], Awaitable[T]]) -> T:
    """Runs `call` under the policy; the last error is raised as it was. Each attempt is
    counted for `service`."""
    async for attempt in AsyncRetrying(
        retry=retry_if_exception_type((RateLimited, Unavailable)),
        stop=stop_after_attempt(policy.attempts) | stop_after_delay(policy.total_seconds),
        wait=_wait(policy),
        sleep=policy.sleep,
        reraise=True,
    ):
        with attempt:
            return await _counted(service, call)
    raise AssertionError("unreachable: tenacity either returns or reraises")
