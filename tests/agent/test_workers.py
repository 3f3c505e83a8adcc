"""The turn workers carry out what each kind's interpreter makes of an item, and know no
channel: a kind no interpreter reads, or an item an interpreter cannot read, is set aside with
why; a fixed reply goes out in the chat's language; work runs in code; an item that failed
every attempt is set aside and its person told once."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

from inline_snapshot import snapshot
from pydantic_ai.messages import ModelResponse, TextPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from agent.channel import Inbound, Reply, Sender, Unreadable, Work
from agent.workers import MAX_ATTEMPTS, TurnWorkers
from db import inbox
from db.chats import TEAM_CHAT
from db.inbox import Claim

CHAT = 501


async def queued(talk, kind: str, payload: dict, attempts: int = 0) -> None:
    await talk.runtime.pool.execute(
        "INSERT INTO inbox (chat_id, kind, payload, attempts, created_at, not_before)"
        " VALUES ($1, $2, $3, $4, $5, $5)",
        CHAT,
        kind,
        json.dumps(payload),
        attempts,
        talk.clock.now,
    )


async def serve(talk, workers: TurnWorkers) -> list[Claim]:
    now = talk.clock.now
    claims = await workers.claim(10, now, now + timedelta(minutes=1))
    for claim in claims:
        await workers.handle(claim)
    return claims


async def items(talk) -> list[tuple]:
    rows = await inbox.items_of_chat(talk.runtime.pool, chat_id=CHAT)
    return [(r["kind"], r["status"], r["last_error"]) for r in rows]


async def outbox_texts(talk) -> list[str]:
    rows = await talk.runtime.pool.fetch("SELECT text FROM outbox WHERE chat_id = $1", CHAT)
    return [r["text"] for r in rows]


def unreadable(item: Claim) -> Inbound:
    raise Unreadable(f"payload without a body: {item.payload}")


async def test_a_kind_no_interpreter_reads_is_set_aside_and_no_one_is_told(talk):
    await queued(talk, "carrier_pigeon", {"coo": 1})
    await queued(talk, "riddle", {})
    workers = TurnWorkers(talk.runtime, kinds={"riddle": unreadable}, wall=talk.clock)
    await serve(talk, workers)
    await serve(talk, workers)
    assert await items(talk) == snapshot(
        [
            ("carrier_pigeon", "failed", "no interpreter for inbox items of kind 'carrier_pigeon'"),
            ("riddle", "failed", "payload without a body: {}"),
        ]
    )
    assert await outbox_texts(talk) == []


async def test_a_fixed_reply_goes_out_once_in_the_chats_language(talk):
    def reply(item: Claim) -> Reply:
        return Reply(item.chat_id, "group", "en", dedupe_key="group:501")

    for _ in range(2):
        await queued(talk, "greeting", {})
    workers = TurnWorkers(talk.runtime, kinds={"greeting": reply}, wall=talk.clock)
    await serve(talk, workers)
    await serve(talk, workers)
    assert await items(talk) == [("greeting", "done", None)] * 2
    assert await outbox_texts(talk) == snapshot(
        ["I work in private chat only. Open a chat with me and write there."]
    )


async def test_nothing_to_do_finishes_the_item(talk):
    await queued(talk, "noise", {})
    workers = TurnWorkers(talk.runtime, kinds={"noise": lambda item: None}, wall=talk.clock)
    await serve(talk, workers)
    assert await items(talk) == [("noise", "done", None)]


async def test_work_runs_in_code_with_the_claim_in_hand(talk):
    done: list[tuple[int, int]] = []

    async def run(rt, claim: Claim) -> None:
        done.append((claim.chat_id, claim.attempt))
        async with rt.pool.acquire() as conn:
            assert await inbox.finish(conn, claim=claim, now=rt.clock())

    await queued(talk, "chore", {})
    workers = TurnWorkers(talk.runtime, kinds={"chore": lambda item: Work(run)}, wall=talk.clock)
    await serve(talk, workers)
    assert done == [(CHAT, 1)]
    assert await items(talk) == [("chore", "done", None)]


async def test_a_turn_is_run_for_an_inbound_with_the_claim(talk):
    def turn(item: Claim) -> Inbound:
        return Inbound(item.chat_id, Sender(item.chat_id), note="[A test note]")

    talk.script.say("Hello!")
    await queued(talk, "nudge", {})
    workers = TurnWorkers(talk.runtime, kinds={"nudge": turn}, wall=talk.clock)
    await serve(talk, workers)
    assert talk.script.prompts == ["[A test note]"]
    assert await items(talk) == [("nudge", "done", None)]
    assert await outbox_texts(talk) == ["Hello!"]


async def test_a_failure_gives_the_item_back_for_later_with_why(talk):
    def broken(item: Claim) -> Inbound:
        raise RuntimeError("the interpreter broke")

    await queued(talk, "fragile", {})
    workers = TurnWorkers(talk.runtime, kinds={"fragile": broken}, wall=talk.clock)
    await serve(talk, workers)
    (row,) = await inbox.items_of_chat(talk.runtime.pool, chat_id=CHAT)
    assert (row["status"], row["attempts"], row["last_error"]) == snapshot(
        ("pending", 1, "RuntimeError('the interpreter broke')")
    )
    assert row["not_before"] == talk.clock.now + timedelta(seconds=2)
    assert await serve(talk, workers) == []


async def test_a_turn_cut_off_by_the_database_going_away_is_tried_again_at_once(talk):
    """Not the message's fault: no apology, the item is due again as soon as the database is
    back, the outage does not count towards setting it aside (it was on its last attempt), and
    the chat's next message still waits for it."""
    pool = talk.runtime.pool

    async def dropping_the_turns_connection(messages, info: AgentInfo) -> ModelResponse:
        await pool.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND state LIKE 'idle in transaction%'"
        )
        return ModelResponse(parts=[TextPart("never kept")])

    rt = dataclasses.replace(talk.runtime, model=FunctionModel(dropping_the_turns_connection))
    await queued(talk, "nudge", {"n": 1}, attempts=MAX_ATTEMPTS - 1)
    await queued(talk, "nudge", {"n": 2})
    workers = TurnWorkers(rt, kinds={"nudge": nudge}, wall=talk.clock)
    (claim,) = await serve(talk, workers)
    first, _ = await inbox.items_of_chat(pool, chat_id=CHAT)
    assert (first["status"], first["attempts"], first["not_before"]) == (
        "pending",
        MAX_ATTEMPTS - 1,
        talk.clock.now,
    )
    assert "connection is closed" in first["last_error"]
    assert await outbox_texts(talk) == []
    talk.script.say("Hello!")
    workers = TurnWorkers(talk.runtime, kinds={"nudge": nudge}, wall=talk.clock)
    assert [c.id for c in await serve(talk, workers)] == [claim.id]
    assert await outbox_texts(talk) == ["Hello!"]


