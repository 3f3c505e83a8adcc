"""The one claim protocol, the same over both queues: a claim holds its row for its lease; once
the lease ran out another worker may take the row over, and then whatever the first claim does
to it (finish, release, extend) is refused and leaves the row as its new holder has it. The
fence is the worker and its attempt: the same worker claiming again fences out its older claim."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import pytest

from db import inbox, outbox
from db.claims import Claimed
from db.inbox import Update
from db.queries import Executor
from tests.conftest import NOW

LEASE = timedelta(seconds=30)
EXPIRED = NOW + LEASE + timedelta(seconds=1)
CHAT = 10


@dataclass(frozen=True)
class Queue:
    """What the protocol needs of a queue, by its own functions."""

    table: str
    finished: str
    add: Callable[[Executor], Awaitable[None]]
    claimer: Callable[..., Awaitable[Sequence[Any]]]
    finisher: Callable[[Executor, Any], Awaitable[bool]]
    releaser: Callable[..., Awaitable[bool]]
    extender: Callable[..., Awaitable[set[int]]]

    async def claim(self, db: Executor, worker: str, at: datetime = NOW) -> list[Claimed]:
        return list(await self.claimer(db, worker=worker, limit=10, now=at, until=at + LEASE))

    async def finish(self, db: Executor, claim: Claimed) -> bool:
        return await self.finisher(db, claim)

    async def release(self, db: Executor, claim: Claimed, error: str | None = None) -> bool:
        return await self.releaser(db, claim=claim, not_before=NOW, error=error)

    async def extend(self, db: Executor, claim: Claimed, until: datetime) -> set[int]:
        return await self.extender(db, held=[claim], until=until)

    async def row(self, db: Executor, claim: Claimed) -> tuple[str, str | None, int]:
        row = await db.fetchrow(
            f"SELECT status, locked_by, attempts FROM {self.table} WHERE id = $1", claim.id
        )
        return row["status"], row["locked_by"], row["attempts"]


async def _add_update(db: Executor) -> None:
    await inbox.add_updates(db, updates=[Update(1, CHAT, "message", {"n": 1})], now=NOW)


async def _add_message(db: Executor) -> None:
    await outbox.enqueue(db, chat_id=CHAT, text="hello", now=NOW)


async def _finish_item(db: Executor, claim: Any) -> bool:
    return await inbox.finish(db, claim=claim, now=NOW)


async def _send(db: Executor, claim: Any) -> bool:
    return await outbox.settle(db, claim=claim, status="sent", now=NOW, telegram_message_id=7)


QUEUES = [
    Queue("inbox", "done", _add_update, inbox.claim, _finish_item, inbox.release, inbox.extend),
    Queue("outbox", "sent", _add_message, outbox.claim, _send, outbox.release, outbox.extend),
]


@pytest.fixture(params=QUEUES, ids=[q.table for q in QUEUES])
async def queue(request: pytest.FixtureRequest, conn: asyncpg.Connection) -> Queue:
    q: Queue = request.param
    await q.add(conn)
    return q


async def test_a_claim_holds_its_row_for_its_lease(queue: Queue, conn: asyncpg.Connection):
    (held,) = await queue.claim(conn, "w1")
    assert (held.worker, held.attempt) == ("w1", 1)
    assert await queue.claim(conn, "w2", at=NOW + LEASE / 2) == []
    assert await queue.claim(conn, "w2", at=NOW + LEASE) == []
    assert await queue.row(conn, held) == ("pending", "w1", 1)


async def test_a_lease_kept_alive_outlasts_its_first_term(queue: Queue, conn: asyncpg.Connection):
    (held,) = await queue.claim(conn, "w1")
    assert await queue.extend(conn, held, until=EXPIRED + LEASE) == {held.id}
    assert await queue.claim(conn, "w2", at=EXPIRED) == []


async def test_after_the_lease_another_worker_takes_over_and_the_first_is_refused(
    queue: Queue, conn: asyncpg.Connection
):
    (late,) = await queue.claim(conn, "w1")
    (taken,) = await queue.claim(conn, "w2", at=EXPIRED)
    assert (taken.id, taken.worker, taken.attempt) == (late.id, "w2", 2)

    assert not await queue.finish(conn, late)
    assert not await queue.release(conn, late, error="boom")
    assert await queue.extend(conn, late, until=EXPIRED + LEASE) == set()
    assert await queue.row(conn, taken) == ("pending", "w2", 2)
    assert await queue.claim(conn, "w3", at=EXPIRED + LEASE / 2) == []  # w2's lease stands

    assert await queue.finish(conn, taken)
    assert (await queue.row(conn, taken))[0] == queue.finished


async def test_the_same_worker_claiming_again_fences_out_its_older_attempt(
    queue: Queue, conn: asyncpg.Connection
):
    (old,) = await queue.claim(conn, "w1")
    (new,) = await queue.claim(conn, "w1", at=EXPIRED)
    assert (new.worker, new.attempt) == ("w1", 2)

    assert not await queue.finish(conn, old)
    assert not await queue.release(conn, old)
    assert await queue.row(conn, new) == ("pending", "w1", 2)
    assert await queue.finish(conn, new)


async def test_a_finished_row_is_finished_once(queue: Queue, conn: asyncpg.Connection):
    (held,) = await queue.claim(conn, "w1")
    assert await queue.finish(conn, held)
    assert not await queue.finish(conn, held)
    assert not await queue.release(conn, held)
    assert await queue.extend(conn, held, until=EXPIRED) == set()
    assert await queue.claim(conn, "w2", at=EXPIRED) == []
    assert (await queue.row(conn, held))[0] == queue.finished


@pytest.mark.parametrize(("error", "attempts"), [(None, 0), ("boom", 1)])
async def test_a_release_gives_the_row_back_counting_only_a_failure(
    queue: Queue, conn: asyncpg.Connection, error: str | None, attempts: int
):
    (held,) = await queue.claim(conn, "w1")
    assert await queue.release(conn, held, error=error)
    assert await queue.row(conn, held) == ("pending", None, attempts)
    (again,) = await queue.claim(conn, "w2")
    assert again.attempt == attempts + 1


async def test_an_uncounted_release_never_lets_an_older_claim_back_in(
    queue: Queue, conn: asyncpg.Connection
):
    """A release without an error takes its attempt back; the attempt numbers it leaves are
    still above that of any claim lost before it."""
    (lost,) = await queue.claim(conn, "w1")
    (taken,) = await queue.claim(conn, "w2", at=EXPIRED)
    assert await queue.release(conn, taken)
    assert not await queue.finish(conn, lost)

    (again,) = await queue.claim(conn, "w1", at=EXPIRED)
    assert (again.worker, again.attempt) == ("w1", 2)
    assert not await queue.finish(conn, lost)
    assert await queue.finish(conn, again)
