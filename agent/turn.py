"""The turn: the one door every channel uses. Resolve the actor, load the chat's history, run
the agent, and commit the new history, the tools' effects, the audit rows and every reply in
one transaction.

The transaction stays open while the model thinks, on purpose: the tools read and write on it
between model calls, and a turn that fails leaves nothing behind only because all of it rolls
back; it also holds the chat's row, so a chat has one turn at a time whichever channel asks.
What that costs is bounded instead: one connection per running turn (at most `TURN_WORKERS`,
the pool holds that many and a few more), each for at most `TURN_DEADLINE_SECONDS`; a turn cut
off by the database going away was rolled back, and is tried again rather than apologised for
(`bench/slow_turns.py` measures it)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TypeGuard

import httpx
import openai
from opentelemetry import trace
from pydantic_ai.exceptions import ModelAPIError, UnexpectedModelBehavior, UsageLimitExceeded
from pydantic_ai.messages import ModelMessage, ToolCallPart, ToolReturnPart
from pydantic_ai.usage import RunUsage, UsageLimits

from agent import allowance, confirmation, history, language, logs, replies
from agent.channel import Inbound
from agent.drafts import Drafts
from agent.runtime import Runtime
from db import inbox, outbox, turns
from db.allowance import Admission
from db.chats import ChatState
from db.inbox import Claim
from db.outbox import OutboxMessage
from db.pool import database_away
from db.queries import Connection
from tools import metrics, texts
from tools.access import audit_invalid, refuse_unoffered
from tools.actor import Actor, resolve_actor
from tools.deps import Deps
from tools.names import storable
from tools.redaction import scrub

log = logging.getLogger(__name__)


class ClaimLost(Exception):
    """The item's lease ran out and another worker took it: this turn must leave no trace."""

    def __init__(self, claim: Claim) -> None:
        super().__init__(f"inbox item {claim.id} was taken by another worker")


@dataclass(frozen=True, slots=True)
class TurnResult:
    turn_id: int
    messages: list[OutboxMessage]
    failed: bool = False
    outcome: str = "ok"
    """ok, confirmation (a question waits for a yes), limited (past the allowance) or failed."""


async def run_turn(rt: Runtime, inbound: Inbound, drafts: Drafts | None = None) -> TurnResult:
    """`drafts`: where the reply is shown as it is written (a preview; the reply itself
    leaves from the outbox as ever)."""
    usage = RunUsage()  # filled as the model is asked, so a failed turn still shows its cost
    started = time.monotonic()
    where = {"salesbot.chat_id": inbound.chat_id}
    if inbound.claim is not None:
        where["salesbot.inbox_item"] = inbound.claim.id
    with rt.tracer.start_as_current_span("salesbot turn", attributes=where) as span:
        try:
            result = await _run(rt, inbound, usage, drafts)
        finally:
            metrics.MODEL_REQUESTS.inc(usage.requests)
            metrics.MODEL_TOKENS.labels("input").inc(usage.input_tokens)
            metrics.MODEL_TOKENS.labels("output").inc(usage.output_tokens)
        span.set_attribute("salesbot.outcome", result.outcome)
    metrics.TURNS.labels(result.outcome).inc()
    metrics.TURN_SECONDS.observe(time.monotonic() - started)
    return result


async def _run(rt: Runtime, inbound: Inbound, usage: RunUsage, drafts: Drafts | None) -> TurnResult:
    try:
        async with asyncio.timeout(rt.limits.deadline.total_seconds()):
            admitted = await _admit(rt, inbound)
            if admitted.refused:
                return await _refuse(rt, inbound, admitted.refused)
            return await _turn(rt, inbound, usage, admitted, drafts)
    except ClaimLost:
        raise
    except Exception as e:  # the model or a service failed: nothing was committed
        if database_away(e):  # not the message's fault: it is tried again, still in its turn
            raise
        log.exception("turn failed in chat %s", inbound.chat_id)
        return await _apologise(rt, inbound, e, usage)


