"""Voice notes and audio: fetched through the Bot API, transcribed, and the transcript taken as
the person's own words, with a one-line echo of what was heard. Past the limits, with voice not
configured, or once transcribing has been given up, the person is told in their language; the
update stays in the inbox either way."""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from typing import Any

from telegram import Bot

from agent import language
from agent.channel import Action, Inbound, Kinds, Reply, Sender, Work
from agent.runtime import Runtime
from agent.telegram import files, updates
from agent.transcription import AudioRefused, Transcriber, TranscriptionUnavailable
from agent.turn import ClaimLost, run_turn
from agent.workers import MAX_ATTEMPTS
from db import inbox, outbox
from db.chats import chat_language
from db.inbox import Claim
from tools import texts
from tools.redaction import scrub

log = logging.getLogger(__name__)

ECHO_CHARS = 200
"""The echo is one line: a long dictation is shown by its beginning."""

_NOTE = "[The user sent a voice note; this is its transcript, their own words:]"
_NOTE_CAPTION = (
    "[The user sent a voice note with the caption «{}»; this is its transcript, their own words:]"
)


@dataclass(frozen=True)
class Voice:
    """How voice notes are heard; no transcriber: the bot says it cannot take voice yet."""

    transcriber: Transcriber | None = None
    max_seconds: int = 600
    max_bytes: int = files.TELEGRAM_LIMIT


@dataclass(frozen=True)
class _Heard:
    bot: Bot
    voice: Voice
    sender: Sender
    sound: dict[str, Any]
    kind: str
    caption: str | None
    replying: updates.Replying


def kinds(bot: Bot, voice: Voice) -> Kinds:
    """Telegram's messages as `updates` reads them, voice notes and audio heard."""
    return {"message": functools.partial(_interpret, bot, voice)}


def _interpret(bot: Bot, voice: Voice, item: Claim) -> Action:
    action = updates.interpret_item(item)
    message = item.payload.get("message") or {}
    kind = next((k for k in ("voice", "audio") if k in message), None)
    if kind is None or action is None or (isinstance(action, Reply) and action.key != "not_text"):
        return action
    user = message.get("from") or {}
    sender = Sender(
        telegram_id=user.get("id", item.chat_id),
        username=user.get("username"),
        first_name=user.get("first_name"),
        language_code=user.get("language_code"),
    )
    caption = message.get("caption")
    heard = _Heard(bot, voice, sender, message[kind], kind, caption, updates.replying(message))
    return Work(functools.partial(_hear, heard))


async def _hear(heard: _Heard, rt: Runtime, item: Claim) -> None:
    voice, sound = heard.voice, heard.sound
    known = await _language(rt, item.chat_id, heard.sender)
    if voice.transcriber is None:
        return await _tell(rt, item, "unavailable", known)
    if int(sound.get("duration") or 0) > voice.max_seconds:
        return await _tell(rt, item, "too_long", known, minutes=_minutes(voice.max_seconds))
    if int(sound.get("file_size") or 0) > voice.max_bytes:
        return await _tell(rt, item, "too_big", known, megabytes=_megabytes(voice.max_bytes))
    try:
        audio = await files.download(heard.bot, sound["file_id"], max_bytes=voice.max_bytes)
        text = await voice.transcriber.transcribe(audio, filename=_filename(heard))
    except files.FileTooBig:
        return await _tell(rt, item, "too_big", known, megabytes=_megabytes(voice.max_bytes))
    except TranscriptionUnavailable as e:
        log.error("voice notes are configured but the provider does not transcribe: %s", e)
        return await _tell(rt, item, "unavailable", known, error=str(e))
    except AudioRefused as e:
        return await _tell(rt, item, "unreadable", known, error=str(e))
    except Exception as e:
        if item.attempt < MAX_ATTEMPTS:
            raise  # tried again later, like any inbox item
        log.warning("voice note %s given up after %s attempts: %r", item.id, item.attempt, e)
        return await _tell(rt, item, "failed", known, error=f"given up: {e!r}")
    if not text:
        return await _tell(rt, item, "silent", known)
    await _echo(rt, item, text, language.detect(text, known))
    note = _NOTE_CAPTION.format(heard.caption) if heard.caption else _NOTE
    inbound = Inbound(item.chat_id, heard.sender, text, note=note, claim=item, **heard.replying)
    await run_turn(rt, inbound)


async def _language(rt: Runtime, chat_id: int, sender: Sender) -> str | None:
    async with rt.pool.acquire() as conn:
        known = await chat_language(conn, chat_id=chat_id)
    return known or language.from_code(sender.language_code)


async def _echo(rt: Runtime, item: Claim, text: str, spoken: str | None) -> None:
    """Once per item, however often the turn after it is tried."""
    line = re.sub(r"\s+", " ", text)
    if len(line) > ECHO_CHARS:
        line = line[:ECHO_CHARS].rsplit(" ", 1)[0] + "…"
    echo = texts.text("voice.heard", spoken, text=line)
    await outbox.enqueue(
        rt.pool, chat_id=item.chat_id, text=echo, dedupe_key=f"heard:{item.id}", now=rt.clock()
    )


async def _tell(
    rt: Runtime,
    item: Claim,
    key: str,
    spoken: str | None,
    *,
    error: str | None = None,
    **values: Any,
) -> None:
    """A fixed answer, and the item finished (as failed, with `error`) in one transaction."""
    now = rt.clock()
    text = texts.text(f"voice.{key}", spoken, **values)
    async with rt.pool.acquire() as conn, conn.transaction():
        await outbox.enqueue(
            conn, chat_id=item.chat_id, text=text, dedupe_key=f"voice:{item.id}", now=now
        )
        failed = error is not None
        if not await inbox.finish(
            conn, claim=item, now=now, failed=failed, error=scrub(error) if error else None
        ):
            raise ClaimLost(item)


def _filename(heard: _Heard) -> str:
    """The transcription API tells the format by the extension: a voice note is Ogg Opus."""
    if heard.kind == "voice":
        return "voice.ogg"
    name = str(heard.sound.get("file_name") or "")
    if "." in name:
        return name
    subtype = str(heard.sound.get("mime_type") or "audio/mpeg").split("/")[-1]
    return f"audio.{ {'mpeg': 'mp3', 'x-m4a': 'm4a', 'mp4': 'm4a'}.get(subtype, subtype) }"


def _minutes(seconds: int) -> str:
    return f"{seconds / 60:g}"


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g}"
