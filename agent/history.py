"""The agent's conversation history as stored per chat: JSON through pydantic-ai's adapter,
trimmed at user-turn boundaries so a tool call never loses its return."""

from __future__ import annotations

import dataclasses
import functools
import logging
import re
from typing import Any

from pydantic import TypeAdapter, ValidationError
from pydantic_ai.messages import (
    ModelMessage,
    ModelMessagesTypeAdapter,
    ModelRequest,
    ModelResponse,
    TextPart,
)
from typing_extensions import TypedDict

log = logging.getLogger(__name__)

VERSION = 1
MAX_MESSAGES = 40


_NUL = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")
"""A NUL escaped in JSON text (not an escaped backslash before "u0000"): PostgreSQL's jsonb
refuses it, and with it the whole turn."""


def dump(messages: list[ModelMessage]) -> str:
    """JSON text, written by pydantic-core in one go rather than as Python objects to encode.
    Instructions are left out: they are rebuilt for every request, and they are most of it."""
    lean = [
        dataclasses.replace(m, instructions=None) if isinstance(m, ModelRequest) else m
        for m in messages
    ]
    body = _NUL.sub(r"\1", ModelMessagesTypeAdapter.dump_json(lean).decode())
    return f'{{"v": {VERSION}, "messages": {body}}}'


def load(stored: str | dict[str, Any] | list[Any] | None) -> list[ModelMessage]:
    """The stored history, as JSON text or decoded; one that no longer validates starts the chat
    afresh, never crashes it."""
    if not stored:
        return []
    try:
        if isinstance(stored, str):
            found = _stored().validate_json(stored)
            return found["messages"] if isinstance(found, dict) else found
        raw = stored["messages"] if isinstance(stored, dict) else stored
        return ModelMessagesTypeAdapter.validate_python(raw)
    except ValidationError as e:
        log.warning("dropping a stored history that no longer loads: %s", e.errors()[:1])
        return []


class _Stored(TypedDict):
    v: int
    messages: list[ModelMessage]


@functools.cache
def _stored() -> TypeAdapter[_Stored | list[ModelMessage]]:
    return TypeAdapter(_Stored | list[ModelMessage])


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


def as_sent(messages: list[ModelMessage], reply: str) -> list[ModelMessage]:
    """The conversation with its last reply as the person received it (a reply cut at the cap
    keeps the cut and its notice): the model then knows where to go on from when asked for the
    rest, and a reply of a megabyte is not sent back to the model with every later request."""
    if not messages or not isinstance(last := messages[-1], ModelResponse):
        return messages
    texts = [i for i, p in enumerate(last.parts) if isinstance(p, TextPart)]
    if not texts:
        return messages
    parts = [p for i, p in enumerate(last.parts) if i not in texts[1:]]
    parts[texts[0]] = TextPart(reply)
    return [*messages[:-1], dataclasses.replace(last, parts=parts)]
