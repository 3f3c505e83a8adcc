"""Drafts: the reply shown as the model writes it, before the finished message goes through the
outbox. They are a preview and nothing else: the first text goes at once, later ones at most
once per `Pace.every`, one request at a time, and never holding up the model; a draft that fails
stops the turn's drafts, and the turn goes on as if there had been none."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic_ai import RunContext
from pydantic_ai.messages import (
    AgentStreamEvent,
    PartDeltaEvent,
    PartStartEvent,
    TextPart,
    TextPartDelta,
)

log = logging.getLogger(__name__)

DraftSink = Callable[[int, int, str], Awaitable[None]]
"""Shows `text` as draft `draft_id` in chat `chat_id` (the channel's part)."""


@dataclass(frozen=True, slots=True)
class Pace:
    every: float = 1.0
    """Seconds between two drafts of one reply: Telegram's flood limit is about one a second."""
    monotonic: Callable[[], float] = time.monotonic
    last_wait: float = 1.0
    """At the end of a turn, how long a draft still on its way is waited for, so that it lands
    before the finished message and not after it."""


@dataclass
class Drafts:
    """One turn's drafts; `handle` is the agent run's event stream handler."""

    send: Callable[[str], Awaitable[None]]
    pace: Pace = field(default_factory=Pace)
    stopped: bool = False
    shown: list[str] = field(default_factory=list)
    _latest: str = ""
    _sent_at: float | None = None
    _sending: asyncio.Task[None] | None = None

    async def handle(self, ctx: RunContext[Any], events: AsyncIterable[AgentStreamEvent]) -> None:
        """Follows one model response's text as it grows; a new response starts afresh."""
        parts: dict[int, str] = {}
        async for event in events:
            if self.stopped:
                return
            if isinstance(event, PartStartEvent) and isinstance(event.part, TextPart):
                parts[event.index] = event.part.content
            elif isinstance(event, PartDeltaEvent) and isinstance(event.delta, TextPartDelta):
                parts[event.index] = parts.get(event.index, "") + event.delta.content_delta
            else:
                continue
            self.show("".join(parts[i] for i in sorted(parts)))

    def show(self, text: str) -> None:
        """Sends `text` now if the pace allows and no draft is on its way; else it waits for
        the next change (the finished message follows anyway)."""
        self._latest = text
        if self.stopped or not text.strip() or (self.shown and self.shown[-1] == text):
            return
        if self._sending is not None and not self._sending.done():
            return
        now = self.pace.monotonic()
        if self._sent_at is not None and now - self._sent_at < self.pace.every:
            return
        self._sent_at = now
        self.shown.append(text)
        self._sending = asyncio.create_task(self._send(text))

    async def _send(self, text: str) -> None:
        try:
            await self.send(text)
        except Exception as e:
            self.stopped = True
            log.info("drafts stopped for this turn: %r", e)

    async def close(self) -> None:
        self.stopped = True
        sending = self._sending
        if sending is None or sending.done():
            return
        await asyncio.wait({sending}, timeout=self.pace.last_wait)
        sending.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sending

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Drafts]:
        try:
            yield self
        finally:
            await self.close()
