"""One row per turn: who, which model, how many requests and tokens, how it ended."""

from __future__ import annotations

from datetime import datetime

from db.queries import Executor, Queries

_q = Queries("turns")


async def start_turn(
    db: Executor,
    *,
    chat_id: int,
    actor_telegram_id: int | None,
    actor_role: str,
    model: str | None,
    now: datetime,
    inbox_id: int | None = None,
) -> int:
    turn_id: int = await _q.fetchval(
        db,
        "start",
        chat_id=chat_id,
        inbox_id=inbox_id,
        actor_telegram_id=actor_telegram_id,
        actor_role=actor_role,
        model=model,
        now=now,
    )
    return turn_id


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
