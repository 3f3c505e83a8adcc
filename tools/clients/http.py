"""What the httpx-based clients share: sending a request with transport failures turned into
`Unavailable`, turning an error answer into the typed error it means, and a sliding-window
limiter for services that count requests per window."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from tools.clients.errors import (
    AuthFailed,
    IntegrationError,
    RateLimited,
    Rejected,
    RemoteNotFound,
    Unavailable,
)


async def send(service: str, http: httpx.AsyncClient, request: httpx.Request) -> httpx.Response:
    """Sends `request`; timeouts and connection failures become `Unavailable`."""
    try:
        return await http.send(request)
    except httpx.TimeoutException as exc:
        raise Unavailable(service, f"no answer in time ({type(exc).__name__})") from exc
    except httpx.TransportError as exc:
        raise Unavailable(service, f"could not be reached ({type(exc).__name__}: {exc})") from exc


def body_of(response: httpx.Response) -> Any:
    """The JSON body, or None when there is none or it is not JSON."""
    try:
        return response.json()
    except ValueError:
        return None


def json_of(service: str, response: httpx.Response) -> Any:
    """The JSON body of a successful answer; a garbled one counts as a bad answer."""
    try:
        return response.json()
    except ValueError as exc:
        raise Unavailable(service, f"answered {response.status_code} without JSON") from exc


def message_of(response: httpx.Response) -> str:
    """The service's own words for an error: `message` (Zoom, HubSpot), `reason`/`error`
    (OAuth), else the start of the body, else the status line."""
    body = body_of(response)
    if isinstance(body, dict):
        for key in ("message", "reason", "error_description", "error"):
            if isinstance(body.get(key), str) and body[key]:
                return str(body[key])
    text = response.text.strip()
    return text[:300] if text else f"{response.status_code} {response.reason_phrase}"


def retry_after(response: httpx.Response, now: datetime | None = None) -> float | None:
    """`Retry-After` in seconds (delta-seconds or an HTTP date), None when absent or unreadable."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def error_for(
    service: str,
    response: httpx.Response,
    *,
    default_retry_after: float | None = None,
    now: datetime | None = None,
) -> IntegrationError:
    """The typed error an unsuccessful answer means."""
    status, message = response.status_code, message_of(response)
    if status in (401, 403):
        return AuthFailed(service, message)
    if status == 404:
        return RemoteNotFound(service, message)
    if status == 429:
        wait = retry_after(response, now)
        return RateLimited(service, message, default_retry_after if wait is None else wait)
    if 400 <= status < 500:
        return Rejected(service, f"{message} (HTTP {status})")
    return Unavailable(service, f"{message} (HTTP {status})")


def check(service: str, response: httpx.Response, **kwargs: Any) -> httpx.Response:
    """`response` when it is a success (2xx), else raises `error_for(...)`."""
    if response.is_success:
        return response
    raise error_for(service, response, **kwargs)


class SlidingWindow:
    """At most `limit` requests in any `window` seconds, as the service counts them: a request
    holds its slot from when it is sent until `window` seconds after its answer came back, so
    requests that reach the service late still count. Waiters queue in turn."""

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("the limit must be at least 1 and the window positive")
        self.limit, self.window = limit, window
        self._monotonic, self._sleep = monotonic, sleep
        self._slots: list[_Slot] = []
        self._lock = asyncio.Lock()
        self._freed = asyncio.Event()

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Waits for a free slot and holds it while the request is under way."""
        held = await self._acquire()
        try:
            yield
        finally:
            held.until = self._monotonic() + self.window
            self._freed.set()

    async def _acquire(self) -> _Slot:
        async with self._lock:
            while True:
                now = self._monotonic()
                self._slots = [s for s in self._slots if s.until > now]
                if len(self._slots) < self.limit:
                    held = _Slot(math.inf)
                    self._slots.append(held)
                    return held
                first_free = min(s.until for s in self._slots)
                if first_free == math.inf:
                    self._freed.clear()
                    await self._freed.wait()
                else:
                    await self._sleep(first_free - now)


@dataclass(slots=True)
class _Slot:
    until: float