def nudge(item: Claim) -> Inbound:
    return Inbound(item.chat_id, Sender(item.chat_id), note="[Nudge]")


async def test_an_item_that_failed_every_attempt_is_set_aside_and_its_person_told(talk):
    await queued(talk, "fragile", {}, attempts=MAX_ATTEMPTS)
    workers = TurnWorkers(talk.runtime, kinds={"fragile": unreadable}, wall=talk.clock)
    await serve(talk, workers)
    assert await items(talk) == snapshot(
        [("fragile", "failed", "set aside after 5 failed attempts")]
    )
    assert await outbox_texts(talk) == snapshot(
        [
            "Извините, это сообщение у меня не получилось обработать даже с нескольких попыток, и я его отложил. Ничего не изменилось; попробуйте написать его иначе."
        ]
    )


async def test_a_team_task_that_failed_every_attempt_is_set_aside_and_no_one_is_told(talk):
    await talk.runtime.pool.execute(
        "INSERT INTO inbox (chat_id, kind, payload, attempts, created_at, not_before)"
        " VALUES ($1, 'fragile', '{}', $2, $3, $3)",
        TEAM_CHAT,
        MAX_ATTEMPTS,
        talk.clock.now,
    )
    workers = TurnWorkers(talk.runtime, kinds={"fragile": unreadable}, wall=talk.clock)
    await serve(talk, workers)
    rows = await inbox.items_of_chat(talk.runtime.pool, chat_id=TEAM_CHAT)
    assert [(r["status"], r["last_error"]) for r in rows] == [
        ("failed", "set aside after 5 failed attempts")
    ]
    assert await talk.runtime.pool.fetchval("SELECT count(*) FROM outbox") == 0
