"""The outbox: messages queued once, claimed per chat in order, a long one's parts recorded as
they go so that its next holder goes on from there; the claim itself is in test_claims."""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg
import pytest

from db import outbox
from db.chats import TEAM_CHAT, NotAPersonsChat
from db.outbox import OutboxClaim
from tests.conftest import NOW

LEASE = timedelta(seconds=30)
EXPIRED = NOW + LEASE + timedelta(seconds=1)


async def claim(
    conn: asyncpg.Connection, worker: str = "w1", at: datetime = NOW, limit: int = 10
) -> list[OutboxClaim]:
    return await outbox.claim(conn, worker=worker, limit=limit, now=at, until=at + LEASE)


async def queue(conn: asyncpg.Connection, chat_id: int, text: str, **more) -> int:
    message_id = await outbox.enqueue(conn, chat_id=chat_id, text=text, now=NOW, **more)
    assert message_id is not None
    return message_id


async def row(conn: asyncpg.Connection, message_id: int) -> asyncpg.Record:
    found = await conn.fetchrow("SELECT * FROM outbox WHERE id = $1", message_id)
    assert found is not None
    return found


async def test_a_message_with_a_dedupe_key_is_queued_once(conn: asyncpg.Connection) -> None:
    first = await outbox.enqueue(conn, chat_id=1, text="a", now=NOW, dedupe_key="reminder:9")
    again = await outbox.enqueue(conn, chat_id=1, text="b", now=NOW, dedupe_key="reminder:9")
    assert first is not None and again is None
    assert [c.message.text for c in await claim(conn)] == ["a"]


async def test_each_chat_gets_its_messages_one_at_a_time_in_order(
    conn: asyncpg.Connection,
) -> None:
    for chat_id, text in [(1, "1a"), (2, "2a"), (1, "1b")]:
        await queue(conn, chat_id, text)
    first = await claim(conn)
    assert [(c.message.chat_id, c.message.text, c.worker) for c in first] == [
        (1, "1a", "w1"),
        (2, "2a", "w1"),
    ]
    assert await claim(conn, "w2") == []
    assert await outbox.settle(conn, claim=first[0], status="sent", now=NOW)
    assert [c.message.text for c in await claim(conn, "w2")] == ["1b"]


async def test_a_message_retried_later_keeps_its_chat_waiting(conn: asyncpg.Connection) -> None:
    held_id = await queue(conn, 1, "first")
    await queue(conn, 1, "second")
    (held,) = await claim(conn)
    retry_at = NOW + timedelta(seconds=5)
    assert await outbox.release(conn, claim=held, not_before=retry_at, error="timeout")
    assert await outbox.next_due(conn) == NOW  # "second" is due, yet waits behind "first"
    assert await claim(conn, at=NOW + timedelta(seconds=4)) == []
    (again,) = await claim(conn, at=retry_at)
    assert (again.id, again.attempt) == (held_id, 2)


async def test_the_next_holder_goes_on_from_the_parts_recorded(conn: asyncpg.Connection) -> None:
    message_id = await queue(conn, 1, "long")
    (lost,) = await claim(conn)
    assert await outbox.part_sent(conn, claim=lost, parts_sent=1, telegram_message_id=41)

    (taken,) = await claim(conn, "w2", at=EXPIRED)
    assert taken.message.parts_sent == 1
    assert not await outbox.part_sent(conn, claim=lost, parts_sent=2, telegram_message_id=42)
    assert (await row(conn, message_id))["parts_sent"] == 1

    assert await outbox.part_sent(conn, claim=taken, parts_sent=2, telegram_message_id=42)
    assert await outbox.settle(conn, claim=taken, status="sent", now=EXPIRED)
    sent = await row(conn, message_id)
    assert (sent["status"], sent["parts_sent"], sent["telegram_message_id"]) == ("sent", 2, 42)
    assert (sent["sent_at"], sent["locked_by"], sent["attempts"]) == (EXPIRED, None, 2)


async def test_a_message_never_sendable_is_settled_with_why(conn: asyncpg.Connection) -> None:
    message_id = await queue(conn, 1, "hello")
    (held,) = await claim(conn)
    error = "Forbidden: bot was blocked by the user"
    assert await outbox.settle(conn, claim=held, status="blocked", now=NOW, error=error)
    blocked = await row(conn, message_id)
    assert (blocked["status"], blocked["last_error"]) == ("blocked", error)
    assert await outbox.next_due(conn) is None


async def test_a_button_press_is_answered_once(conn: asyncpg.Connection) -> None:
    for _ in range(2):
        await outbox.enqueue_callback_answer(conn, chat_id=1, query_id="q7", message_id=12, now=NOW)
    (answer,) = await claim(conn)
    message = answer.message
    assert (message.kind, message.text, message.payload) == (
        "callback_answer",
        "",
        {"callback_query_id": "q7", "message_id": 12},
    )


async def test_the_latest_message_with_buttons_is_found(conn: asyncpg.Connection) -> None:
    yes_no = [[{"text": "Yes", "data": "yes"}, {"text": "No", "data": "no"}]]
    await queue(conn, 1, "older", buttons=[[{"text": "Ok", "data": "ok"}]])
    latest = await queue(conn, 1, "confirm?", buttons=yes_no)
    await queue(conn, 1, "plain")
    found = await outbox.latest_with_buttons(conn, chat_id=1)
    assert found is not None
    assert (found.id, found.buttons) == (latest, yes_no)
    assert await outbox.latest_with_buttons(conn, chat_id=2) is None


async def test_messages_shown_elsewhere_are_marked_sent_without_a_claim(
    conn: asyncpg.Connection,
) -> None:
    """The console shows a turn's replies itself: they never reach the sender."""
    ids = [await queue(conn, 1, "a"), await queue(conn, 1, "b")]
    await outbox.mark_sent(conn, ids=ids, now=NOW)
    assert [(await row(conn, i))["status"] for i in ids] == ["sent", "sent"]
    assert await claim(conn) == []


async def test_a_sent_message_is_found_by_telegrams_id_in_its_chat_only(
    conn: asyncpg.Connection,
) -> None:
    about = {"prospect_id": "test_prospect_001", "meeting_id": "not-a-uuid"}
    sent = await queue(conn, 501, "Напоминаю про Алексея", about=about)
    await conn.execute("UPDATE outbox SET telegram_message_id = 77 WHERE id = $1", sent)
    found = await outbox.replied_to(conn, chat_id=501, message_id=77)
    assert found is not None
    assert (found.text, found.prospect_name, found.meeting_id, found.event) == (
        "Напоминаю про Алексея",
        "Алексей Петров",
        None,  # an id that names nothing is no error
        None,
    )
    assert await outbox.replied_to(conn, chat_id=502, message_id=77) is None
    assert await outbox.replied_to(conn, chat_id=501, message_id=78) is None


async def test_nothing_is_ever_queued_to_the_teams_background_chat(
    conn: asyncpg.Connection,
) -> None:
    with pytest.raises(NotAPersonsChat):
        await outbox.enqueue(conn, chat_id=TEAM_CHAT, text="a", now=NOW)
    with pytest.raises(NotAPersonsChat):
        await outbox.enqueue_photo(conn, chat_id=TEAM_CHAT, png=b"", caption="c", now=NOW)
    with pytest.raises(NotAPersonsChat):
        await outbox.enqueue_callback_answer(
            conn, chat_id=TEAM_CHAT, query_id="q", message_id=None, now=NOW
        )
    assert await conn.fetchval("SELECT count(*) FROM outbox") == 0
