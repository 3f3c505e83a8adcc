"""The turn: the one door every channel uses. Resolve the actor, load the chat's history, run
the agent, and commit the new history, the tools' effects, the audit rows and every reply in
one transaction."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeGuard

import asyncpg
import httpx
import openai
from pydantic_ai import Agent, DeferredToolRequests, DeferredToolResults, ToolDenied
from pydantic_ai.exceptions import ModelAPIError, UnexpectedModelBehavior
from pydantic_ai.messages import ModelMessage, ToolCallPart, ToolReturnPart
from pydantic_ai.models import Model

from agent import history, language
from db import inbox, outbox, turns
from db.chats import ChatState
from db.inbox import Claim
from db.outbox import Buttons, OutboxMessage
from db.queries import Connection
from tools.access import audit_invalid, audit_refusal, offered
from tools.actor import Actor, resolve_actor
from tools.deps import Deps, Rules
from tools.services import Services
from tools.toolsets import tool_names

log = logging.getLogger(__name__)

CONFIRM, CANCEL = "confirm", "cancel"
_BUTTONS = {
    "ru": [[{"text": "✅ Подтвердить", "data": CONFIRM}, {"text": "✖️ Отмена", "data": CANCEL}]],
    "en": [[{"text": "✅ Confirm", "data": CONFIRM}, {"text": "✖️ Cancel", "data": CANCEL}]],
}
_FAILED = {
    "ru": "Извините, у меня не получилось обработать сообщение: {reason}. Ничего не изменилось, "
    "попробуйте ещё раз чуть позже.",
    "en": "Sorry, I could not process that message: {reason}. Nothing was changed; please try "
    "again in a moment.",
}
_REASONS = {
    "model": {"ru": "языковая модель недоступна", "en": "the language model is unavailable"},
    "internal": {"ru": "внутренняя ошибка", "en": "an internal error"},
}


@dataclass(frozen=True, slots=True)
class Sender:
    telegram_id: int
    username: str | None = None
    first_name: str | None = None
    language_code: str | None = None


@dataclass(frozen=True, slots=True)
class Inbound:
    """A message typed, or a button pressed (its callback data), in a private chat. A note
    tells the model how it arrived (an edit, a command); it is not the user's words. A claim
    on an inbox item is finished in the turn's own transaction."""

    chat_id: int
    sender: Sender
    text: str | None = None
    press: str | None = None
    note: str | None = None
    claim: Claim | None = None


class ClaimLost(Exception):
    """The item's lease ran out and another worker took it: this turn must leave no trace."""


@dataclass(frozen=True, slots=True)
class Runtime:
    pool: asyncpg.Pool
    agent: Agent[Deps, str | DeferredToolRequests]
    model: Model
    rules: Rules
    clock: Callable[[], datetime]
    services: Services = field(default_factory=Services)


@dataclass(frozen=True, slots=True)
class TurnResult:
    turn_id: int
    messages: list[OutboxMessage]
    failed: bool = False


async def run_turn(rt: Runtime, inbound: Inbound) -> TurnResult:
    try:
        return await _turn(rt, inbound)
    except ClaimLost:
        raise
    except Exception as e:  # the model or a service failed: nothing was committed
        log.exception("turn failed in chat %s", inbound.chat_id)
        return await _apologise(rt, inbound, e)


async def _turn(rt: Runtime, inbound: Inbound) -> TurnResult:
    now = rt.clock()
    async with rt.pool.acquire() as conn, conn.transaction():
        chat, turn_id = await _begin(conn, rt, inbound, now)
        spoken = _spoken(inbound, chat)
        actor = await _actor(conn, rt, inbound, spoken)
        deps = Deps(
            db=conn,
            actor=actor,
            clock=rt.clock,
            rules=rt.rules,
            turn_id=turn_id,
            services=rt.services,
        )
        messages = history.load(chat.history)
        prompt, answers = _resume(chat, inbound, now, paused=bool(messages))
        result = await rt.agent.run(
            prompt,
            message_history=messages,
            deferred_tool_results=answers,
            deps=deps,
            model=rt.model,
        )
        pending, text, buttons = _reply(result.output, actor.language)
        await _audit_unseen_calls(deps, result.new_messages())
        usage = result.usage
        ended = await turns.end_turn(
            conn,
            turn_id=turn_id,
            chat_id=inbound.chat_id,
            history=history.dump(history.trim(result.all_messages())),
            language=spoken,
            pending_approval=pending,
            pending_expires_at=now + rt.rules.confirmation_ttl if pending else None,
            actor_role=actor.role,
            requests=usage.requests,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            outcome="confirmation" if pending else "ok",
            text=text,
            buttons=buttons,
            claim=inbound.claim,
            now=now,
        )
        if inbound.claim and not ended.finished:
            raise _lost(inbound.claim)
        return TurnResult(turn_id, ended.messages)


async def _begin(
    conn: Connection, rt: Runtime, inbound: Inbound, now: datetime
) -> tuple[ChatState, int]:
    return await turns.begin_turn(
        conn,
        chat_id=inbound.chat_id,
        inbox_id=inbound.claim.id if inbound.claim else None,
        actor_telegram_id=inbound.sender.telegram_id,
        model=rt.model.model_name,
        now=now,
    )


