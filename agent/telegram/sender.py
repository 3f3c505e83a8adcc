"""The outbox sender: every reply leaves for Telegram from here, in order per chat, within
Telegram's limits. A message is marked sent only once Telegram has accepted it; a long one is
sent in parts and remembers how many went, so a restart never repeats a part."""

from __future__ import annotations

import asyncio
import logging
import random
import warnings
from collections.abc import Callable
from datetime import datetime, timedelta

import asyncpg
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter
from telegram.warnings import PTBDeprecationWarning

from agent.dispatch import ClaimLoop
from agent.telegram.formatting import split_text, to_html
from agent.telegram.limits import RateLimiter
from db import outbox
from db.outbox import Buttons, OutboxMessage

log = logging.getLogger(__name__)

GIVE_UP_AFTER = 8
"""Attempts at a message that fails for a reason Telegram does not explain (not a 429, 5xx or
network error: those are retried for as long as it takes)."""


class OutboxSender(ClaimLoop[OutboxMessage]):
    def __init__(
        self,
        pool: asyncpg.Pool,
        bot: Bot,
        *,
        wall: Callable[[], datetime],
        limiter: RateLimiter | None = None,
        concurrency: int = 64,
        connections: int = 16,
        lease: timedelta = timedelta(seconds=60),
        poll: float = 1.0,
    ) -> None:
        super().__init__(role="sender", concurrency=concurrency, lease=lease, wall=wall, poll=poll)
        self.pool = pool
        self.bot = bot
        self.limiter = limiter or RateLimiter()
        # httpx's pool slows down with the square of its open requests: keep few in flight
        self._calls = asyncio.Semaphore(connections)

    async def claim(self, limit: int, now: datetime, until: datetime) -> list[OutboxMessage]:
        return await outbox.claim(self.pool, worker=self.worker, limit=limit, now=now, until=until)

    async def extend(self, items: list[OutboxMessage], until: datetime) -> None:
        ids = [m.id for m in items]
        await outbox.extend(self.pool, worker=self.worker, ids=ids, until=until)

    async def give_back(self, item: OutboxMessage) -> None:
        await self._retry(item, at=self.wall(), error=None)

    async def idle_wait(self) -> float:
        due = await outbox.next_due(self.pool)
        if due is None:
            return self.poll
        return min(self.poll, max((due - self.wall()).total_seconds(), 0.01))

    async def typing(self, chat_id: int) -> None:
        """Best effort, and only when it costs no real message its slot."""
        if self.limiter.free_now(chat_id) and not self._calls.locked():
            async with self._calls:
                await self.bot.send_chat_action(chat_id, ChatAction.TYPING)

    async def handle(self, item: OutboxMessage) -> None:
        try:
            if item.kind == "callback_answer":
                await self._answer_press(item)
            else:
                await self._send(item)
        except RetryAfter as e:
            wait = _retry_after(e)
            self.limiter.hold(item.chat_id, wait)
            await self._retry(item, at=self.wall() + timedelta(seconds=wait), error=None)
        except Forbidden as e:
            await self._settle(item, "blocked", error=e.message)
        except (BadRequest, ChatMigrated) as e:
            await self._settle(item, "failed", error=e.message)
        except NetworkError as e:
            await self._retry(item, at=self.wall() + _backoff(item.attempts), error=repr(e))
        except Exception as e:
            log.exception("sending outbox message %s failed", item.id)
            if item.attempts >= GIVE_UP_AFTER:
                await self._settle(item, "failed", error=repr(e))
            else:
                await self._retry(item, at=self.wall() + _backoff(item.attempts), error=repr(e))

    async def _send(self, item: OutboxMessage) -> None:
        parts = split_text(item.text) or ["…"]
        message_id = None
        for index in range(item.parts_sent, len(parts)):
            last = index == len(parts) - 1
            markup = _keyboard(item.buttons) if last else None
            await self.limiter.wait(item.chat_id)
            message_id = await self._send_part(item.chat_id, parts[index], markup)
            if not last:
                await outbox.part_sent(
                    self.pool,
                    message_id=item.id,
                    worker=self.worker,
                    parts_sent=index + 1,
                    telegram_message_id=message_id,
                )
        await self._settle(item, "sent", telegram_message_id=message_id)

    async def _send_part(self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None) -> int:
        async with self._calls:
            try:
                sent = await self.bot.send_message(
                    chat_id, to_html(text), parse_mode=ParseMode.HTML, reply_markup=markup
                )
            except BadRequest as e:
                if "parse entities" not in e.message.lower():
                    raise
                log.warning("Telegram refused a message's formatting; sending it plain: %s", e)
                sent = await self.bot.send_message(chat_id, text, reply_markup=markup)
        return sent.message_id

    async def _answer_press(self, item: OutboxMessage) -> None:
        payload = item.payload or {}
        try:
            async with self._calls:
                await self.bot.answer_callback_query(payload["callback_query_id"])
                if payload.get("message_id"):
                    await self.bot.edit_message_reply_markup(
                        item.chat_id, payload["message_id"], reply_markup=None
                    )
        except BadRequest as e:  # the press is too old, or the keyboard was already gone
            log.info("answering a button press: %s", e.message)
        await self._settle(item, "sent")

    async def _settle(
        self,
        item: OutboxMessage,
        status: str,
        *,
        error: str | None = None,
        telegram_message_id: int | None = None,
    ) -> None:
        if status != "sent":
            log.warning("outbox message %s to chat %s %s: %s", item.id, item.chat_id, status, error)
        await outbox.settle(
            self.pool,
            message_id=item.id,
            worker=self.worker,
            status=status,
            now=self.wall(),
            error=error,
            telegram_message_id=telegram_message_id,
        )

    async def _retry(self, item: OutboxMessage, *, at: datetime, error: str | None) -> None:
        await outbox.retry_later(
            self.pool, message_id=item.id, worker=self.worker, not_before=at, error=error
        )


def _keyboard(buttons: Buttons | None) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup([[_button(b) for b in row] for row in buttons])


def _button(button: dict[str, str]) -> InlineKeyboardButton:
    if "url" in button:
        return InlineKeyboardButton(button["text"], url=button["url"])
    return InlineKeyboardButton(button["text"], callback_data=button["data"])


def _retry_after(error: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB warns that the type will become a timedelta
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2 ** max(attempts - 1, 0), 60) * random.uniform(0.8, 1.2))
