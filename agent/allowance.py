"""How much a person the limits apply to may cost: checked before a turn asks the model, so a
stranger past their allowance hears a fixed answer and the model is never called; and within
it, a short history and a bounded message, so one request stays small however much they write."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from db import allowance
from db.allowance import Admission, Caps
from db.queries import Connection


@dataclass(frozen=True, slots=True)
class Allowance:
    limited_roles: tuple[str, ...]
    caps: Caps
    message_chars: int
    history_messages: int


UNLIMITED = Admission(role="", limited=False)


async def admit(
    conn: Connection,
    rules: Allowance | None,
    *,
    telegram_id: int,
    admin_ids: tuple[int, ...],
    now: datetime,
) -> Admission:
    """The speaker's admission, in a short transaction of its own on `conn`."""
    if rules is None or not rules.limited_roles:
        return UNLIMITED
    async with conn.transaction():
        return await allowance.admit(
            conn,
            telegram_id=telegram_id,
            admin_ids=admin_ids,
            limited_roles=rules.limited_roles,
            caps=rules.caps,
            now=now,
        )


def bounded(text: str | None, limit: int) -> str | None:
    """The message as the model reads it from a limited speaker: at most `limit` characters,
    and the model told how much was left out."""
    if text is None or len(text) <= limit:
        return text
    return f"{text[:limit]}\n[… the message was cut here: {len(text) - limit} more characters]"