async def _turn(
    rt: Runtime, inbound: Inbound, usage: RunUsage, admitted: Admission, drafts: Drafts | None
) -> TurnResult:
    now = rt.clock()
    keep = history.MAX_MESSAGES
    if admitted.limited and rt.allowance:
        keep = rt.allowance.history_messages
        text = allowance.bounded(inbound.text, rt.allowance.message_chars)
        inbound = dataclasses.replace(inbound, text=text)
    async with rt.pool.acquire() as conn, conn.transaction():
        chat, turn_id = await _begin(conn, rt, inbound, now)
        spoken = _spoken(inbound, chat)
        actor = await _actor(conn, rt, inbound, spoken)
        trace.get_current_span().set_attribute("salesbot.actor_role", actor.what)
        deps = rt.deps(conn, actor, turn_id=turn_id, pressed=inbound.press)
        messages = history.trim(history.load(chat.history), keep)
        if context := await replies.note(conn, inbound):
            inbound = dataclasses.replace(
                inbound, note="\n".join(filter(None, (context, inbound.note)))
            )
        resumed = confirmation.resume(chat, inbound, now, paused=bool(messages))
        async with drafts.running() if drafts else contextlib.nullcontext():
            result = await rt.agent.run(
                resumed.prompt,
                message_history=messages,
                deferred_tool_results=resumed.answers,
                deps=deps,
                model=rt.model,
                usage=usage,
                usage_limits=UsageLimits(
                    request_limit=rt.limits.requests, tool_calls_limit=rt.limits.tool_calls
                ),
                event_stream_handler=drafts.handle if drafts else None,
            )
        asked = confirmation.ask(result.output, deps.actor.language)
        await _audit_unseen_calls(deps, result.new_messages())
        reply = _sendable(asked.text, spoken)
        kept = result.all_messages()
        if asked.pending is None and reply != asked.text:
            kept = history.as_sent(kept, reply)
        ended = await turns.end_turn(
            conn,
            turn_id=turn_id,
            chat_id=inbound.chat_id,
            history=history.dump(history.trim(kept, keep)),
            language=spoken,
            pending_approval=asked.pending,
            pending_expires_at=now + rt.rules.confirmation_ttl if asked.pending else None,
            actor_role=deps.actor.what,
            requests=usage.requests,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            outcome="confirmation" if asked.pending else "ok",
            text=reply,
            buttons=asked.buttons,
            claim=inbound.claim,
            now=now,
        )
        if inbound.claim and not ended.finished:
            raise ClaimLost(inbound.claim)
        outcome = "confirmation" if asked.pending else "ok"
        return TurnResult(turn_id, ended.messages, outcome=outcome)


async def _admit(rt: Runtime, inbound: Inbound) -> Admission:
    async with rt.pool.acquire() as conn:
        return await allowance.admit(
            conn,
            rt.allowance,
            telegram_id=inbound.sender.telegram_id,
            admin_ids=rt.rules.admin_ids,
            now=rt.clock(),
        )


async def _refuse(rt: Runtime, inbound: Inbound, reason: str) -> TurnResult:
    """A fixed answer past the speaker's allowance, the model never asked: the message is
    taken (its item finished, the turn recorded), and the answer is given once an hour."""
    now = rt.clock()
    async with rt.pool.acquire() as conn, conn.transaction():
        chat, turn_id = await _begin(conn, rt, inbound, now)
        text = texts.text(f"limited.{reason}", _spoken(inbound, chat))
        hour = now.replace(minute=0, second=0, microsecond=0).isoformat()
        key = f"limited:{inbound.chat_id}:{reason}:{hour}"
        await outbox.enqueue(
            conn, chat_id=inbound.chat_id, text=text, turn_id=turn_id, dedupe_key=key, now=now
        )
        await turns.finish_turn(
            conn,
            turn_id=turn_id,
            requests=0,
            input_tokens=0,
            output_tokens=0,
            outcome=f"limited: {reason}",
            now=now,
        )
        claim = inbound.claim
        if claim and not await inbox.finish(conn, claim=claim, now=now):
            raise ClaimLost(claim)
        messages = await outbox.messages_of_turn(conn, turn_id=turn_id)
        return TurnResult(turn_id, messages, outcome="limited")


