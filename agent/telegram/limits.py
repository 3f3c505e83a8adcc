"""Telegram's flood limits, kept on our side so that 429s are rare: about one message per
second in a chat (short bursts allowed) and thirty per second overall. Each send reserves the
earliest slot both limits allow, so waiting senders go in the order they asked."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Limits:
    per_chat: float = 1.0
    chat_burst: int = 3
    overall: float = 30.0
    overall_burst: int = 30


@dataclass
class RateLimiter:
    """GCRA per chat and overall. A send first takes its chat's slot, then, once that comes,
    the overall one: a chat held back never holds a slot the others could use."""

    limits: Limits = field(default_factory=Limits)
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    _chats: dict[int, float] = field(default_factory=dict)
    _overall: float = 0.0

    def reserve_chat(self, chat_id: int) -> float:
        """Takes the chat's next slot; returns the seconds until it."""
        now = self.monotonic()
        tat = self._chats.get(chat_id, now)
        at = max(now, self._chat_slot(tat))
        self._chats[chat_id] = max(tat, at) + 1 / self.limits.per_chat
        if len(self._chats) > 10_000:
            self._chats = {c: t for c, t in self._chats.items() if t > now}
        return at - now

    def reserve_overall(self) -> float:
        now = self.monotonic()
        at = max(now, self._overall_slot())
        self._overall = max(self._overall, at) + 1 / self.limits.overall
        return at - now

    def free_now(self, chat_id: int) -> bool:
        """Whether a message could go right away, for things worth sending only if cheap."""
        now = self.monotonic()
        return max(self._chat_slot(self._chats.get(chat_id, now)), self._overall_slot()) <= now

    async def wait(self, chat_id: int) -> None:
        for delay in (self.reserve_chat(chat_id), None):
            if delay is None:
                delay = self.reserve_overall()
            if delay > 0:
                await self.sleep(delay)

    def hold(self, chat_id: int, seconds: float) -> None:
        """Telegram asked to wait: nothing more goes to the chat before then."""
        # the arrival time whose first conforming slot is `seconds` from now
        tat = self.monotonic() + seconds - self._chat_slot(0.0)
        self._chats[chat_id] = max(self._chats.get(chat_id, 0.0), tat)

    def _chat_slot(self, tat: float) -> float:
        """GCRA: the earliest conforming send is the arrival time less the burst allowance."""
        return tat - (self.limits.chat_burst - 1) / self.limits.per_chat

    def _overall_slot(self) -> float:
        return self._overall - (self.limits.overall_burst - 1) / self.limits.overall
