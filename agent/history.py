"""The agent's conversation history as stored per chat: JSON through pydantic-ai's adapter,
trimmed at user-turn boundaries so a tool call never loses its return."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from pydantic import ValidationError
from pydantic_ai.messages import ModelMessage, ModelMessagesTypeAdapter, ModelRequest

log = logging.getLogger(__name__)

VERSION = 1
MAX_MESSAGES = 40


def dump(messages: list[ModelMessage]) -> dict[str, Any]:
    """Instructions are left out: they are rebuilt for every request, and they are most of it."""
    lean = [
        dataclasses.replace(m, instructions=None) if isinstance(m, ModelRequest) else m
        for m in messages
    ]
    return {"v": VERSION, "messages": ModelMessagesTypeAdapter.dump_python(lean, mode="json")}


def load(stored: Any) -> list[ModelMessage]:
    """The stored history; one that no longer validates starts the chat afresh, never crashes it."""
    if not stored:
        return []
    raw = stored["messages"] if isinstance(stored, dict) else stored
    try:
        return ModelMessagesTypeAdapter.validate_python(raw)
    except ValidationError as e:
        log.warning("dropping a stored history that no longer loads: %s", e.errors()[:1])
        return []


def trim(messages: list[ModelMessage], limit: int = MAX_MESSAGES) -> list[ModelMessage]:
    """The newest whole user turns that fit in `limit` messages (at least the last turn)."""
    if len(messages) <= limit:
        return messages
    starts = [i for i, m in enumerate(messages) if _starts_turn(m)]
    fitting = [i for i in starts if len(messages) - i <= limit]
    cut = fitting[0] if fitting else (starts[-1] if starts else 0)
    return messages[cut:]


def _starts_turn(message: ModelMessage) -> bool:
    """A request with the user's words and no tool results (those belong to the turn before)."""
    if not isinstance(message, ModelRequest):
        return False
    kinds = {p.part_kind for p in message.parts}
    return "user-prompt" in kinds and not kinds & {"tool-return", "retry-prompt"}
