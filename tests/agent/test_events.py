"""A scheduler event becomes a turn in the rep's chat: the agent is told what came due (not as
the rep's words) and writes to the rep; the event is done once written."""

from datetime import UTC, datetime, timedelta

import pytest
from inline_snapshot import snapshot

from agent.channel import Unreadable
from agent.events import ASK, inbound_for
from agent.runtime import inbox_kinds, plan_from
from agent.scheduler import tick
from agent.settings import default_settings
from agent.telegram import updates
from agent.turn import run_turn
from agent.workers import TurnWorkers
from db import inbox
from db.inbox import Claim
from db.prospects import record_contact
from db.reps import approve_rep, create_rep, get_rep_by_telegram_id, set_calendar_account
from db.scheduler import EventKind
from tests.agent.scripted import sent

MORNING = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


async def test_an_assignment_event_lets_the_agent_write_to_the_rep(talk):
    pool = talk.runtime.pool
    async with pool.acquire() as conn:
        rep = await create_rep(
            conn,
            telegram_id=501,
            name="Иван",
            email="ivan@truerealestate.bali",
            now=MORNING,
            timezone="Asia/Makassar",
        )
        await approve_rep(conn, rep_id=rep.id, now=MORNING)
        await conn.execute(
            "UPDATE prospects SET status = 'archived' WHERE id <> 'test_prospect_001'"
        )
    await tick(pool, plan_from(default_settings()), MORNING)
    talk.clock.now = MORNING
    (claim,) = [
        c
        for c in await inbox.claim(
            pool, worker="w", limit=10, now=MORNING, until=MORNING + timedelta(minutes=1)
        )
        if c.payload["event"] == "prospect_assigned"
    ]
    talk.script.say("Вам назначен Алексей Петров. Черновик: «Здравствуйте, Алексей!…»")
    result = await run_turn(talk.runtime, inbound_for(claim))

    assert sent(result) == [
        (501, "Вам назначен Алексей Петров. Черновик: «Здравствуйте, Алексей!…»", None)
    ]
    (prompt,) = talk.script.prompts
    assert prompt.startswith("[Scheduler event «prospect_assigned»; not the user's words.")
    assert '"name": "Алексей Петров"' in prompt and '"telegram": "@test_buyer_alex"' in prompt
    status = await pool.fetchval("SELECT status FROM inbox WHERE id = $1", claim.id)
    assert status == "done"


async def test_a_rep_snoozes_reminders_until_tomorrow_morning(talk):
    async with talk.runtime.pool.acquire() as conn:
        rep = await create_rep(
            conn,
            telegram_id=501,
            name="Иван",
            email="ivan@truerealestate.bali",
            now=MORNING,
            timezone="Asia/Makassar",
        )
        await approve_rep(conn, rep_id=rep.id, now=MORNING)
    talk.script.call("snooze_reminders", until="2026-11-21T09:00:00").say("Напомню завтра в 9.")
    talk.script.call("snooze_reminders", until="2026-11-19T09:00:00").say("…")
    await talk.say(501, "напомни завтра")
    assert talk.script.returned(0) == snapshot(
        {"reminders_held_until": "Saturday 2026-11-21 09:00 (Asia/Makassar)"}
    )
    until = await talk.runtime.pool.fetchval("SELECT snoozed_until FROM reps WHERE id = $1", rep.id)
    assert until == datetime(2026, 11, 21, 1, 0, tzinfo=UTC)
    await talk.say(501, "напомни вчера")
    assert "in the past" in talk.script.returns[-1].content


async def confirmation_pending_and_an_event(talk):
    """Ivan is asked to confirm leaving; then the scheduler assigns him a prospect."""
    pool = talk.runtime.pool
    async with pool.acquire() as conn:
        rep = await create_rep(
            conn,
            telegram_id=501,
            name="Иван",
            email="ivan@truerealestate.bali",
            now=MORNING,
            timezone="Asia/Makassar",
        )
        await approve_rep(conn, rep_id=rep.id, now=MORNING)
        await conn.execute(
            "UPDATE prospects SET status = 'archived' WHERE id <> 'test_prospect_001'"
        )
    talk.clock.now = MORNING
    talk.script.call("unregister_me")
    await talk.say(501, "хочу отключиться")
    await tick(pool, plan_from(default_settings()), MORNING)
    return TurnWorkers(talk.runtime, kinds=inbox_kinds(), wall=talk.clock)


