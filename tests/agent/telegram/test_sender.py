"""The sender against the fake Bot API through python-telegram-bot, one message at a time: a long
message goes in parts and is marked sent once; a sender whose claim was lost (its lease ran out
and another sender took the message) stops and leaves the message alone, and the new holder
goes on from the parts recorded, so no part is lost; Telegram's refusals settle a message or
give it back for later."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import asyncpg
import pytest

from agent.telegram.limits import Limits, RateLimiter
from agent.telegram.sender import OutboxSender
from agent.telegram.transport import TelegramBot, make_bot
from db import outbox
from db.outbox import OutboxClaim
from db.pool import create_pool
from tests.agent.scripted import Clock
from tests.fakes.telegram import FakeTelegram

CHAT = 501
LEASE = timedelta(seconds=30)
PARTS = ["a" * 3000, "b" * 3000, "c" * 3000]
LONG = "\n\n".join(PARTS)

Step = Callable[[], Awaitable[None]]


@dataclass
class Interrupting(RateLimiter):
    """No limits, and a step of the test's own run just before the n-th part asks for its
    slot: the sender waits for one before each part, so the step falls between two parts."""

    limits: Limits = field(default_factory=lambda: Limits(1000, 1000, 10_000, 10_000))
    before: dict[int, Step] = field(default_factory=dict)
    waits: int = 0

    async def wait(self, chat_id: int) -> None:
        self.waits += 1
        if step := self.before.pop(self.waits, None):
            await step()
        await super().wait(chat_id)


@dataclass
class Senders:
    tg: FakeTelegram
    pool: asyncpg.Pool
    bot: TelegramBot
    clock: Clock

    def sender(self, limiter: RateLimiter | None = None) -> OutboxSender:
        limiter = limiter or Interrupting()
        return OutboxSender(self.pool, self.bot, wall=self.clock, limiter=limiter, lease=LEASE)

    async def queue(self, text: str) -> int:
        message_id = await outbox.enqueue(self.pool, chat_id=CHAT, text=text, now=self.clock())
        assert message_id is not None
        return message_id

    async def claim(self, sender: OutboxSender) -> OutboxClaim:
        now = self.clock()
        (held,) = await sender.claim(10, now, now + LEASE)
        return held

    async def take_over(self, sender: OutboxSender) -> OutboxClaim:
        """The first sender's lease runs out and `sender` claims the message."""
        self.clock.advance(seconds=LEASE.total_seconds() + 1)
        return await self.claim(sender)

    async def row(self, message_id: int) -> asyncpg.Record:
        found = await self.pool.fetchrow("SELECT * FROM outbox WHERE id = $1", message_id)
        assert found is not None
        return found


@pytest.fixture
async def senders(db_dsn: str) -> AsyncIterator[Senders]:
    async with FakeTelegram() as tg, make_bot(tg.token, base_url=tg.base_url) as bot:
        pool = await create_pool(db_dsn, min_size=1, max_size=4)
        try:
            yield Senders(tg, pool, bot, Clock())
        finally:
            await pool.close()
        assert tg.violations == []


async def test_a_long_message_goes_in_parts_and_is_marked_sent_once(senders: Senders) -> None:
    message_id = await senders.queue(LONG)
    sender = senders.sender()
    await sender.handle(await senders.claim(sender))
    assert senders.tg.texts(CHAT) == PARTS
    sent = await senders.row(message_id)
    assert (sent["status"], sent["parts_sent"], sent["telegram_message_id"]) == ("sent", 2, 3)


@pytest.mark.parametrize("lost_before", [2, 3], ids=["a middle part", "the last part"])
async def test_a_sender_that_lost_its_claim_stops_and_the_new_holder_goes_on(
    senders: Senders, lost_before: int, caplog: pytest.LogCaptureFixture
) -> None:
    message_id = await senders.queue(LONG)
    second = senders.sender()
    taken: list[OutboxClaim] = []

    async def take_over() -> None:
        taken.append(await senders.take_over(second))

    first = senders.sender(Interrupting(before={lost_before: take_over}))
    await first.handle(await senders.claim(first))

    # The part in flight when the claim was lost went; the first sender stopped there.
    assert senders.tg.texts(CHAT) == PARTS[:lost_before]
    left = await senders.row(message_id)
    assert (left["status"], left["locked_by"]) == ("pending", second.worker)
    assert left["parts_sent"] == lost_before - 1
    assert "lost its claim" in caplog.text

    (held,) = taken
    assert held.message.parts_sent == lost_before - 1
    await second.handle(held)
    texts = senders.tg.texts(CHAT)
    assert texts == PARTS[:lost_before] + PARTS[lost_before - 1 :]  # one part twice, none lost
    sent = await senders.row(message_id)
    assert (sent["status"], sent["sent_at"], sent["attempts"]) == ("sent", senders.clock(), 2)


