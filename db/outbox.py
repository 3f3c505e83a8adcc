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
    kind: str = "message"
    payload: dict[str, Any] | None = None
    parts_sent: int = 0
    attempts: int = 0

    @classmethod
    def from_row(cls, row: Any) -> OutboxMessage:
        return cls(
            row["id"],
            row["chat_id"],
            row["text"],
            row["buttons"],
            row["status"],
            row["kind"],
            row["payload"],
            row["parts_sent"],
            row["attempts"],
        )


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


async def enqueue_callback_answer(
    db: Executor, *, chat_id: int, query_id: str, message_id: int | None, now: datetime
) -> None:
    """Answers a button press (stops its spinner) and takes the keyboard off its message."""
    await _q.execute(
        db,
        "enqueue_callback_answer",
        chat_id=chat_id,
        payload={"callback_query_id": query_id, "message_id": message_id},
        dedupe_key=f"callback:{query_id}",
        now=now,
    )


async def claim(
    db: Executor, *, worker: str, limit: int, now: datetime, until: datetime
) -> list[OutboxMessage]:
    rows = await _q.fetch(db, "claim", worker=worker, limit=limit, now=now, until=until)
    return sorted((OutboxMessage.from_row(r) for r in rows), key=lambda m: m.id)


async def next_due(db: Executor) -> datetime | None:
    due: datetime | None = await _q.fetchval(db, "next_due")
    return due


async def part_sent(
    db: Executor, *, message_id: int, worker: str, parts_sent: int, telegram_message_id: int
) -> None:
    await _q.execute(
        db,
        "part_sent",
        id=message_id,
        worker=worker,
        parts_sent=parts_sent,
        telegram_message_id=telegram_message_id,
    )


async def settle(
    db: Executor,
    *,
    message_id: int,
    worker: str,
    status: str,
    now: datetime,
    error: str | None = None,
    telegram_message_id: int | None = None,
) -> None:
    """Sent, blocked (the user blocked the bot) or failed (Telegram will never take it)."""
    await _q.execute(
        db,
        "settle",
        id=message_id,
        worker=worker,
        status=status,
        now=now,
        error=error,
        telegram_message_id=telegram_message_id,
    )


async def retry_later(
    db: Executor, *, message_id: int, worker: str, not_before: datetime, error: str | None
) -> None:
    """Gives the message back to be sent from `not_before`; without an error it is not counted
    as an attempt (a shutdown, or Telegram asking to wait)."""
    await _q.execute(
        db,
        "retry_later",
        id=message_id,
        worker=worker,
        not_before=not_before,
        error=error,
        refund=0 if error else 1,
    )


async def extend(db: Executor, *, worker: str, ids: list[int], until: datetime) -> None:
    await _q.execute(db, "extend", worker=worker, ids=ids, until=until)
