"""What came in and waits for a turn: Telegram updates and scheduler events, claimed per chat
with a lease so that chats are served at once and each one in order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from db import claims, scheduler
from db.queries import Executor, Queries

_q = Queries("inbox")


@dataclass(frozen=True, slots=True)
class Update:
    """A Telegram update to keep: the chat it belongs to and whether it is a button press."""

    update_id: int
    chat_id: int
    kind: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Claim:
    """One worker's hold on one item (a `claims.Claimed`); `attempt` tells this claim from an
    older one."""

    id: int
    chat_id: int
    kind: str
    payload: dict[str, Any]
    attempt: int
    worker: str


async def add_updates(db: Executor, *, updates: list[Update], now: datetime) -> dict[int, int]:
    """Keeps the updates not seen before; returns their inbox ids by update_id."""
    rows = await _q.fetch(
        db,
        "add_updates",
        chat_ids=[u.chat_id for u in updates],
        kinds=[u.kind for u in updates],
        update_ids=[u.update_id for u in updates],
        payloads=[u.payload for u in updates],
        now=now,
    )
    return {r["update_id"]: r["id"] for r in rows}


async def claim(
    db: Executor, *, worker: str, limit: int, now: datetime, until: datetime
) -> list[Claim]:
    """Claims what is due; a scheduler event no longer true is dropped first, not served."""
    await scheduler.drop_void_events(db, now=now)
    rows = await _q.fetch(db, "claim", worker=worker, limit=limit, now=now, until=until)
    return [
        Claim(r["id"], r["chat_id"], r["kind"], r["payload"], r["attempts"], worker)
        for r in sorted(rows, key=lambda r: r["id"])
    ]


async def extend(db: Executor, *, held: Sequence[Claim], until: datetime) -> set[int]:
    return await claims.extend(_q, db, held=held, until=until)


async def finish(
    db: Executor, *, claim: Claim, now: datetime, failed: bool = False, error: str | None = None
) -> bool:
    """Marks the item done (or set aside); False when this claim no longer holds it."""
    done = await _q.fetchval(
        db,
        "finish",
        **claims.fence(claim),
        status="failed" if failed else "done",
        error=error,
        now=now,
    )
    return done is not None


async def release(
    db: Executor,
    *,
    claim: Claim,
    not_before: datetime,
    error: str | None = None,
    counts: bool = True,
) -> bool:
    return await claims.release(
        _q, db, claim=claim, not_before=not_before, error=error, counts=counts
    )


async def get_item(db: Executor, *, inbox_id: int) -> Any:
    return await _q.fetchrow(db, "get", id=inbox_id)


async def items_of_chat(db: Executor, *, chat_id: int) -> list[Any]:
    return await _q.fetch(db, "of_chat", chat_id=chat_id)


async def pending_count(db: Executor) -> int:
    count: int = await _q.fetchval(db, "pending_count")
    return count
