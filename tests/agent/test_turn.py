"""One turn in one transaction: a turn whose claim was taken by another worker leaves no trace;
a model that breaks down leaves nothing changed, the person told in their language and the item
finished; a call the role is not offered or whose arguments do not fit is audited although no
tool ever ran."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import pytest
from inline_snapshot import snapshot
from pydantic_ai.exceptions import ModelHTTPError
from pydantic_ai.messages import ModelResponse, TextPart
from pydantic_ai.models.function import FunctionModel

from agent import history
from agent.channel import Inbound, Sender
from agent.turn import ClaimLost, run_turn
from db import inbox
from db.inbox import Update
from tests.agent.scripted import sent
from tests.conftest import NOW

STRANGER = 501
LEASE = timedelta(seconds=30)


async def taken_over(pool):
    """The first worker's claim, after its lease ran out and a second worker took the item."""
    update = Update(1, STRANGER, "message", {"update_id": 1})
    await inbox.add_updates(pool, updates=[update], now=NOW)
    (first,) = await inbox.claim(pool, worker="w1", limit=1, now=NOW, until=NOW + LEASE)
    later = NOW + LEASE + timedelta(seconds=1)
    (second,) = await inbox.claim(pool, worker="w2", limit=1, now=later, until=later + LEASE)
    return first, second


async def trace(pool) -> dict[str, int]:
    counts = {}
    for table in ("reps", "turns", "outbox", "audit_log", "chats"):
        counts[table] = await pool.fetchval(f"SELECT count(*) FROM {table}")
    return counts


async def test_a_turn_whose_claim_was_taken_leaves_no_trace(talk):
    pool = talk.runtime.pool
    first, _ = await taken_over(pool)
    before = await trace(pool)
    talk.script.call("register_rep", name="Иван Петров", email="ivan@truerealestate.bali")
    talk.script.say("Заявка отправлена.")
    inbound = Inbound(STRANGER, Sender(STRANGER), text="Я Иван Петров, ivan@truerealestate.bali")
    with pytest.raises(ClaimLost, match=f"inbox item {first.id} was taken"):
        await run_turn(talk.runtime, dataclasses.replace(inbound, claim=first))
    assert await trace(pool) == before
    row = await inbox.get_item(pool, inbox_id=first.id)
    assert (row["status"], row["locked_by"]) == ("pending", "w2")


async def test_a_failed_turn_whose_claim_was_taken_does_not_apologise_either(talk):
    pool = talk.runtime.pool
    first, _ = await taken_over(pool)
    before = await trace(pool)
    talk.script.fail(ModelHTTPError(503, "gpt", "overloaded"))
    with pytest.raises(ClaimLost):
        await run_turn(talk.runtime, Inbound(STRANGER, Sender(STRANGER), text="hi", claim=first))
    assert await trace(pool) == before


async def test_a_model_that_breaks_down_changes_nothing_and_the_person_hears_why(talk):
    pool = talk.runtime.pool
    await inbox.add_updates(pool, updates=[Update(1, STRANGER, "message", {})], now=NOW)
    (claim,) = await inbox.claim(pool, worker="w1", limit=1, now=NOW, until=NOW + LEASE)
    talk.script.call("register_rep", name="Olga", email="olga@truerealestate.bali")
    talk.script.fail(ModelHTTPError(503, "gpt", "overloaded"))
    inbound = Inbound(STRANGER, Sender(STRANGER), text="I am Olga, register me", claim=claim)
    result = await run_turn(talk.runtime, inbound)
    assert result.failed
    assert sent(result) == snapshot(
        [
            (
                501,
                "Sorry, I could not process that message: the language model is unavailable. Nothing was changed; please try again in a moment.",
                None,
            )
        ]
    )
    assert await pool.fetchval("SELECT count(*) FROM reps") == 0
    outcome = await pool.fetchval("SELECT outcome FROM turns WHERE id = $1", result.turn_id)
    assert outcome == "failed: ModelHTTPError"
    row = await inbox.get_item(pool, inbox_id=claim.id)
    assert (row["status"], row["last_error"].startswith("ModelHTTPError")) == ("done", True)


async def test_calls_that_never_reach_a_tool_are_audited(talk):
    talk.script.call("approve_rep", rep="@olga")
    talk.script.call("register_rep", name="Olga")
    talk.script.say("Please tell me your email.")
    await talk.say(STRANGER, "approve @olga and register me as Olga")
    rows = await talk.runtime.pool.fetch(
        "SELECT tool, actor_role, allowed, outcome, detail FROM audit_log ORDER BY id"
    )
    assert [tuple(r) for r in rows] == snapshot(
        [
            ("approve_rep", "unknown", False, "refused", "not offered to role unknown"),
            (
                "register_rep",
                "unknown",
                True,
                "invalid",
                "[{'type': 'missing', 'loc': ['email'], 'msg': 'Field required', 'input': {'name': 'Olga'}}]",
            ),
        ]
    )


async def test_a_looping_model_is_stopped_at_the_turns_limit_and_its_cost_is_kept(talk):
    for _ in range(30):
        talk.script.call("my_status")
    talk.runtime = dataclasses.replace(
        talk.runtime, limits=dataclasses.replace(talk.runtime.limits, requests=5)
    )
    result = await talk.say(STRANGER, "who am I? who am I?")
    assert result.failed
    assert sent(result) == snapshot(
        [
            (
                501,
                "Sorry, I could not process that message: it needed more steps than one message may take (try asking for less at once). Nothing was changed; please try again in a moment.",
                None,
            )
        ]
    )
    turn = await talk.runtime.pool.fetchrow("SELECT requests, outcome FROM turns")
    assert tuple(turn) == (5, "failed: UsageLimitExceeded")


async def test_a_hung_model_ends_the_turn_at_its_deadline_with_nothing_kept(talk):
    never = asyncio.Event()

    async def hang(messages, info):
        await never.wait()

    talk.runtime = dataclasses.replace(
        talk.runtime,
        model=FunctionModel(hang),
        limits=dataclasses.replace(talk.runtime.limits, deadline=timedelta(seconds=0.05)),
    )
    result = await talk.say(STRANGER, "Привет, зарегистрируй меня")
    assert result.failed
    assert sent(result) == snapshot(
        [
            (
                501,
                "Извините, у меня не получилось обработать сообщение: ответ готовился слишком долго. Ничего не изменилось, попробуйте ещё раз чуть позже.",
                None,
            )
        ]
    )
    assert await talk.runtime.pool.fetchval("SELECT count(*) FROM reps") == 0


async def test_a_reply_of_a_megabyte_is_cut_to_a_few_messages_and_says_so(talk):
    talk.script.say("строка ответа\n" * 80_000)
    result = await talk.say(STRANGER, "расскажи всё")
    assert not result.failed
    assert 1 <= len(result.messages) <= 4
    whole = "".join(m.text for m in result.messages)
    assert len(whole) < 13_000
    assert whole.endswith("Спросите продолжение по частям.)")


async def test_the_history_keeps_a_cut_reply_as_the_person_received_it(talk):
    talk.script.say("строка ответа\n" * 80_000)
    result = await talk.say(STRANGER, "расскажи всё")
    sent_reply = "".join(m.text for m in result.messages)
    stored = await talk.runtime.pool.fetchval(
        "SELECT history::text FROM chats WHERE chat_id = $1", STRANGER
    )
    replies = [
        p.content
        for m in history.load(stored)
        if isinstance(m, ModelResponse)
        for p in m.parts
        if isinstance(p, TextPart)
    ]
    assert replies == [sent_reply]
    assert len(stored) < 20_000
