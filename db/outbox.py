"""Messages waiting to be sent, written in the same transaction as the turn that made them."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from db import claims
from db.chats import TEAM_CHAT, NotAPersonsChat
from db.queries import Executor, Queries

_q = Queries("outbox")

Buttons = list[list[dict[str, str]]]
About = dict[str, str]
"""What a message is about: `prospect_id`, `meeting_id`, `rep_id` (an applicant)."""


@dataclass(frozen=True, slots=True)
class RepliedTo:
    """The bot's message a reply quotes, and what it was about (as these are now)."""

    text: str
    event: str | None
    prospect_id: str | None
    prospect_name: str | None
    meeting_id: UUID | None
    meeting_title: str | None
    meeting_starts_at: datetime | None
    rep_id: UUID | None
    rep_name: str | None
    rep_email: str | None


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

    @property
    def photo(self) -> bytes | None:
        """The picture a photo message carries (its text is the caption)."""
        encoded = (self.payload or {}).get("photo") if self.kind == "message" else None
        return base64.b64decode(encoded) if encoded else None

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


@dataclass(frozen=True, slots=True)
class OutboxClaim:
    """One sender's hold on one message (a `claims.Claimed`): its claim is its attempt."""

    message: OutboxMessage
    worker: str

    @property
    def id(self) -> int:
        return self.message.id

    @property
    def attempt(self) -> int:
        return self.message.attempts


async def enqueue(
    db: Executor,
    *,
    chat_id: int,
    text: str,
    now: datetime,
    buttons: Buttons | None = None,
    turn_id: int | None = None,
    dedupe_key: str | None = None,
    held_until: datetime | None = None,
    about: About | None = None,
) -> int | None:
    """Queues a message, to be sent from `held_until` if given; None when its dedupe key was
    queued before. `about`: what it is about, for a reply to it."""
    _to_a_person(chat_id)
    message_id: int | None = await _q.fetchval(
        db,
        "enqueue",
        chat_id=chat_id,
        text=text,
        buttons=buttons,
        turn_id=turn_id,
        dedupe_key=dedupe_key,
        held_until=held_until,
        about=about,
        now=now,
    )
    return message_id


async def enqueue_photo(
    db: Executor,
    *,
    chat_id: int,
    png: bytes,
    caption: str,
    now: datetime,
    turn_id: int | None = None,
    held_until: datetime | None = None,
) -> int:
    """Queues a picture with its caption, sent in its turn among the chat's messages."""
    _to_a_person(chat_id)
    payload = {"photo": base64.b64encode(png).decode(), "filename": "chart.png"}
    message_id: int = await _q.fetchval(
        db,
        "enqueue_photo",
        chat_id=chat_id,
        caption=caption,
        payload=payload,
        turn_id=turn_id,
        held_until=held_until,
        now=now,
    )
    return message_id


async def replied_to(db: Executor, *, chat_id: int, message_id: int) -> RepliedTo | None:
    """The bot's message `message_id` (Telegram's) in the chat, if it is one we sent."""
    row = await _q.fetchrow(db, "replied_to", chat_id=chat_id, message_id=message_id)
    return RepliedTo(**dict(row)) if row else None


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
    _to_a_person(chat_id)
    await _q.execute(
        db,
        "enqueue_callback_answer",
        chat_id=chat_id,
        payload={"callback_query_id": query_id, "message_id": message_id},
        dedupe_key=f"callback:{query_id}",
        now=now,
    )


def _to_a_person(chat_id: int) -> None:
    if chat_id == TEAM_CHAT:
        raise NotAPersonsChat("a message to the team's background chat, which no one reads")


async def claim(
    db: Executor, *, worker: str, limit: int, now: datetime, until: datetime
) -> list[OutboxClaim]:
    rows = await _q.fetch(db, "claim", worker=worker, limit=limit, now=now, until=until)
    messages = sorted((OutboxMessage.from_row(r) for r in rows), key=lambda m: m.id)
    return [OutboxClaim(m, worker) for m in messages]


async def next_due(db: Executor) -> datetime | None:
    due: datetime | None = await _q.fetchval(db, "next_due")
    return due


async def part_sent(
    db: Executor, *, claim: OutboxClaim, parts_sent: int, telegram_message_id: int
) -> bool:
    """Records the parts of a long message sent so far; False when the claim was lost."""
    recorded = await _q.fetchval(
        db,
        "part_sent",
        **claims.fence(claim),
        parts_sent=parts_sent,
        telegram_message_id=telegram_message_id,
    )
    return recorded is not None


async def settle(
    db: Executor,
    *,
    claim: OutboxClaim,
    status: str,
    now: datetime,
    error: str | None = None,
    telegram_message_id: int | None = None,
) -> bool:
    """Sent, blocked (the user blocked the bot) or failed (Telegram will never take it); False
    when the claim was lost, and the message is its new holder's to settle."""
    settled = await _q.fetchval(
        db,
        "settle",
        **claims.fence(claim),
        status=status,
        now=now,
        error=error,
        telegram_message_id=telegram_message_id,
    )
    return settled is not None


async def release(
    db: Executor, *, claim: OutboxClaim, not_before: datetime, error: str | None = None
) -> bool:
    return await claims.release(_q, db, claim=claim, not_before=not_before, error=error)


async def extend(db: Executor, *, held: Sequence[OutboxClaim], until: datetime) -> set[int]:
    return await claims.extend(_q, db, held=held, until=until)
