"""A turn's record: begun with its chat locked, ended in one statement that saves the chat,
queues the reply and finishes the inbox item only under the claim that holds it."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import asyncpg

from db import inbox, outbox, turns
from db.inbox import Claim, Update
from tests.conftest import NOW


async def claimed(conn: asyncpg.Connection, chat_id: int) -> Claim:
    await inbox.add_updates(
        conn, updates=[Update(chat_id * 10, chat_id, "message", {"n": 1})], now=NOW
    )
    (claim,) = await inbox.claim(
        conn, worker="w1", limit=1, now=NOW, until=NOW + timedelta(seconds=30)
    )
    return claim


async def turn_row(conn: asyncpg.Connection, turn_id: int) -> asyncpg.Record:
    row = await conn.fetchrow("SELECT * FROM turns WHERE id = $1", turn_id)
    assert row is not None
    return row


def ending(turn_id: int, chat_id: int, claim: Claim | None, **changes: Any) -> dict[str, Any]:
    return {
        "turn_id": turn_id,
        "chat_id": chat_id,
        "history": '{"v": 1, "messages": ["m"]}',
        "language": "en",
        "pending_approval": None,
        "pending_expires_at": None,
        "actor_role": "active",
        "requests": 1,
        "input_tokens": 10,
        "output_tokens": 2,
        "outcome": "ok",
        "text": "the reply",
        "buttons": [[{"text": "Go", "data": "go"}]],
        "claim": claim,
        "now": NOW,
        **changes,
    }


async def test_a_first_turn_creates_the_chat_and_opens_its_row(conn: asyncpg.Connection) -> None:
    chat, turn_id = await turns.begin_turn(
        conn, chat_id=71, actor_telegram_id=71, model="scripted", now=NOW
    )
    assert (chat.chat_id, chat.language, chat.history, chat.pending_approval) == (
        71,
        None,
        "[]",
        None,
    )
    row = await turn_row(conn, turn_id)
    assert (row["chat_id"], row["actor_role"], row["model"], row["finished_at"]) == (
        71,
        "unknown",
        "scripted",
        None,
    )


async def test_the_end_saves_everything_and_returns_the_turns_messages(
    conn: asyncpg.Connection,
) -> None:
    claim = await claimed(conn, 72)
    _, turn_id = await turns.begin_turn(
        conn, chat_id=72, actor_telegram_id=72, model="m", now=NOW, inbox_id=claim.id
    )
    await outbox.enqueue(conn, chat_id=1000, text="to the admin", turn_id=turn_id, now=NOW)
    ended = await turns.end_turn(conn, **ending(turn_id, 72, claim))

    assert ended.finished
    assert [(m.chat_id, m.text) for m in ended.messages] == [
        (1000, "to the admin"),
        (72, "the reply"),
    ]
    assert ended.messages[-1].buttons == [[{"text": "Go", "data": "go"}]]
    saved, _ = await turns.begin_turn(conn, chat_id=72, actor_telegram_id=72, model="m", now=NOW)
    assert (json.loads(saved.history), saved.language) == ({"v": 1, "messages": ["m"]}, "en")
    row = await turn_row(conn, turn_id)
    assert (row["actor_role"], row["requests"], row["outcome"], row["finished_at"]) == (
        "active",
        1,
        "ok",
        NOW,
    )
    item = await inbox.get_item(conn, inbox_id=claim.id)
    assert (item["status"], item["locked_until"]) == ("done", None)


async def test_a_claim_taken_since_finishes_nothing(conn: asyncpg.Connection) -> None:
    claim = await claimed(conn, 73)
    _, turn_id = await turns.begin_turn(
        conn, chat_id=73, actor_telegram_id=73, model="m", now=NOW, inbox_id=claim.id
    )
    stale = Claim(claim.id, 73, "message", {}, claim.attempt, "another worker")
    ended = await turns.end_turn(conn, **ending(turn_id, 73, stale))
    assert not ended.finished
    assert (await inbox.get_item(conn, inbox_id=claim.id))["status"] == "pending"


async def test_a_turn_without_a_claim_ends_all_the_same(conn: asyncpg.Connection) -> None:
    _, turn_id = await turns.begin_turn(conn, chat_id=74, actor_telegram_id=74, model="m", now=NOW)
    ended = await turns.end_turn(conn, **ending(turn_id, 74, None, language=None, buttons=None))
    assert not ended.finished
    assert [(m.text, m.buttons) for m in ended.messages] == [("the reply", None)]
    saved, _ = await turns.begin_turn(conn, chat_id=74, actor_telegram_id=74, model="m", now=NOW)
    assert saved.language is None
