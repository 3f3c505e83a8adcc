"""A chat's conversation state: the agent's history and a confirmation waiting for an answer.
A turn locks and saves it (`db.turns`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from db.queries import Executor, Queries

_q = Queries("chats")

TEAM_CHAT = 0
"""The inbox's chat for the team's background work (the scheduled HubSpot sync, owners written
back): no person's, never a Telegram chat (Telegram has no chat 0), so a long task held there
holds up no one's messages. No message is ever sent to it and no actor is looked up for it."""


class NotAPersonsChat(ValueError):
    """A message addressed to the team's background chat: a bug, since no one reads it."""


@dataclass(frozen=True, slots=True)
class ChatState:
    chat_id: int
    language: str | None
    history: str
    """JSON text, for `agent.history.load`."""
    pending_approval: dict[str, Any] | None
    pending_expires_at: datetime | None


async def chat_language(db: Executor, *, chat_id: int) -> str | None:
    """The language a chat's person reads: their rep row's, else the one last seen in the chat."""
    language: str | None = await _q.fetchval(db, "language", chat_id=chat_id)
    return language