async def test_a_flood_wait_after_a_lost_claim_leaves_the_new_holder_be(
    senders: Senders,
) -> None:
    queued_at = senders.clock()
    message_id = await senders.queue("hello")
    second = senders.sender()
    taken: list[OutboxClaim] = []

    async def take_over() -> None:
        taken.append(await senders.take_over(second))

    senders.tg.fail("sendMessage", retry_after=5)
    first = senders.sender(Interrupting(before={1: take_over}))
    await first.handle(await senders.claim(first))

    left = await senders.row(message_id)
    assert (left["locked_by"], left["not_before"], left["attempts"]) == (
        second.worker,
        queued_at,
        2,
    )
    await second.handle(taken[0])
    assert senders.tg.texts(CHAT) == ["hello"]
    assert (await senders.row(message_id))["status"] == "sent"


async def test_a_block_after_a_lost_claim_settles_nothing(senders: Senders) -> None:
    message_id = await senders.queue("hello")
    second = senders.sender()

    async def take_over() -> None:
        await senders.take_over(second)

    senders.tg.block(CHAT)
    first = senders.sender(Interrupting(before={1: take_over}))
    await first.handle(await senders.claim(first))
    left = await senders.row(message_id)
    assert (left["status"], left["locked_by"], left["last_error"]) == (
        "pending",
        second.worker,
        None,
    )


async def test_a_flood_wait_gives_the_message_back_uncounted(senders: Senders) -> None:
    message_id = await senders.queue("hello")
    senders.tg.fail("sendMessage", retry_after=5)
    sender = senders.sender()
    await sender.handle(await senders.claim(sender))
    row = await senders.row(message_id)
    assert (row["status"], row["locked_by"], row["attempts"]) == ("pending", None, 0)
    assert row["not_before"] == senders.clock() + timedelta(seconds=5)


async def test_a_server_error_gives_the_message_back_counted(senders: Senders) -> None:
    message_id = await senders.queue("hello")
    senders.tg.fail("sendMessage", status=502, description="Bad Gateway")
    sender = senders.sender()
    await sender.handle(await senders.claim(sender))
    row = await senders.row(message_id)
    assert (row["status"], row["locked_by"], row["attempts"]) == ("pending", None, 1)
    assert "Bad Gateway" in row["last_error"]
    wait = row["not_before"] - senders.clock()
    assert timedelta(seconds=0.8) <= wait <= timedelta(seconds=1.2)


async def test_a_blocked_user_settles_the_message_blocked(senders: Senders) -> None:
    message_id = await senders.queue("hello")
    senders.tg.block(CHAT)
    sender = senders.sender()
    await sender.handle(await senders.claim(sender))
    row = await senders.row(message_id)
    assert (row["status"], row["last_error"]) == (
        "blocked",
        "Forbidden: bot was blocked by the user",
    )


async def test_a_button_press_is_answered_and_its_keyboard_taken_off(senders: Senders) -> None:
    now = senders.clock()
    await outbox.enqueue_callback_answer(
        senders.pool, chat_id=CHAT, query_id="q7", message_id=12, now=now
    )
    sender = senders.sender()
    await sender.handle(await senders.claim(sender))
    answered = senders.tg.calls_of("answerCallbackQuery")
    edited = senders.tg.calls_of("editMessageReplyMarkup")
    assert [c.fields["callback_query_id"] for c in answered] == ["q7"]
    assert [(c.fields["chat_id"], c.fields["message_id"]) for c in edited] == [(CHAT, 12)]
    assert await senders.pool.fetchval("SELECT status FROM outbox") == "sent"