async def _actor(conn: Connection, rt: Runtime, inbound: Inbound, spoken: str | None) -> Actor:
    sender = inbound.sender
    actor = await resolve_actor(
        conn,
        telegram_id=sender.telegram_id,
        admin_ids=rt.rules.admin_ids,
        username=sender.username,
        first_name=sender.first_name,
        language=spoken,
    )
    return dataclasses.replace(actor, language=spoken) if spoken else actor


def _resume(
    chat: ChatState, inbound: Inbound, now: datetime, *, paused: bool
) -> tuple[str | None, DeferredToolResults | None]:
    """The prompt for this run, and the answers to a confirmation the run paused on, if any.
    Without the history that holds the paused call (it no longer loaded), there is none."""
    said = inbound.text if inbound.text is not None else _pressed(inbound.press)
    prompt = "\n".join(p for p in (inbound.note, said) if p) or None
    pending = chat.pending_approval
    if not pending or not paused:
        return prompt, None
    expired = chat.pending_expires_at is not None and now >= chat.pending_expires_at
    answer = {CONFIRM: True, CANCEL: False}.get(
        inbound.press or "", language.yes_or_no(inbound.text)
    )
    if expired:
        verdict: bool | ToolDenied = ToolDenied(
            "The confirmation expired unanswered; nothing was done. If the user still wants it, "
            "call the tool again."
        )
    elif answer is None:
        verdict = ToolDenied(
            "The user wrote something else instead of confirming; nothing was done."
        )
    elif answer:
        verdict = True
    else:
        verdict = ToolDenied("The user cancelled; nothing was done.")
    answers = DeferredToolResults(approvals=dict.fromkeys(pending["approvals"], verdict))
    keep_prompt = expired or answer is None
    return (prompt if keep_prompt else None), answers


def _pressed(data: str | None) -> str | None:
    if data is None:
        return None
    action, _, subject = data.partition(":")
    if action in ("approve", "reject") and subject:
        return f"[The user pressed the button «{action}» on the application of rep id {subject}]"
    if action in (CONFIRM, CANCEL):
        return f"[The user pressed «{action}», but nothing is waiting for confirmation any more]"
    return f"[The user pressed a button: {data}]"


def _reply(
    output: str | DeferredToolRequests, spoken: str | None
) -> tuple[dict[str, Any] | None, str, Buttons | None]:
    if isinstance(output, str):
        return None, output, None
    ids = [call.tool_call_id for call in output.approvals]
    questions = [output.metadata.get(i, {}).get("question", "") for i in ids]
    lang = "en" if spoken == "en" else "ru"
    return {"approvals": ids}, "\n".join(q for q in questions if q), _BUTTONS[lang]


async def _audit_unseen_calls(deps: Deps, messages: list[ModelMessage]) -> None:
    """Calls that never reach a tool's own audit: to a tool this role is not offered, or with
    arguments that do not fit the tool's schema."""
    hidden = tool_names() - offered(deps.actor.role)
    calls: dict[str, ToolCallPart] = {}
    for message in messages:
        for part in message.parts:
            if isinstance(part, ToolCallPart):
                calls[part.tool_call_id] = part
                if part.tool_name in hidden:
                    detail = f"not offered to role {deps.actor.role}"
                    await audit_refusal(deps, part.tool_name, part.args_as_dict(), detail)
            elif _invalid(part) and part.tool_name not in hidden:
                call = calls.get(part.tool_call_id)
                args = call.args_as_dict() if call else {}
                await audit_invalid(deps, part.tool_name, args, str(part.content))


def _invalid(part: object) -> TypeGuard[ToolReturnPart]:
    retry = part.retry if isinstance(part, ToolReturnPart) else None
    return retry is not None and retry.cause == "validation_error"


async def _apologise(rt: Runtime, inbound: Inbound, error: Exception) -> TurnResult:
    now = rt.clock()
    async with rt.pool.acquire() as conn, conn.transaction():
        chat, turn_id = await _begin(conn, rt, inbound, now)
        spoken = _spoken(inbound, chat)
        lang = "en" if spoken == "en" else "ru"
        text = _FAILED[lang].format(reason=_REASONS[_kind(error)][lang])
        await outbox.enqueue(conn, chat_id=inbound.chat_id, text=text, turn_id=turn_id, now=now)
        await turns.finish_turn(
            conn,
            turn_id=turn_id,
            requests=0,
            input_tokens=0,
            output_tokens=0,
            outcome=f"failed: {type(error).__name__}",
            now=now,
        )
        await _finish_claim(conn, inbound.claim, now, error=repr(error))
        return TurnResult(turn_id, await outbox.messages_of_turn(conn, turn_id=turn_id), True)


def _spoken(inbound: Inbound, chat: ChatState) -> str | None:
    known = chat.language or language.from_code(inbound.sender.language_code)
    return language.detect(inbound.text, known)


async def _finish_claim(
    conn: Connection, claim: Claim | None, now: datetime, error: str | None = None
) -> None:
    if claim and not await inbox.finish(conn, claim=claim, now=now, error=error):
        raise _lost(claim)


def _lost(claim: Claim) -> ClaimLost:
    return ClaimLost(f"inbox item {claim.id} was taken by another worker")


def _kind(error: Exception) -> str:
    model_failures = (ModelAPIError, UnexpectedModelBehavior, openai.OpenAIError, httpx.HTTPError)
    return "model" if isinstance(error, model_failures) else "internal"
