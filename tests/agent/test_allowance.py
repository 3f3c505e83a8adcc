"""A stranger cannot run up the model bill: through the turn path, a counting model is asked no
more often than the allowance lets strangers ask it; past it a fixed answer in their language,
once an hour, and the message is taken all the same; a limited speaker's request stays small
however long their messages are; admins are not limited."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from datetime import timedelta

from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.usage import RequestUsage

from agent.allowance import Allowance
from agent.channel import Inbound, Sender
from agent.runtime import allowance_from
from agent.settings import default_settings
from agent.turn import run_turn
from db import inbox
from db.allowance import Caps
from db.inbox import Update
from tests.agent.scripted import ADMIN, dialogue
from tests.conftest import NOW

LIMITED = ("unknown", "pending", "suspended", "rejected", "removed")


class Counting:
    """A model that answers every request at once, and counts them and their sizes."""

    def __init__(self) -> None:
        self.requests = 0
        self.sizes: list[int] = []

    def __call__(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        self.requests += 1
        self.sizes.append(len(json.dumps([str(m) for m in messages])))
        usage = RequestUsage(input_tokens=100, output_tokens=20)  # as a server reports it
        return ModelResponse(parts=[TextPart("Hello! How can I help?")], usage=usage)


def allowing(**caps: int) -> Allowance:
    values = {"turns_per_hour": 20, "tokens_per_day": 200_000, "all_turns_per_hour": 300}
    return Allowance(
        limited_roles=LIMITED,
        caps=Caps(**(values | caps)),
        message_chars=2000,
        history_messages=12,
    )


async def counted(db_dsn, allowance):
    talk, pool = await dialogue(db_dsn)
    model = Counting()
    talk.runtime = dataclasses.replace(
        talk.runtime, model=FunctionModel(model), allowance=allowance
    )
    return talk, pool, model


async def test_500_strangers_cost_no_more_model_requests_than_all_of_them_may(db_dsn):
    talk, pool, model = await counted(db_dsn, allowing(all_turns_per_hour=50))
    try:
        strangers = range(10_000, 10_500)
        updates = [Update(i, chat, "message", {}) for i, chat in enumerate(strangers)]
        await inbox.add_updates(pool, updates=updates, now=NOW)
        claims = await inbox.claim(pool, worker="w", limit=500, now=NOW, until=NOW + timedelta(1))
        assert len(claims) == 500
        results = await asyncio.gather(
            *(
                run_turn(talk.runtime, Inbound(c.chat_id, Sender(c.chat_id), "hi", claim=c))
                for c in claims
            )
        )
        assert model.requests == 50
        assert sum(not r.failed for r in results) == 500
        outcomes = await pool.fetch("SELECT outcome, count(*) AS n FROM turns GROUP BY 1")
        assert {r["outcome"]: r["n"] for r in outcomes} == {"ok": 50, "limited: busy": 450}
        assert await pool.fetchval("SELECT count(*) FROM inbox WHERE status = 'done'") == 500
        answers = await pool.fetch(
            "SELECT DISTINCT text FROM outbox WHERE turn_id IN "
            "(SELECT id FROM turns WHERE outcome = 'limited: busy')"
        )
        assert [a["text"] for a in answers] == [
            "I am getting very many messages from new people right now and cannot answer yours "
            "at the moment. Please write again in an hour."
        ]
    finally:
        await pool.close()


async def test_past_the_hours_turns_one_fixed_answer_in_their_language_and_an_hour_later_more(
    db_dsn,
):
    talk, pool, model = await counted(db_dsn, allowing(turns_per_hour=3))
    try:
        replies = [await talk.say(501, f"привет, это сообщение номер {i}") for i in range(6)]
        assert model.requests == 3
        assert [len(r.messages) for r in replies] == [1, 1, 1, 1, 0, 0]  # answered once an hour
        assert replies[3].messages[0].text.startswith("За этот час вы написали много сообщений")
        talk.clock.advance(hours=1, seconds=1)
        await talk.say(501, "привет ещё раз")
        assert model.requests == 4
    finally:
        await pool.close()


async def test_past_the_days_tokens_a_fixed_answer_and_tomorrow_more(db_dsn):
    talk, pool, model = await counted(db_dsn, allowing(tokens_per_day=200))
    try:
        for _ in range(3):
            await talk.say(501, "hello there, I would like to know about the team")
        assert model.requests == 2  # 120 tokens each: the second turn ends past 200
        spent = await pool.fetchval("SELECT sum(input_tokens + output_tokens) FROM turns")
        assert spent == 240
        refused = await pool.fetchval("SELECT text FROM outbox ORDER BY id DESC LIMIT 1")
        assert refused.startswith("You have reached today's limit of messages")
        before = model.requests
        talk.clock.advance(hours=24, seconds=1)
        await talk.say(501, "hello again")
        assert model.requests == before + 1
    finally:
        await pool.close()


async def test_a_strangers_long_messages_keep_every_request_small(db_dsn):
    talk, pool, model = await counted(db_dsn, allowing(turns_per_hour=100))
    try:
        for i in range(60):
            await talk.say(501, f"{i} " + "very long message " * 300)  # 5.4 KB each
        assert model.requests == 60
        assert max(model.sizes) < 40_000
        assert model.sizes[-1] <= model.sizes[20] * 1.1  # it stopped growing
    finally:
        await pool.close()


async def test_admins_are_not_limited_and_their_chats_are_whole(db_dsn):
    talk, pool, model = await counted(db_dsn, allowing(turns_per_hour=2, all_turns_per_hour=2))
    try:
        for i in range(10):
            await talk.say(ADMIN, f"{i} " + "long " * 1000)
        assert model.requests == 10
        assert "long " * 999 in (await pool.fetchval("SELECT history::text FROM chats"))
    finally:
        await pool.close()


def test_the_app_limits_strangers_and_not_the_team_by_default():
    built = allowance_from(default_settings())
    assert built.limited_roles == LIMITED
    assert "admin" not in built.limited_roles and "active" not in built.limited_roles
    assert allowance_from(default_settings(limited_roles="none")).limited_roles == ()
