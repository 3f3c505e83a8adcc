"""Messages the tools send to other people (admins, the rep concerned), in their language.
They are written by code, not by the model: what they say is exactly what happened."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from db import outbox, reps, scheduler
from db.chats import chat_language
from db.models import Prospect, Rep, RepStatus
from db.outbox import About, Buttons
from db.reps import PastStatus
from tools import texts
from tools.deps import Deps
from tools.names import NAME_SHOWN, TEXT_SHOWN, one_line


async def send(
    deps: Deps,
    chat_id: int,
    message: str,
    *,
    buttons: Buttons | None = None,
    about: About | None = None,
) -> None:
    """Queues `message` to `chat_id`, held until their quiet hours end unless it answers what
    they are doing in this very turn; `about`: what a reply to it will refer to."""
    now = deps.now()
    await outbox.enqueue(
        deps.db,
        chat_id=chat_id,
        text=message,
        buttons=buttons,
        turn_id=deps.turn_id,
        held_until=await _held_until(deps, chat_id, now),
        about=about,
        now=now,
    )


async def _held_until(deps: Deps, chat_id: int, now: datetime) -> datetime | None:
    if deps.turn_id is not None and chat_id == deps.actor.telegram_id:
        return None
    until = await scheduler.quiet_until(deps.db, chat_id=chat_id, now=now, quiet=deps.rules.quiet)
    return until if until > now else None


def identity(rep: Rep) -> dict[str, str]:
    """Exactly who a rep is, for a card or a question: each value one line, so nothing they
    typed can pose as another field."""
    handle = f"@{rep.telegram_username}" if rep.telegram_username else f"id {rep.telegram_id}"
    return {"name": one_line(rep.name, NAME_SHOWN), "email": one_line(rep.email), "handle": handle}


async def prospects_released(deps: Deps, rep: Rep, released: list[Prospect]) -> None:
    """The admins hear whose clients are without a rep now, each with where it stood."""
    name = one_line(rep.name, NAME_SHOWN)
    for admin_id in deps.rules.admin_ids:
        language = await chat_language(deps.db, chat_id=admin_id)
        listed = "\n".join(
            texts.text(
                "notice.released_line",
                language,
                name=one_line(p.name, NAME_SHOWN),
                status=texts.text(f"status.{p.status}", language),
            )
            for p in released
        )
        message = texts.text("notice.prospects_released", language, rep=name, listed=listed)
        await send(deps, admin_id, message)


async def application_to_admins(deps: Deps, rep: Rep, verified: str) -> int:
    """The application card: `verified` is the `verify.state.*` of the email, and what this
    Telegram account was before if it was here (how many cards one person causes a day is
    bounded by their applications a day)."""
    past = await reps.past(deps.db, rep_id=rep.id)
    for admin_id in deps.rules.admin_ids:
        language = await chat_language(deps.db, chat_id=admin_id)
        buttons = [
            [
                {"text": texts.text("notice.approve", language), "data": f"approve:{rep.id}"},
                {"text": texts.text("notice.reject", language), "data": f"reject:{rep.id}"},
            ]
        ]
        shown = _past(deps, past, language)
        state = texts.text(f"verify.state.{verified}", language)
        message = texts.text(
            "notice.new_application", language, verified=state, past=shown, **identity(rep)
        )
        await send(deps, admin_id, message, buttons=buttons, about={"rep_id": str(rep.id)})
    return len(deps.rules.admin_ids)


def _past(deps: Deps, past: list[PastStatus], language: str | None) -> str:
    if not past:
        return ""
    zone = ZoneInfo(deps.rules.default_timezone)
    lines = "\n".join(
        texts.text(
            "notice.past_line",
            language,
            when=p.changed_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            status=texts.text(f"rep_status.{_status(p)}", language),
            by=_by(p, language),
            reason=_reason(p, language),
        )
        for p in past
    )
    return texts.text("notice.past", language, lines=lines)


def _status(p: PastStatus) -> str:
    left = p.status is RepStatus.REMOVED and p.by_self
    return "left" if left else p.status.value


def _by(p: PastStatus, language: str | None) -> str:
    if p.by_self:
        return texts.text("notice.past_by_self", language)
    if p.by_telegram_id is None:
        return texts.text("notice.past_by_unknown", language)
    handle = f"@{p.by_username}" if p.by_username else f"id {p.by_telegram_id}"
    who = f"{one_line(p.by_name, NAME_SHOWN)} ({handle})" if p.by_name else handle
    return texts.text("notice.past_by", language, who=who)


def _reason(p: PastStatus, language: str | None) -> str:
    if not p.reason or p.reason == "unregistered":
        return ""
    return texts.text("notice.past_reason", language, reason=one_line(p.reason, TEXT_SHOWN))


async def email_changed_to_admins(deps: Deps, rep: Rep, previous: str, verified: str) -> None:
    for admin_id in deps.rules.admin_ids:
        language = await chat_language(deps.db, chat_id=admin_id)
        message = texts.text(
            "notice.email_changed",
            language,
            previous=one_line(previous),
            verified=texts.text(f"verify.state.{verified}", language),
            **identity(rep),
        )
        await send(deps, admin_id, message)


async def email_verified_to_admins(deps: Deps, rep: Rep) -> None:
    for admin_id in deps.rules.admin_ids:
        language = await chat_language(deps.db, chat_id=admin_id)
        await send(deps, admin_id, texts.text("notice.email_verified", language, **identity(rep)))


async def status_to_rep(deps: Deps, rep: Rep, status: str, reason: str | None = None) -> None:
    """`notice.<status>` to the rep, in their language, with the reason if one was given."""
    shown = one_line(reason, TEXT_SHOWN) if reason else ""
    because = texts.text("notice.reason", rep.language, reason=shown) if shown else ""
    await send(deps, rep.telegram_id, texts.text(f"notice.{status}", rep.language, reason=because))
