"""What an inbox item becomes, whatever channel brought it: a turn for the agent (`Inbound`,
from a `Sender`), a fixed `Reply` that needs no model, `Work` for code, or nothing. Each kind
of inbox item has an interpreter that says which; the turn workers only carry it out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from db.inbox import Claim
from tools import texts

if TYPE_CHECKING:
    from agent.runtime import Runtime


@dataclass(frozen=True, slots=True)
class Sender:
    telegram_id: int
    username: str | None = None
    first_name: str | None = None
    language_code: str | None = None


@dataclass(frozen=True, slots=True)
class Inbound:
    """A message typed, or a button pressed (its callback data), in a private chat. A note
    tells the model how it arrived (an edit, a command, a scheduler event); it is not the
    user's words. A claim on an inbox item is finished in the turn's own transaction."""

    chat_id: int
    sender: Sender
    text: str | None = None
    press: str | None = None
    note: str | None = None
    claim: Claim | None = None
    reply_to: int | None = None
    """The message (Telegram's id) this one replies to; `quoted`: its text as Telegram shows."""
    quoted: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """A fixed answer, no turn: `dedupe_key` keeps it to once per chat when set; with an
    `error`, the item is finished as failed for that reason."""

    chat_id: int
    key: str
    language_code: str | None = None
    dedupe_key: str | None = None
    error: str | None = None

    def text(self, chat_language: str | None) -> str:
        return texts.text(f"reply.{self.key}", chat_language or self.language_code)


def set_aside(chat_id: int, inbox_id: int) -> Reply:
    """What the person hears of an item that failed every attempt."""
    return Reply(chat_id, "set_aside", dedupe_key=f"set-aside:{inbox_id}")


@dataclass(frozen=True, slots=True)
class Work:
    """Work for code, not for the model: `run` finishes the claim in its own transaction."""

    run: Callable[[Runtime, Claim], Awaitable[None]]


Action = Inbound | Reply | Work | None


class Unreadable(Exception):
    """The item cannot become any action (an unknown kind, a malformed payload): it is set
    aside with this reason, and no one is told, since no one asked."""


Interpreter = Callable[[Claim], Action]
Kinds = Mapping[str, Interpreter]
"""How each kind of inbox item (`inbox.kind`) becomes an action."""
