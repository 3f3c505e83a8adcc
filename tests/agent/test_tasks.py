"""A meeting booked while HubSpot was down owes its log: the scheduler queues a task for it
once per retry interval, the turn workers run it in code, and once HubSpot answers the log is
made, the meeting owes nothing more and the rep is told; nothing is queued after that."""

import asyncio
import dataclasses
from datetime import timedelta

import pytest
from inline_snapshot import snapshot

from agent.integrations import services_from
from agent.runtime import inbox_kinds, plan_from
from agent.scheduler import tick
from agent.settings import default_settings, load_settings
from agent.telegram import updates
from agent.workers import TurnWorkers
from db import inbox
from db.chats import TEAM_CHAT
from db.meetings import meetings_of_prospect
from db.prospects import assign_prospect_to_rep
from db.reps import approve_rep, create_rep
from tests.agent import test_integrations
from tests.agent.scripted import ADMIN, dialogue
from tests.agent.test_integrations import IVAN, rep_with_alex
from tests.conftest import NOW
from tests.fakes.clock import no_wait
from tests.fakes.hubspot import FakeHubSpot
from tools.clients.retry import RetryPolicy

OLGA = 502
ALEX = "test_prospect_001"
DAY = timedelta(days=1)
FAST = RetryPolicy(attempts=2, initial_wait=0.01, max_wait=0.02, sleep=no_wait)
PLAN = plan_from(default_settings(outreach_enabled=False, owed_retry_minutes=30))

wired = test_integrations.wired


@pytest.fixture
async def talk_and_hubspot(db_dsn):
    async with FakeHubSpot() as hubspot:
        settings = load_settings(
            _env_file=None, hubspot_access_token=hubspot.token, hubspot_api_url=hubspot.url
        )
        talk, pool = await dialogue(db_dsn)
        try:
            async with services_from(
                settings, journal=pool, clock=talk.clock, policy=FAST
            ) as services:
                talk.runtime = dataclasses.replace(talk.runtime, services=services)
                yield talk, hubspot
        finally:
            await pool.close()


async def test_an_owed_hubspot_log_is_retried_by_the_scheduler_until_it_is_made(talk_and_hubspot):
    talk, hubspot = talk_and_hubspot
    pool = talk.runtime.pool
    async with pool.acquire() as conn:
        rep = await create_rep(
            conn,
            telegram_id=OLGA,
            name="Olga",
            email="olga@truerealestate.bali",
            language="en",
            now=NOW,
            timezone="Asia/Makassar",
        )
        await approve_rep(conn, rep_id=rep.id, now=NOW)
        await assign_prospect_to_rep(conn, prospect_id=ALEX, rep_id=rep.id, now=NOW)
        await conn.execute("UPDATE reps SET calendar_connected_at = $1", NOW)
    hubspot.fail("/crm/", 503, times=FAST.attempts)
    talk.script.call("book_calendar", prospect="@test_buyer_alex", start="2026-11-26T15:00:00")
    await talk.say(OLGA, "Book Alexey at 15:00 on Thursday")
    talk.script.say("Booked; HubSpot will be logged later.")
    await talk.press(OLGA, "confirm")
    booked_at = talk.clock.now

    workers = TurnWorkers(talk.runtime, kinds=inbox_kinds(), wall=talk.clock)
    story = []
    for minutes, down in ((10, False), (30, True), (40, False), (60, False), (90, False)):
        talk.clock.now = booked_at + timedelta(minutes=minutes)
        if down:
            hubspot.fail("/crm/", 503, times=FAST.attempts)
        queued = await tick(pool, PLAN, talk.clock.now)
        assert queued is not None
        claims = await workers.claim(10, talk.clock.now, talk.clock.now + timedelta(minutes=1))
        for claim in claims:
            await workers.handle(claim)
        async with pool.acquire() as conn:
            (meeting,) = await meetings_of_prospect(conn, prospect_id=ALEX)
        story.append((minutes, queued["owed"], [c.kind for c in claims], meeting.owed))

    assert story == snapshot(
        [
            (10, 0, [], ["hubspot"]),
            (30, 1, ["task"], ["hubspot"]),
            (40, 0, [], ["hubspot"]),
            (60, 1, ["task"], []),
            (90, 0, [], []),
        ]
    )
    assert [line for line in hubspot.log() if "meetings" in line] == snapshot(
        ["POST /crm/v3/objects/meetings 201"]
    )
    tasks = await pool.fetch("SELECT status, last_error FROM inbox WHERE kind = 'task' ORDER BY id")
    assert [tuple(t) for t in tasks] == snapshot(
        [
            (
                "done",
                "Not done: the HubSpot log (Injected fault 503 (HTTP 503)); it is recorded to be done later",
            ),
            ("done", None),
        ]
    )
    audited = await pool.fetch(
        "SELECT tool, actor_telegram_id, allowed, outcome FROM audit_log"
        " WHERE tool = 'settle_meeting' ORDER BY id"
    )
    assert [tuple(a) for a in audited] == snapshot(
        [("settle_meeting", 502, True, "not_done"), ("settle_meeting", 502, True, "ok")]
    )
    told = await pool.fetch("SELECT text FROM outbox WHERE chat_id = $1 ORDER BY id", OLGA)
    assert [t[0] for t in told][-1] == snapshot(
        "The meeting «Алексей Петров — True Real Estate» (26.11 15:00) is now logged in HubSpot; it was down before."
    )
    assert meeting.hubspot_meeting_id is not None