class AwayFor:
    """The pool, but the next `failing` statements fail as when the database restarts."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool, self.failing = pool, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pool, name)

    async def fetchval(self, *args: Any, **kwargs: Any) -> Any:
        if self.failing:
            self.failing -= 1
            raise asyncpg.InterfaceError("connection was closed in the middle of operation")
        return await self.pool.fetchval(*args, **kwargs)


@pytest.mark.parametrize(
    ("text", "parts"), [("hello", ["hello"]), (LONG, PARTS)], ids=["the last part", "a first part"]
)
async def test_what_telegram_accepted_while_the_database_was_away_is_not_sent_again(
    senders: Senders, text: str, parts: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    message_id = await senders.queue(text)
    away = AwayFor(senders.pool)
    sender = OutboxSender(
        away,  # type: ignore[arg-type]
        senders.bot,
        wall=senders.clock,
        limiter=Interrupting(),
        lease=LEASE,
    )
    held = await senders.claim(sender)
    away.failing = 1  # recording the first part Telegram accepts fails
    await sender.handle(held)
    assert senders.tg.texts(CHAT) == parts[:1]

    # Long after, the database is back: what was accepted is recorded before the next claim.
    senders.clock.advance(seconds=LEASE.total_seconds() + 1)
    now = senders.clock()
    for again in await sender.claim(10, now, now + LEASE):
        await sender.handle(again)
    assert senders.tg.texts(CHAT) == parts  # each part once
    sent = await senders.row(message_id)
    assert (sent["status"], sent["parts_sent"]) == ("sent", len(parts) - 1)
    assert "recording it failed" in caplog.text


class HeldOnce:
    """The pool, but the next statement that records a message waits until `go` is set."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool, self.holding = pool, False
        self.waiting, self.go = asyncio.Event(), asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pool, name)

    async def fetchval(self, *args: Any, **kwargs: Any) -> Any:
        if self.holding:
            self.holding = False
            self.waiting.set()
            await self.go.wait()
        return await self.pool.fetchval(*args, **kwargs)


async def test_a_claim_while_a_message_is_being_recorded_leaves_the_record_to_its_writer(
    senders: Senders, caplog: pytest.LogCaptureFixture
) -> None:
    message_id = await senders.queue("hello")
    slow = HeldOnce(senders.pool)
    sender = OutboxSender(
        slow,  # type: ignore[arg-type]
        senders.bot,
        wall=senders.clock,
        limiter=Interrupting(),
        lease=LEASE,
    )
    held = await senders.claim(sender)
    slow.holding = True
    handling = asyncio.create_task(sender.handle(held))
    await slow.waiting.wait()  # Telegram accepted it; its record is being written
    now = senders.clock()
    assert await sender.claim(10, now, now + LEASE) == []
    slow.go.set()
    await handling
    assert senders.tg.texts(CHAT) == ["hello"]
    assert (await senders.row(message_id))["status"] == "sent"
    assert "lost its claim" not in caplog.text


async def test_zoom_and_calendar_links_go_without_a_preview_other_links_with(
    senders: Senders,
) -> None:
    sender = senders.sender()
    for text in (
        "Встреча: https://us05web.zoom.us/j/85746065001?pwd=x",
        "In your calendar: https://calendar.google.com/calendar/event?eid=abc",
        "The listing: https://truerealestate.bali/villa-7",
    ):
        await senders.queue(text)
        await sender.handle(await senders.claim(sender))
    options = [c.fields.get("link_preview_options") for c in senders.tg.sent(CHAT)]
    assert options == [{"is_disabled": True}, {"is_disabled": True}, None]


async def test_a_photo_goes_with_its_caption_and_is_marked_sent(senders: Senders) -> None:
    picture = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    message_id = await outbox.enqueue_photo(
        senders.pool, chat_id=CHAT, png=picture, caption="The team <week>", now=senders.clock()
    )
    sender = senders.sender()
    await sender.handle(await senders.claim(sender))
    (call,) = senders.tg.calls_of("sendPhoto")
    upload = call.fields["photo"]
    assert (upload.filename, upload.content_type, upload.data) == (
        "chart.png",
        "image/png",
        picture,
    )
    assert (call.fields["caption"], call.fields["parse_mode"]) == ("The team &lt;week&gt;", "HTML")
    assert senders.tg.sent(CHAT) == []
    row = await senders.row(message_id)
    assert (row["status"], row["telegram_message_id"]) == ("sent", 1)
