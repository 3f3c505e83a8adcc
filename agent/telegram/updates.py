"""What a Telegram update means: which chat's inbox it goes to when it arrives, and, when its
turn comes, whether the agent hears it or a fixed answer is enough."""

from __future__ import annotations

from typing import Any, TypedDict

from agent.channel import Action, Inbound, Kinds, Reply, Sender
from db.inbox import Claim, Update
from tools.names import storable

KEPT = ("message", "edited_message", "callback_query")
"""The update kinds the bot asks Telegram for and keeps."""

_CONTENT = (
    *("photo", "sticker", "voice", "video", "video_note", "audio", "document", "animation"),
    *("location", "venue", "contact", "poll", "dice"),
)

_NOTES = {
    "edited": "[The user edited an earlier message; it now reads:]",
    "start": "[The user opened the chat with /start]",
    "start_payload": "[The user opened the chat with /start from a link with payload «{}»]",
    "help": "[The user sent /help: tell them briefly what you can do for them]",
    "caption": "[The user sent a {} with this caption; you cannot see the {} itself]",
}


def to_inbox(update: dict[str, Any]) -> Update | None:
    """The inbox row for an update, or None for one the bot has nothing to do with."""
    if message := update.get("message") or update.get("edited_message"):
        chat_id = message["chat"]["id"]
        kind = "document" if "document" in (update.get("message") or {}) else "message"
    elif query := update.get("callback_query"):
        chat_id = query["message"]["chat"]["id"] if query.get("message") else query["from"]["id"]
        kind = "callback"
    else:
        return None
    payload = _storable(update)
    return Update(update_id=update["update_id"], chat_id=chat_id, kind=kind, payload=payload)


def _storable(value: Any) -> Any:
    """The update as PostgreSQL keeps it: a NUL or a lone surrogate in any text (which would
    make it refuse the whole batch) replaced."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {k: _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    return value


def unstored(update: Update, error: str) -> Update:
    """What is kept of an update the database refused to store: enough to tell its sender, in
    their language, to send it again, and why it was refused."""
    payload = update.payload
    source = payload.get("message") or payload.get("edited_message") or {}
    query = payload.get("callback_query") or {}
    chat = (source or query.get("message") or {}).get("chat") or {}
    language = ((source or query).get("from") or {}).get("language_code")
    note = {
        "update_id": update.update_id,
        "private": chat.get("type", "private") == "private",
        "language_code": storable(language)[:16] if isinstance(language, str) else None,
        "error": storable(error)[:500],
    }
    return Update(update_id=update.update_id, chat_id=update.chat_id, kind="unstored", payload=note)


def callback_query(update: dict[str, Any]) -> tuple[str, int | None] | None:
    """The id of a button press and the message its keyboard is on."""
    query = update.get("callback_query")
    if not query:
        return None
    return query["id"], (query.get("message") or {}).get("message_id")


def interpret(update: dict[str, Any]) -> Action:
    edited = "edited_message" in update
    message = update.get("message") or update.get("edited_message")
    query = update.get("callback_query")
    source = message or query or {}
    user = source.get("from") or {}
    if user.get("is_bot"):
        return None
    chat = (message or (query or {}).get("message") or {}).get("chat") or {"type": "private"}
    if (speaker := user.get("id", chat.get("id"))) is None:
        return None
    sender = Sender(
        telegram_id=speaker,
        username=user.get("username"),
        first_name=user.get("first_name"),
        language_code=user.get("language_code"),
    )
    chat_id = chat.get("id", sender.telegram_id)
    if chat["type"] != "private":
        return Reply(chat_id, "group", sender.language_code, dedupe_key=f"group:{chat_id}")
    if query:
        return Inbound(chat_id, sender, press=query.get("data") or "")
    return _message(chat_id, sender, message or {}, edited=edited)


def _message(chat_id: int, sender: Sender, message: dict[str, Any], *, edited: bool) -> Action:
    text: str | None = message.get("text")
    if text is None:
        content = next((k for k in _CONTENT if k in message), None)
        if message.get("caption") and content:
            note = _NOTES["caption"].format(content, content)
            return Inbound(chat_id, sender, text=message["caption"], note=note)
        return Reply(chat_id, "not_text", sender.language_code) if content else None
    if edited:
        return Inbound(chat_id, sender, text=text, note=_NOTES["edited"])
    command, _, payload = text.partition(" ")
    command = command.split("@")[0].lower()
    if command == "/start":
        payload = payload.strip()
        note = _NOTES["start_payload"].format(payload) if payload else _NOTES["start"]
        return Inbound(chat_id, sender, note=note)
    if command == "/help":
        return Inbound(chat_id, sender, note=_NOTES["help"])
    return Inbound(chat_id, sender, text=text, **replying(message))


class Replying(TypedDict):
    """The `reply_to` and `quoted` of an `Inbound`."""

    reply_to: int | None
    quoted: str | None


def replying(message: dict[str, Any]) -> Replying:
    """What a message replies to, if it replies to one."""
    replied = message.get("reply_to_message") or {}
    return {
        "reply_to": replied.get("message_id"),
        "quoted": replied.get("text") or replied.get("caption"),
    }


def interpret_item(item: Claim) -> Action:
    return interpret(item.payload)


def interpret_unstored(item: Claim) -> Action:
    """An update the database refused is finished as failed, its sender asked to send it again
    (in a group, no one is)."""
    note = item.payload
    if not note.get("private", True):
        return None
    key = f"unstored:{note.get('update_id')}"
    return Reply(item.chat_id, "unstored", note.get("language_code"), key, error=note.get("error"))


KINDS: Kinds = {
    "message": interpret_item,
    "callback": interpret_item,
    "unstored": interpret_unstored,
}
