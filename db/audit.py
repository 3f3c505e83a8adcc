"""The audit log: every tool call, who made it, and whether it was allowed."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from db.queries import Executor, Queries

_q = Queries("audit")


async def record(
    db: Executor,
    *,
    tool: str,
    args: dict[str, Any],
    allowed: bool,
    outcome: str,
    actor_role: str,
    now: datetime,
    actor_telegram_id: int | None = None,
    actor_rep_id: UUID | None = None,
    turn_id: int | None = None,
    detail: str | None = None,
) -> None:
    await _q.execute(
        db,
        "record",
        tool=tool,
        args=args,
        allowed=allowed,
        outcome=outcome,
        actor_role=actor_role,
        actor_telegram_id=actor_telegram_id,
        actor_rep_id=actor_rep_id,
        turn_id=turn_id,
        detail=detail,
        now=now,
    )
