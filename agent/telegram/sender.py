"""The outbox sender: every reply leaves for Telegram from here, in order per chat, within
Telegram's limits. A message is marked sent only once Telegram has accepted it; a long one is
sent in parts and remembers how many went, so a restart never repeats a part. A sender whose
claim on a message was lost (its lease ran out and another took the message) stops at once and
leaves the message to the new holder, who goes on from the parts recorded as sent. What Telegram
accepted while the database was away is kept in memory and recorded as soon as it answers,
before anything is claimed again, so that it is not sent twice."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg
from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter
from telegram.warnings import PTBDeprecationWarning

from agent.dispatch import ClaimLoop
from agent.telegram.formatting import split_text, to_html
from agent.telegram.limits import RateLimiter
from agent.telegram.markup import keyboard, previews
from db import outbox
from db.outbox import OutboxClaim
from tools import metrics
from tools.redaction import scrub

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Accepted:
    """Telegram accepted the first `parts` parts of a claimed message; `last`: all of it."""

    claim: OutboxClaim
    parts: int
    telegram_message_id: int | None
    last: bool


class NotRecorded(Exception):
    """Telegram accepted a part, and the database could not record it: it is kept for later."""

    def __init__(self, accepted: Accepted) -> None:
        super().__init__(f"part {accepted.parts} of outbox message {accepted.claim.id}")
        self.accepted = accepted


CAPTION = 1000
"""Characters of a photo's caption kept, within Telegram's 1,024 once formatted."""

GIVE_UP_AFTER = 8
"""Attempts at a message that fails for a reason Telegram does not explain (not a 429, 5xx or
network error: those are retried for as long as it takes)."""


class OutboxSender(ClaimLoop[OutboxClaim]):
    last_round = True

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
        self._accepted: dict[int, Accepted] = {}
        """By outbox id: what Telegram accepted and the database did not record yet."""

    async def run(self, stop: asyncio.Event, grace: float = 10.0) -> None:
        await super().run(stop, grace)
        with contextlib.suppress(Exception):  # one last try; if it fails, a part goes twice
            await self._record_accepted()
        for accepted in self._accepted.values():
            log.error("stopping with %s accepted by Telegram, not recorded", NotRecorded(accepted))

    async def claim(self, limit: int, now: datetime, until: datetime) -> list[OutboxClaim]:
        await self._record_accepted()
        return await outbox.claim(self.pool, worker=self.worker, limit=limit, now=now, until=until)

    async def extend(self, items: list[OutboxClaim], until: datetime) -> None:
        await outbox.extend(self.pool, held=items, until=until)

    async def give_back(self, item: OutboxClaim) -> None:
        await self._release(item, at=self.wall(), error=None)

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

    async def draft(self, chat_id: int, draft_id: int, text: str) -> None:
        """Shows the reply being written; skipped while the chat's real messages are due,
        raises when Telegram refuses it (and a flood wait holds the chat's messages too)."""
        parts = split_text(text)
        if not parts or not self.limiter.free_now(chat_id) or self._calls.locked():
            return
        async with self._calls:
            try:
                await self.bot.send_message_draft(
                    chat_id, draft_id, to_html(parts[0]), parse_mode=ParseMode.HTML
                )
            except RetryAfter as e:
                self.limiter.hold(chat_id, _retry_after(e))
                raise

    async def handle(self, item: OutboxClaim) -> None:
        try:
            held = await self._deliver(item)
        except NotRecorded as e:
            log.warning(
                "Telegram accepted %s; recording it failed (%r): kept until it works",
                e,
                e.__cause__,
            )
            return
        if not held:
            log.warning(
                "%s lost its claim on outbox message %s (attempt %s): left to its new holder",
                self.worker,
                item.id,
                item.attempt,
            )

    async def _deliver(self, item: OutboxClaim) -> bool:
        """Sends the message or settles its fate; False when the claim was lost on the way."""
        message = item.message
        try:
            if message.kind == "callback_answer":
                return await self._answer_press(item)
            if (photo := message.photo) is not None:
                return await self._send_photo(item, photo)
            return await self._send(item)
        except NotRecorded:
            raise
        except RetryAfter as e:
            wait = _retry_after(e)
            metrics.RATE_LIMITED.inc()
            metrics.RATE_LIMIT_WAITED.inc(wait)
            self.limiter.hold(message.chat_id, wait)
            return await self._release(item, at=self.wall() + timedelta(seconds=wait), error=None)
        except Forbidden as e:
            return await self._settle(item, "blocked", error=scrub(e.message))
        except (BadRequest, ChatMigrated) as e:
            return await self._settle(item, "failed", error=scrub(e.message))
        except NetworkError as e:
            return await self._release(
                item, at=self.wall() + _backoff(item.attempt), error=scrub(repr(e))
            )
        except Exception as e:
            log.exception("sending outbox message %s failed", item.id)
            if item.attempt >= GIVE_UP_AFTER:
                return await self._settle(item, "failed", error=scrub(repr(e)))
            return await self._release(
                item, at=self.wall() + _backoff(item.attempt), error=scrub(repr(e))
            )

    async def _send(self, item: OutboxClaim) -> bool:
        message = item.message
        parts = split_text(message.text) or ["…"]
        message_id = None
        for index in range(message.parts_sent, len(parts)):
            last = index == len(parts) - 1
            markup = keyboard(message.buttons) if last else None
            await self.limiter.wait(message.chat_id)
            message_id = await self._send_part(message.chat_id, parts[index], markup)
            if not last and not await self._record(Accepted(item, index + 1, message_id, False)):
                return False
        return await self._record(Accepted(item, len(parts), message_id, last=True))

    async def _record(self, accepted: Accepted) -> bool:
        """Records what Telegram accepted; False when the claim was lost. When the database
        cannot, keeps it for `_record_accepted` and raises `NotRecorded`."""
        try:
            return await self._write(accepted)
        except BaseException as e:  # kept on a stop too, for `run`'s last try
            # Kept only once the write failed: a claim made meanwhile must not write it again.
            self._accepted[accepted.claim.id] = accepted
            if isinstance(e, Exception):
                raise NotRecorded(accepted) from e
            raise

    async def _record_accepted(self) -> None:
        """Records what was kept, and gives back a message with parts still to send, so that
        it goes on from there at once; raises while the database is still away."""
        for key, accepted in list(self._accepted.items()):
            if await self._write(accepted) and not accepted.last:
                error = f"part {accepted.parts} was recorded late: the database was away"
                await self._release(accepted.claim, at=self.wall(), error=error)
            self._accepted.pop(key, None)

    async def _write(self, accepted: Accepted) -> bool:
        item, message_id = accepted.claim, accepted.telegram_message_id
        if accepted.last:
            return await self._settle(item, "sent", telegram_message_id=message_id)
        assert message_id is not None
        return await outbox.part_sent(
            self.pool, claim=item, parts_sent=accepted.parts, telegram_message_id=message_id
        )

    async def _send_part(self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None) -> int:
        async with self._calls:
            try:
                sent = await self.bot.send_message(
                    chat_id,
                    to_html(text),
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    link_preview_options=previews(text),
                )
            except BadRequest as e:
                if "parse entities" not in e.message.lower():
                    raise
                log.warning("Telegram refused a message's formatting; sending it plain: %s", e)
                sent = await self.bot.send_message(
                    chat_id, text, reply_markup=markup, link_preview_options=previews(text)
                )
        return sent.message_id

    async def _send_photo(self, item: OutboxClaim, photo: bytes) -> bool:
        """One part: the picture with its caption (which Telegram caps at 1,024 characters)."""
        message = item.message
        filename = str((message.payload or {}).get("filename", "photo.png"))
        await self.limiter.wait(message.chat_id)
        async with self._calls:
            sent = await self.bot.send_photo(
                message.chat_id,
                photo,
                caption=to_html(message.text[:CAPTION]),
                parse_mode=ParseMode.HTML,
                filename=filename,
            )
        return await self._record(Accepted(item, 1, sent.message_id, last=True))

    async def _answer_press(self, item: OutboxClaim) -> bool:
        message = item.message
        payload = message.payload or {}
        try:
            async with self._calls:
                await self.bot.answer_callback_query(payload["callback_query_id"])
                if payload.get("message_id"):
                    await self.bot.edit_message_reply_markup(
                        message.chat_id, payload["message_id"], reply_markup=None
                    )
        except BadRequest as e:  # the press is too old, or the keyboard was already gone
            log.info("answering a button press: %s", e.message)
        return await self._record(Accepted(item, 1, None, last=True))

    async def _settle(
        self,
        item: OutboxClaim,
        status: str,
        *,
        error: str | None = None,
        telegram_message_id: int | None = None,
    ) -> bool:
        if status != "sent":
            chat_id = item.message.chat_id
            log.warning("outbox message %s to chat %s %s: %s", item.id, chat_id, status, error)
        settled = await outbox.settle(
            self.pool,
            claim=item,
            status=status,
            now=self.wall(),
            error=error,
            telegram_message_id=telegram_message_id,
        )
        if settled:
            metrics.SENDS.labels(status).inc()
        return settled

    async def _release(self, item: OutboxClaim, *, at: datetime, error: str | None) -> bool:
        return await outbox.release(self.pool, claim=item, not_before=at, error=error)


def _retry_after(error: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB warns that the type will become a timedelta
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2 ** max(attempts - 1, 0), 60) * random.uniform(0.8, 1.2))
