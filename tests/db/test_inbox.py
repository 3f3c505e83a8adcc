"""The inbox: updates kept once, claimed per chat in order with a lease, finished only by the
claim that holds them."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg
import pytest

from db import inbox
from db.inbox import Update
from db.pool import create_pool
from tests.conftest import NOW

LEASE = timedelta(seconds=30)


def update(update_id: int, chat_id: int) -> Update:
    return Update(update_id, chat_id, "message", {"update_id": update_id, "n": update_id})


async def claim(conn: asyncpg.Connection, worker: str = "w1", limit: int = 10, at=NOW):
    return await inbox.claim(conn, worker=worker, limit=limit, now=at, until=at + LEASE)


async def test_an_update_seen_before_is_dropped(conn: asyncpg.Connection) -> None:
    first = await inbox.add_updates(conn, updates=[update(7, 1), update(8, 1)], now=NOW)
    again = await inbox.add_updates(conn, updates=[update(8, 1), update(9, 2)], now=NOW)
    assert sorted(first) == [7, 8]
    assert list(again) == [9]
    rows = await inbox.items_of_chat(conn, chat_id=1)
    assert [r["payload"]["n"] for r in rows] == [7, 8]


async def test_one_item_per_chat_at_a_time_oldest_first(conn: asyncpg.Connection) -> None:
    await inbox.add_updates(
        conn, updates=[update(1, 10), update(2, 20), update(3, 10), update(4, 30)], now=NOW
    )
    first = await claim(conn)
    assert [(c.chat_id, c.payload["n"]) for c in first] == [(10, 1), (20, 2), (30, 4)]
    assert await claim(conn, "w2") == []  # chat 10's next item waits for its first

    assert await inbox.finish(conn, claim=first[0], now=NOW)
    second = await claim(conn, "w2")
    assert [(c.chat_id, c.payload["n"], c.worker) for c in second] == [(10, 3, "w2")]


async def test_the_limit_caps_a_claim(conn: asyncpg.Connection) -> None:
    await inbox.add_updates(conn, updates=[update(n, n) for n in range(1, 6)], now=NOW)
    assert [c.chat_id for c in await claim(conn, limit=2)] == [1, 2]
    assert [c.chat_id for c in await claim(conn, limit=10)] == [3, 4, 5]


async def test_an_expired_lease_is_taken_again_and_the_old_claim_cannot_finish(
    conn: asyncpg.Connection,
) -> None:
    await inbox.add_updates(conn, updates=[update(1, 10)], now=NOW)
    (dead,) = await claim(conn, "dead")
    assert await claim(conn, "w2", at=NOW + LEASE / 2) == []

    (alive,) = await claim(conn, "w2", at=NOW + LEASE + timedelta(seconds=1))
    assert (alive.id, alive.attempt) == (dead.id, 2)
    assert not await inbox.finish(conn, claim=dead, now=NOW)
    assert await inbox.finish(conn, claim=alive, now=NOW)
    assert (await inbox.get_item(conn, inbox_id=alive.id))["status"] == "done"


async def test_a_lease_kept_alive_is_not_taken(conn: asyncpg.Connection) -> None:
    await inbox.add_updates(conn, updates=[update(1, 10)], now=NOW)
    (held,) = await claim(conn, "w1")
    later = NOW + LEASE + timedelta(seconds=5)
    assert await inbox.extend(conn, held=[held], until=later + LEASE) == {held.id}
    assert await claim(conn, "w2", at=later) == []


@pytest.mark.parametrize(("error", "attempts"), [(None, 0), ("boom", 1)])
async def test_a_release_gives_the_item_back_from_its_time(
    conn: asyncpg.Connection, error: str | None, attempts: int
) -> None:
    await inbox.add_updates(conn, updates=[update(1, 10)], now=NOW)
    (held,) = await claim(conn)
    retry_at = NOW + timedelta(seconds=4)
    await inbox.release(conn, claim=held, not_before=retry_at, error=error)
    row = await inbox.get_item(conn, inbox_id=held.id)
    assert (row["attempts"], row["locked_by"], row["last_error"]) == (attempts, None, error)
    assert await claim(conn, at=NOW + timedelta(seconds=3)) == []
    assert len(await claim(conn, at=retry_at)) == 1


async def test_two_workers_claiming_at_once_never_share_an_item(db_dsn: str) -> None:
    pool = await create_pool(db_dsn, max_size=8)
    try:
        await inbox.add_updates(pool, updates=[update(n, n % 25) for n in range(1, 201)], now=NOW)
        taken: list[tuple[int, int]] = []

        async def work(name: str) -> None:
            while True:
                claims = await inbox.claim(pool, worker=name, limit=3, now=NOW, until=NOW + LEASE)
                if not claims and await inbox.pending_count(pool) == 0:
                    return
                for c in claims:
                    taken.append((c.chat_id, c.payload["n"]))
                    assert await inbox.finish(pool, claim=c, now=NOW)
                await asyncio.sleep(0)

        await asyncio.gather(*(work(f"w{i}") for i in range(6)))
    finally:
        await pool.close()
    assert sorted(n for _, n in taken) == list(range(1, 201))
    for chat in range(25):
        mine = [n for c, n in taken if c == chat]
        assert mine == sorted(mine)


async def test_an_item_waiting_for_its_retry_keeps_its_chat_waiting(
    conn: asyncpg.Connection,
) -> None:
    await inbox.add_updates(conn, updates=[update(1, 10), update(2, 10), update(3, 20)], now=NOW)
    first, other = await claim(conn)
    retry_at = NOW + timedelta(seconds=4)
    assert await inbox.release(conn, claim=first, not_before=retry_at, error="boom")
    assert await inbox.finish(conn, claim=other, now=NOW)

    assert await claim(conn, at=NOW + timedelta(seconds=3)) == []  # 2 waits behind 1
    (again,) = await claim(conn, at=retry_at)
    assert (again.id, again.attempt) == (first.id, 2)
    assert await inbox.finish(conn, claim=again, now=retry_at)
    assert [c.payload["n"] for c in await claim(conn, at=retry_at)] == [2]


async def event(conn: asyncpg.Connection, chat_id: int, n: int, due) -> None:
    await conn.execute(
        "INSERT INTO inbox (chat_id, kind, payload, created_at, not_before)"
        " VALUES ($1, 'event', $2, $3, $4)",
        chat_id,
        {"event": "team_digest", "data": {}, "n": n},  # always still true when served
        NOW,
        due,
    )


async def test_an_event_held_for_later_lets_its_chat_go_on(conn: asyncpg.Connection) -> None:
    await event(conn, 10, 1, due=NOW + timedelta(hours=8))  # the end of the rep's quiet hours
    await inbox.add_updates(conn, updates=[update(2, 10)], now=NOW)
    assert [c.payload["n"] for c in await claim(conn)] == [2]


async def test_an_event_waiting_for_a_confirmation_lets_the_answer_go_first(
    conn: asyncpg.Connection,
) -> None:
    await conn.execute(
        "INSERT INTO chats (chat_id, pending_approval, pending_expires_at, created_at, updated_at)"
        ' VALUES (10, \'{"approvals": ["c1"]}\', $1, $2, $2)',
        NOW + timedelta(minutes=15),
        NOW,
    )
    await event(conn, 10, 1, due=NOW)
    await inbox.add_updates(conn, updates=[update(2, 10)], now=NOW)
    assert [c.payload["n"] for c in await claim(conn)] == [2]


async def test_a_retried_event_keeps_its_chat_waiting_even_past_its_hold(
    conn: asyncpg.Connection,
) -> None:
    await event(conn, 10, 1, due=NOW)
    (held,) = await claim(conn)
    assert await inbox.release(conn, claim=held, not_before=NOW + timedelta(seconds=8), error="x")
    await inbox.add_updates(conn, updates=[update(2, 10)], now=NOW)
    assert await claim(conn, at=NOW + timedelta(seconds=1)) == []
    assert [c.id for c in await claim(conn, at=NOW + timedelta(seconds=8))] == [held.id]