async def serve(talk, workers):
    now = talk.clock.now
    claims = await workers.claim(10, now, now + timedelta(minutes=1))
    for claim in claims:
        await workers.handle(claim)
    return [c.payload.get("event") or c.kind for c in claims]


async def test_an_event_waits_while_the_chat_awaits_a_confirmation(talk):
    workers = await confirmation_pending_and_an_event(talk)
    assert await serve(talk, workers) == []
    press = {"id": "q1", "from": {"id": 501}, "message": {"chat": {"id": 501, "type": "private"}}}
    answer = updates.to_inbox({"update_id": 1, "callback_query": press | {"data": "cancel"}})
    assert answer is not None
    await inbox.add_updates(talk.runtime.pool, updates=[answer], now=MORNING)
    talk.script.say("Хорошо, ничего не меняю.")
    assert await serve(talk, workers) == ["callback"]
    assert "The user cancelled" in talk.script.last_return()

    talk.script.say("Вам назначен Алексей Петров.")
    assert await serve(talk, workers) == ["prospect_assigned"]
    assert talk.script.prompts[-1].startswith("[Scheduler event «prospect_assigned»")
    async with talk.runtime.pool.acquire() as conn:
        assert (await get_rep_by_telegram_id(conn, telegram_id=501)).status == "active"


async def test_an_event_goes_ahead_once_the_confirmation_expired(talk):
    workers = await confirmation_pending_and_an_event(talk)
    talk.clock.advance(minutes=14)
    assert await serve(talk, workers) == []
    talk.clock.advance(minutes=2)
    talk.script.say("Вам назначен Алексей Петров.")
    assert await serve(talk, workers) == ["prospect_assigned"]
    assert "expired" in talk.script.last_return()


def test_every_event_kind_has_its_note_for_the_agent():
    assert set(ASK) == set(EventKind)
    assert all(note.strip() for note in ASK.values())


def test_an_unknown_event_kind_is_unreadable_not_a_vague_turn():
    item = Claim(7, 501, "event", {"event": "birthday", "data": {}}, 1, "w")
    with pytest.raises(Unreadable, match="birthday"):
        inbound_for(item)


def test_an_event_becomes_a_note_with_its_data_not_the_users_words():
    data = {"prospect": "Алексей"}
    item = Claim(7, 501, "event", {"event": "follow_up", "data": data}, 1, "w")
    inbound = inbound_for(item)
    assert (inbound.chat_id, inbound.sender.telegram_id, inbound.text) == (501, 501, None)
    assert inbound.note == snapshot(
        '[Scheduler event «follow_up»; not the user\'s words. The rep contacted this prospect a while ago and has not reported an answer. Ask whether the prospect replied; offer a short, honest follow-up draft in the prospect\'s language (no invented scarcity or pressure). Data: {"prospect": "Алексей"}]'
    )


async def test_an_event_no_longer_true_by_morning_reaches_neither_the_model_nor_the_rep(talk):
    pool = talk.runtime.pool
    late = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)  # 22:30 in Bali
    async with pool.acquire() as conn:
        rep = await create_rep(
            conn,
            telegram_id=501,
            name="Иван",
            email="ivan@truerealestate.bali",
            now=late - timedelta(days=2),
            timezone="Asia/Makassar",
        )
        await approve_rep(conn, rep_id=rep.id, now=late - timedelta(days=2))
        await set_calendar_account(conn, rep_id=rep.id, account="ivan@x", now=late)
        await conn.execute(
            "UPDATE prospects SET status = 'archived' WHERE id <> 'test_prospect_001'"
        )
    await tick(pool, plan_from(default_settings()), late)  # held for 09:00
    async with pool.acquire() as conn:
        await record_contact(conn, prospect_id="test_prospect_001", rep_id=rep.id, now=late)
    talk.clock.now = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)
    workers = TurnWorkers(talk.runtime, kinds=inbox_kinds(), wall=talk.clock)

    assert await serve(talk, workers) == []  # the script is empty: a model call would fail
    rows = await pool.fetch("SELECT status, last_error FROM inbox WHERE chat_id = 501")
    assert [tuple(r) for r in rows] == [("dropped", "contact_reported")]
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE chat_id = 501") == 0