async def _begin(
    conn: Connection, rt: Runtime, inbound: Inbound, now: datetime
) -> tuple[ChatState, int]:
    chat, turn_id = await turns.begin_turn(
        conn,
        chat_id=inbound.chat_id,
        inbox_id=inbound.claim.id if inbound.claim else None,
        actor_telegram_id=inbound.sender.telegram_id,
        model=rt.model.model_name,
        now=now,
    )
    logs.note(turn=turn_id)
    trace.get_current_span().set_attribute("salesbot.turn_id", turn_id)
    return chat, turn_id


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


async def _audit_unseen_calls(deps: Deps, messages: list[ModelMessage]) -> None:
    """Calls that never reach a tool's own audit: to a tool not offered this turn (refused as
    the model is asked again; here those the run ended on), or with arguments that do not fit
    the tool's schema."""
    await refuse_unoffered(deps, messages)
    calls: dict[str, ToolCallPart] = {}
    for message in messages:
        for part in message.parts:
            if isinstance(part, ToolCallPart):
                calls[part.tool_call_id] = part
            elif _invalid(part):
                call = calls.get(part.tool_call_id)
                args = call.args_as_dict() if call else {}
                await audit_invalid(deps, part.tool_name, args, str(part.content))


def _invalid(part: object) -> TypeGuard[ToolReturnPart]:
    retry = part.retry if isinstance(part, ToolReturnPart) else None
    return retry is not None and retry.cause == "validation_error"


async def _apologise(
    rt: Runtime, inbound: Inbound, error: Exception, usage: RunUsage
) -> TurnResult:
    now = rt.clock()
    async with rt.pool.acquire() as conn, conn.transaction():
        chat, turn_id = await _begin(conn, rt, inbound, now)
        spoken = _spoken(inbound, chat)
        reason = texts.text(f"failure.{_kind(error)}", spoken)
        text = texts.text("failure.message", spoken, reason=reason)
        await outbox.enqueue(conn, chat_id=inbound.chat_id, text=text, turn_id=turn_id, now=now)
        await turns.finish_turn(
            conn,
            turn_id=turn_id,
            requests=usage.requests,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            outcome=f"failed: {type(error).__name__}",
            now=now,
        )
        claim = inbound.claim
        if claim and not await inbox.finish(conn, claim=claim, now=now, error=scrub(repr(error))):
            raise ClaimLost(claim)
        messages = await outbox.messages_of_turn(conn, turn_id=turn_id)
        return TurnResult(turn_id, messages, failed=True, outcome="failed")


REPLY_MAX = 12_000
"""About three Telegram messages: a model that writes more is cut, and the person told."""


def _sendable(reply: str, spoken: str | None) -> str:
    """The reply as it can be kept and sent: no NUL or lone surrogate, at most `REPLY_MAX`."""
    text = storable(reply)
    if len(text) <= REPLY_MAX:
        return text
    head = text[:REPLY_MAX]
    cut = head.rsplit("\n", 1)[0] if "\n" in head else head
    return f"{cut}\n\n{texts.text('reply.cut', spoken)}"


def _spoken(inbound: Inbound, chat: ChatState) -> str | None:
    known = chat.language or language.from_code(inbound.sender.language_code)
    return language.detect(inbound.text, known)


def _kind(error: Exception) -> str:
    model_failures = (ModelAPIError, UnexpectedModelBehavior, openai.OpenAIError, httpx.HTTPError)
    if isinstance(error, TimeoutError):
        return "deadline"
    if isinstance(error, UsageLimitExceeded):
        return "limit"
    return "model" if isinstance(error, model_failures) else "internal"
