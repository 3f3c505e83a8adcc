"""A chat's conversation state: the agent's history and a confirmation waiting for an answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from db.queries import Executor, Queries

_q = Queries("chats")


@dataclass(frozen=True, slots=True)
class ChatState:
    chat_id: int
    language: str | None
    history: Any
    pending_approval: dict[str, Any] | None
    pending_expires_at: datetime | None


async def lock_chat(db: Executor, *, chat_id: int, now: datetime) -> ChatState:
    """The chat's state, locked until the end of the caller's transaction."""
    row = await _q.fetchrow(db, "lock", chat_id=chat_id, now=now)
    assert row is not None
    return ChatState(
        chat_id=row["chat_id"],
        language=row["language"],
        history=row["history"],
        pending_approval=row["pending_approval"],
        pending_expires_at=row["pending_expires_at"],
    )


async def save_chat(
    db: Executor,
    *,
    chat_id: int,
    history: Any,
    now: datetime,
    language: str | None = None,
    pending_approval: dict[str, Any] | None = None,
    pending_expires_at: datetime | None = None,
) -> None:
    await _q.execute(
        db,
        "save",
        chat_id=chat_id,
        history=history,
        language=language,
        now=now,
        pending_approval=pending_approval,
        pending_expires_at=pending_expires_at,
    )


async def chat_language(db: Executor, *, chat_id: int) -> str | None:
    """The language a chat's person reads: their rep row's, else the one last seen in the chat."""
    language: str | None = await _q.fetchval(db, "language", chat_id=chat_id)
    return language
