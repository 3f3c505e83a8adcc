"""One row per turn: who, which model, how many requests and tokens, how it ended. A turn
begins by locking its chat and ends in one statement that also saves the chat and queues the
reply: a turn is a few round trips, whatever it holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from db.chats import ChatState
from db.inbox import Claim
from db.outbox import Buttons, OutboxMessage
from db.queries import Executor, Queries

_q = Queries("turns")


@dataclass(frozen=True, slots=True)
class Ended:
    finished: bool
    """Whether the turn's claim still held its inbox item, and finished it."""
    messages: list[OutboxMessage]


async def begin_turn(
    db: Executor,
    *,
    chat_id: int,
    actor_telegram_id: int | None,
    model: str | None,
    now: datetime,
    inbox_id: int | None = None,
) -> tuple[ChatState, int]:
    """The chat's state, locked until the end of the caller's transaction, and the turn's id."""
    row = await _q.fetchrow(
        db,
        "begin",
        chat_id=chat_id,
        inbox_id=inbox_id,
        actor_telegram_id=actor_telegram_id,
        model=model,
        now=now,
    )
    assert row is not None
    chat = ChatState(
        chat_id=row["chat_id"],
        language=row["language"],
        history=row["history"],
        pending_approval=row["pending_approval"],
        pending_expires_at=row["pending_expires_at"],
    )
    return chat, row["turn_id"]


async def end_turn(
    db: Executor,
    *,
    turn_id: int,
    chat_id: int,
    history: str,
    language: str | None,
    pending_approval: dict[str, Any] | None,
    pending_expires_at: datetime | None,
    actor_role: str,
    requests: int,
    input_tokens: int,
    output_tokens: int,
    outcome: str,
    text: str,
    buttons: Buttons | None,
    claim: Claim | None,
    now: datetime,
) -> Ended:
    rows = await _q.fetch(
        db,
        "end",
        turn_id=turn_id,
        chat_id=chat_id,
        history=history,
        language=language,
        pending_approval=pending_approval,
        pending_expires_at=pending_expires_at,
        actor_role=actor_role,
        requests=requests,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        outcome=outcome,
        text=text,
        buttons=buttons,
        inbox_id=claim.id if claim else None,
        worker=claim.worker if claim else None,
        attempt=claim.attempt if claim else None,
        now=now,
    )
    return Ended(
        finished=bool(rows) and rows[0]["finished"],
        messages=[OutboxMessage.from_row(r) for r in rows],
    )


async def finish_turn(
    db: Executor,
    *,
    turn_id: int,
    requests: int,
    input_tokens: int,
    output_tokens: int,
    outcome: str,
    now: datetime,
) -> None:
    await _q.execute(
        db,
        "finish",
        id=turn_id,
        requests=requests,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        outcome=outcome,
        now=now,
    )