async def test_each_connected_calendar_is_synced_on_its_own_time_and_a_failing_one_backs_off(
    wired,
):
    """Ivan's calendar works; Olga's does not (Google refuses to act as her): Ivan is synced
    every ten minutes, Olga less and less often, and told once; two schedulers queue each
    sync once."""
    talk, google = wired.talk, wired.google
    google.delegation_allowed = {"ivan@truerealestate.bali"}
    for telegram_id, name, email, language in (
        (IVAN, "Иван Иванов", "ivan@truerealestate.bali", "ru"),
        (OLGA, "Olga Smirnova", "olga@truerealestate.bali", "en"),
    ):
        await rep_with_alex(talk, telegram_id, name, email, language)
    pool = talk.runtime.pool
    await pool.execute("UPDATE reps SET calendar_connected_at = $1", NOW)
    plan = plan_from(default_settings(outreach_enabled=False, google_service_account_file="x"))
    workers = TurnWorkers(talk.runtime, kinds=inbox_kinds(), wall=talk.clock)
    story = []
    for minutes in range(0, 321, 10):
        talk.clock.now = NOW + timedelta(minutes=minutes)
        first, second = (
            await tick(pool, plan, talk.clock.now),
            await tick(pool, plan, talk.clock.now),
        )
        assert first is not None and second is not None and second["calendar_sync"] == 0
        claims = await workers.claim(10, talk.clock.now, talk.clock.now + timedelta(minutes=1))
        for claim in claims:
            await workers.handle(claim)
        story.append((minutes, first["calendar_sync"]))
    assert {n for _, n in story} == {1, 2}  # Ivan every time
    assert [m for m, n in story if n == 2] == snapshot([0, 10, 30, 70, 150, 310])  # Olga too
    states = await pool.fetch(
        "SELECT r.telegram_id, s.consecutive_failures, s.last_synced_at IS NOT NULL"
        " FROM calendar_syncs s JOIN reps r ON r.id = s.rep_id ORDER BY r.telegram_id"
    )
    assert [tuple(s) for s in states] == snapshot([(501, 0, True), (502, 6, False)])
    told = await pool.fetch("SELECT chat_id, left(text, 40) FROM outbox ORDER BY id")
    assert [tuple(t) for t in told] == snapshot([(502, "I cannot read your Google Calendar: the ")])


async def test_hubspot_is_synced_once_every_interval_in_the_teams_background_chat(
    talk_and_hubspot,
):
    """Every 15 minutes of the clock, however often the scheduler ticks: a contact changed in
    between arrives with the next interval's sync, not before; off without HubSpot or at 0. The
    sync is the team's, in no person's chat, and audited as no person's."""
    talk, hubspot = talk_and_hubspot
    pool = talk.runtime.pool
    hubspot.add_contact("wayan@example.com", "Wayan", updated=NOW - DAY, lifecyclestage="lead")
    configured = {"hubspot_access_token": hubspot.token, "outreach_enabled": False}
    plan = plan_from(default_settings(admin_telegram_ids=(ADMIN,), **configured))
    workers = TurnWorkers(talk.runtime, kinds=inbox_kinds(), wall=talk.clock)
    talk.script.say("Сводка по команде.")  # the admin's daily team digest, due at once
    story = []
    for minutes in range(0, 31, 5):
        talk.clock.now = NOW + timedelta(minutes=minutes)
        if minutes == 5:
            hubspot.add_contact(
                "made@example.com", "Made", updated=talk.clock.now, lifecyclestage="lead"
            )
        queued = await tick(pool, plan, talk.clock.now)
        assert queued is not None
        tasks = []
        while claims := await workers.claim(
            10, talk.clock.now, talk.clock.now + timedelta(minutes=1)
        ):
            for claim in claims:
                await workers.handle(claim)
            tasks += [(c.chat_id, c.payload["task"]) for c in claims if c.kind == "task"]
        synced = await pool.fetchval("SELECT count(*) FROM prospects WHERE source = 'hubspot'")
        story.append((minutes, queued["crm_sync"], tasks, synced))
    assert story == snapshot(
        [
            (0, 1, [(TEAM_CHAT, "crm_sync")], 1),
            (5, 0, [], 1),
            (10, 0, [], 1),
            (15, 1, [(TEAM_CHAT, "crm_sync")], 2),
            (20, 0, [], 2),
            (25, 0, [], 2),
            (30, 1, [(TEAM_CHAT, "crm_sync")], 2),
        ]
    )
    done = await pool.fetch("SELECT status, last_error FROM inbox WHERE kind = 'task'")
    assert {tuple(d) for d in done} == {("done", None)}
    audited = await pool.fetch(
        "SELECT actor_telegram_id, actor_role, outcome FROM audit_log WHERE tool = 'crm_sync'"
    )
    assert [tuple(a) for a in audited] == snapshot([(None, "team", "ok")] * 3)
    off = plan_from(default_settings(admin_telegram_ids=(ADMIN,), outreach_enabled=False))
    at_zero = plan_from(default_settings(hubspot_sync_minutes=0, **configured))
    assert (off.crm_sync_every, at_zero.crm_sync_every, plan.crm_sync_every) == (
        None,
        None,
        timedelta(minutes=15),
    )


