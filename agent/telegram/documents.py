"""A document sent to the bot. An admin's CSV or XLSX is a file of prospects: the agent hears of
it and previews it for the admin to confirm (`tools.imports`). Anyone else's file of prospects
is refused politely, an admin's other document gets a clear answer, and the rest is read as any
other message."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any

from telegram import Bot
from telegram.error import TelegramError

from agent.channel import Action, Inbound, Kinds, Reply, Sender, Work
from agent.runtime import Runtime
from agent.telegram import files, updates
from agent.telegram.files import FileTooBig
from agent.turn import ClaimLost, run_turn
from db import inbox, outbox
from db.chats import chat_language
from db.inbox import Claim
from tools import texts
from tools.clients.errors import Unavailable
from tools.names import NAME_SHOWN, one_line
from tools.prospect_files import FileRefused, kind_of

log = logging.getLogger(__name__)

NOTE = (
    "[The admin sent the file «{name}» (file_id {file_id}): call import_prospects with this "
    "file_id and file name now, which shows them what it holds]"
)


@dataclass(frozen=True, slots=True)
class Document:
    chat_id: int
    sender: Sender
    file_id: str
    name: str
    mime_type: str | None
    size: int | None
    caption: str | None


def interpret(item: Claim) -> Action:
    update = item.payload
    message = update.get("message") or {}
    user = message.get("from") or {}
    file = message.get("document") or {}
    if (message.get("chat") or {}).get("type") != "private" or user.get("is_bot") or not file:
        return updates.interpret(update)
    sender = Sender(
        telegram_id=user["id"],
        username=user.get("username"),
        first_name=user.get("first_name"),
        language_code=user.get("language_code"),
    )
    document = Document(
        chat_id=message["chat"]["id"],
        sender=sender,
        file_id=str(file.get("file_id", "")),
        name=str(file.get("file_name") or ""),
        mime_type=file.get("mime_type"),
        size=file.get("file_size"),
        caption=message.get("caption"),
    )

    async def receive(rt: Runtime, claim: Claim) -> None:
        await _receive(rt, claim, document, update)

    return Work(receive)


async def _receive(rt: Runtime, item: Claim, doc: Document, update: dict[str, Any]) -> None:
    admin = doc.sender.telegram_id in rt.rules.admin_ids
    kind = kind_of(doc.name, doc.mime_type)
    table = kind is not None
    limit = rt.rules.import_limits.max_bytes
    spoken = doc.sender.language_code
    if admin and table and (doc.size or 0) <= limit:
        name = doc.name if kind_of(doc.name) else f"{doc.name or 'file'}.{kind}"  # by its type
        note = NOTE.format(name=one_line(name, NAME_SHOWN), file_id=doc.file_id)
        await run_turn(rt, Inbound(doc.chat_id, doc.sender, doc.caption, note=note, claim=item))
    elif admin:
        key = "too_big" if table else "not_table"
        await _finish(rt, item, f"reply.file.{key}", spoken, limit=limit // 1024)
    elif table:
        await _finish(rt, item, "reply.file.not_admin", spoken)
    else:  # as before documents were read: a caption for the model, else a fixed answer
        action = updates.interpret(update)
        if isinstance(action, Inbound):
            await run_turn(rt, dataclasses.replace(action, claim=item))
        else:
            reply = f"reply.{action.key}" if isinstance(action, Reply) else None
            await _finish(rt, item, reply, spoken)


async def _finish(
    rt: Runtime, item: Claim, key: str | None, spoken: str | None, **values: object
) -> None:
    now = rt.clock()
    async with rt.pool.acquire() as conn, conn.transaction():
        if key is not None:
            language = await chat_language(conn, chat_id=item.chat_id) or spoken
            text = texts.text(key, language, **values)
            await outbox.enqueue(conn, chat_id=item.chat_id, text=text, now=now)
        if not await inbox.finish(conn, claim=item, now=now):
            raise ClaimLost(item)


@dataclass(frozen=True, slots=True)
class BotFiles:
    """Files people sent, fetched through the Bot API (getFile, then the file's URL)."""

    bot: Bot

    async def fetch(self, file_id: str, *, max_bytes: int) -> bytes:
        try:
            return await files.download(self.bot, file_id, max_bytes=max_bytes)
        except FileTooBig as e:
            raise FileRefused("too_big", limit=max_bytes // 1024) from e
        except TelegramError as e:
            log.warning("could not fetch file %s: %s", file_id, e)
            raise Unavailable("Telegram", str(e)) from e


KINDS: Kinds = {"document": interpret}
"""A message holding a document (`updates.to_inbox` names the kind)."""
