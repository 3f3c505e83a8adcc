"""Messages the tools send to other people (admins, the rep concerned), in their language.
They are written by code, not by the model: what they say is exactly what happened."""

from __future__ import annotations

from db import outbox
from db.chats import chat_language
from db.models import Prospect, Rep
from db.outbox import Buttons
from tools import texts
from tools.deps import Deps
from tools.names import NAME_SHOWN, TEXT_SHOWN, one_line


async def send(deps: Deps, chat_id: int, message: str, *, buttons: Buttons | None = None) -> None:
    await outbox.enqueue(
        deps.db,
        chat_id=chat_id,
        text=message,
        buttons=buttons,
        turn_id=deps.turn_id,
        now=deps.now(),
    )


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
    """The card with Approve / Reject; `verified` is the `verify.state.*` of the email."""
    for admin_id in deps.rules.admin_ids:
        language = await chat_language(deps.db, chat_id=admin_id)
        buttons = [
            [
                {"text": texts.text("notice.approve", language), "data": f"approve:{rep.id}"},
                {"text": texts.text("notice.reject", language), "data": f"reject:{rep.id}"},
            ]
        ]
        state = texts.text(f"verify.state.{verified}", language)
        message = texts.text("notice.new_application", language, verified=state, **identity(rep))
        await send(deps, admin_id, message, buttons=buttons)
    return len(deps.rules.admin_ids)


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