def admin_says(text: str) -> inbox.Update:
    person = {"id": ADMIN, "is_bot": False, "first_name": "Ketut"}
    message = {"from": person, "chat": {"id": ADMIN, "type": "private"}, "text": text}
    row = updates.to_inbox({"update_id": 1, "message": message})
    assert row is not None
    return row


async def test_a_sync_waiting_on_hubspot_holds_up_no_admins_messages(talk_and_hubspot):
    """The sync is claimed and runs until HubSpot answers; meanwhile the first admin's message
    is claimed and answered; then the sync finishes with the same result, telling no one."""
    talk, hubspot = talk_and_hubspot
    pool = talk.runtime.pool
    hubspot.add_contact("wayan@example.com", "Wayan", updated=NOW - DAY, lifecyclestage="lead")
    configured = {"hubspot_access_token": hubspot.token, "outreach_enabled": False}
    plan = plan_from(default_settings(**configured))  # no admins to name: the sync is the team's
    workers = TurnWorkers(talk.runtime, kinds=inbox_kinds(), wall=talk.clock)
    now, until = talk.clock.now, talk.clock.now + timedelta(minutes=1)
    queued = await tick(pool, plan, now) or {}
    assert {kind: count for kind, count in queued.items() if count} == {"crm_sync": 1}
    hubspot.gate.close()
    (sync,) = await workers.claim(10, now, until)
    syncing = asyncio.create_task(workers.handle(sync))
    await hubspot.gate.reached(1)

    await inbox.add_updates(pool, updates=[admin_says("Кто ждёт одобрения?")], now=now)
    talk.script.say("Никто не ждёт.")
    (message,) = await workers.claim(10, now, until)
    await workers.handle(message)
    told = await pool.fetch("SELECT chat_id, text FROM outbox ORDER BY id")
    assert ([tuple(t) for t in told], syncing.done()) == ([(ADMIN, "Никто не ждёт.")], False)

    hubspot.gate.open()
    await syncing
    items = await pool.fetch("SELECT chat_id, kind, status, last_error FROM inbox ORDER BY id")
    assert [tuple(i) for i in items] == [
        (TEAM_CHAT, "task", "done", None),
        (ADMIN, "message", "done", None),
    ]
    synced = await pool.fetch("SELECT name, email FROM prospects WHERE source = 'hubspot'")
    assert [tuple(s) for s in synced] == [("Wayan", "wayan@example.com")]
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 1


async def test_a_failed_sync_is_finished_with_why_and_no_one_is_told(talk_and_hubspot):
    talk, hubspot = talk_and_hubspot
    pool = talk.runtime.pool
    configured = {"hubspot_access_token": hubspot.token, "outreach_enabled": False}
    plan = plan_from(default_settings(admin_telegram_ids=(ADMIN,), **configured))
    workers = TurnWorkers(talk.runtime, kinds=inbox_kinds(), wall=talk.clock)
    talk.clock.now = NOW.replace(hour=20)  # 04:00 in Bali: before the admins' digest
    hubspot.fail("/crm/", 503, times=10)
    assert (await tick(pool, plan, talk.clock.now) or {})["crm_sync"] == 1
    now = talk.clock.now
    for claim in await workers.claim(10, now, now + timedelta(minutes=1)):
        await workers.handle(claim)
    done = await pool.fetch("SELECT chat_id, status, last_error FROM inbox")
    assert [tuple(d) for d in done] == snapshot(
        [
            (
                0,
                "done",
                "Not done: the HubSpot sync (Injected fault 503 (HTTP 503)); it goes on from there next time",
            )
        ]
    )
    audited = await pool.fetch(
        "SELECT actor_telegram_id, actor_role, outcome, detail FROM audit_log"
        " WHERE tool = 'crm_sync'"
    )
    assert [tuple(a) for a in audited] == snapshot(
        [
            (
                None,
                "team",
                "not_done",
                "the HubSpot sync (Injected fault 503 (HTTP 503)); it goes on from there next time",
            )
        ]
    )
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 0
