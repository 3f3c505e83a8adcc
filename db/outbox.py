"""Messages waiting to be sent, written in the same transaction as the turn that made them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from db.queries import Executor, Queries

_q = Queries("outbox")

Buttons = list[list[dict[str, str]]]


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    id: int
    chat_id: int
    text: str
    buttons: Buttons | None
    status: str

    @classmethod
    def from_row(cls, row: Any) -> OutboxMessage:
        return cls(row["id"], row["chat_id"], row["text"], row["buttons"], row["status"])


async def enqueue(
    db: Executor,
    *,
    chat_id: int,
    text: str,
    now: datetime,
    buttons: Buttons | None = None,
    turn_id: int | None = None,
    dedupe_key: str | None = None,
) -> int | None:
    """Queues a message; None when its dedupe key was queued before."""
    message_id: int | None = await _q.fetchval(
        db,
        "enqueue",
        chat_id=chat_id,
        text=text,
        buttons=buttons,
        turn_id=turn_id,
        dedupe_key=dedupe_key,
        now=now,
    )
    return message_id


async def messages_of_turn(db: Executor, *, turn_id: int) -> list[OutboxMessage]:
    return [OutboxMessage.from_row(r) for r in await _q.fetch(db, "of_turn", turn_id=turn_id)]


async def latest_with_buttons(db: Executor, *, chat_id: int) -> OutboxMessage | None:
    row = await _q.fetchrow(db, "latest_with_buttons", chat_id=chat_id)
    return OutboxMessage.from_row(row) if row else None


async def mark_sent(db: Executor, *, ids: list[int], now: datetime) -> None:
    await _q.execute(db, "mark_sent", ids=ids, now=now)
