"""The scheduler on a real database with a controlled clock: each piece of due work becomes one
event however many ticks, restarts or concurrent schedulers see it; quiet hours hold events
until the rep's morning; round-robin spreads prospects evenly; suspended reps get nothing."""

import asyncio
import dataclasses
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest
from inline_snapshot import snapshot

from agent import scheduler
from agent.runtime import plan_from
from agent.scheduler import tick
from agent.settings import default_settings
from db.chats import TEAM_CHAT
from db.deals import create_deal
from db.meetings import create_meeting
from db.pool import create_pool
from db.prospects import create_prospect, record_contact
from db.reps import approve_rep, create_rep, set_calendar_account, suspend_rep
from db.verification import mark_verified

MORNING = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # 11:00 in Bali
PLAN = plan_from(default_settings(admin_telegram_ids=(1000,)))


@pytest.fixture
async def pool(db_dsn):
    pool = await create_pool(db_dsn, min_size=1, max_size=6)
    yield pool
    await pool.close()


async def team(pool, count=3, at=MORNING - timedelta(days=2)):
    reps = []
    async with pool.acquire() as conn:
        for i in range(count):
            rep = await create_rep(
                conn,
                telegram_id=501 + i,
                name=f"Rep {i}",
                email=f"rep{i}@truerealestate.bali",
                now=at,
                timezone="Asia/Makassar",
            )
            reps.append(await approve_rep(conn, rep_id=rep.id, now=at + timedelta(minutes=i)))
    return reps


async def digests(pool):
    rows = await pool.fetch(
        "SELECT payload->'data' FROM inbox WHERE payload->>'event' = 'stale_digest' ORDER BY id"
    )
    return [r[0] for r in rows]


async def events(pool):
    rows = await pool.fetch(
        "SELECT chat_id, payload->>'event' AS kind, not_before FROM inbox ORDER BY id"
    )
    return [(r["chat_id"], r["kind"]) for r in rows]


async def test_ten_prospects_spread_evenly_over_three_reps_and_each_rep_is_told(pool):
    await team(pool)
    async with pool.acquire() as conn:
        for i in range(7):  # with the three seeded prospects, ten are waiting
            await create_prospect(conn, name=f"Client {i}", now=MORNING - timedelta(hours=1))
    queued = await tick(pool, PLAN, MORNING)
    assert queued is not None
    assert queued["assigned"] == 10
    loads = await pool.fetch(
        "SELECT r.telegram_id, count(*) FROM prospects p JOIN reps r ON r.id = p.assigned_rep_id"
        " GROUP BY 1 ORDER BY 1"
    )
    assert [tuple(r) for r in loads] == snapshot([(501, 4), (502, 3), (503, 3)])
    assigned = [e for e in await events(pool) if e[1] == "prospect_assigned"]
    assert Counter(assigned) == {
        (501, "prospect_assigned"): 4,
        (502, "prospect_assigned"): 3,
        (503, "prospect_assigned"): 3,
    }


class AwayOnce:
    """The pool as a database restart leaves it: the first tick cannot get a connection; the
    process is told to stop once the next one has one."""

    def __init__(self, pool, stop):
        self.pool, self.stop, self.acquired = pool, stop, 0

    def acquire(self):
        self.acquired += 1
        if self.acquired == 1:
            raise asyncpg.InterfaceError("connection was closed in the middle of operation")
        self.stop.set()
        return self.pool.acquire()


async def test_the_scheduler_survives_the_database_going_away_and_ticks_again(pool, caplog):
    await team(pool)
    stop = asyncio.Event()
    waits = []

    def backoff(failures):
        waits.append(failures)
        return 0

    away = AwayOnce(pool, stop)
    ticking = scheduler.run(
        away,  # type: ignore[arg-type]
        PLAN,
        clock=lambda: MORNING,
        every=60,
        stop=stop,
        backoff=backoff,
    )
    await asyncio.wait_for(ticking, 10)
    assert waits == [1]
    assert "scheduler tick failed" in caplog.text
    assert len([e for e in await events(pool) if e[1] == "prospect_assigned"]) == 3


async def test_each_event_fires_once_across_ticks_restarts_and_two_schedulers(pool, db_dsn):
    reps = await team(pool, count=2)
    async with pool.acquire() as conn:
        await create_rep(
            conn,
            telegram_id=601,
            name="Waiting",
            email="w@truerealestate.bali",
            now=MORNING,
            timezone="Asia/Makassar",
        )
        await create_meeting(
            conn,
            rep_id=reps[0].id,
            prospect_id="test_prospect_002",
            title="Call",
            starts_at=MORNING + timedelta(days=1, minutes=30),
            ends_at=MORNING + timedelta(days=1, minutes=60),
            sandbox=True,
            now=MORNING,
        )
    other = await create_pool(db_dsn, min_size=1, max_size=2)
    try:
        moments = [MORNING + timedelta(hours=h) for h in (0, 1, 24, 24, 25, 26, 26, 30)]
        for moment in moments:
            await asyncio.gather(tick(pool, PLAN, moment), tick(other, PLAN, moment))
    finally:
        await other.close()
    assert Counter(kind for _, kind in await events(pool)) == snapshot(
        {
            "prospect_assigned": 3,
            "calendar_reminder": 2,
            "pending_application": 1,
            "unreached_reminder": 3,
            "meeting_prep": 1,
            "meeting_debrief": 1,
            "team_digest": 2,
        }
    )


async def test_an_event_in_quiet_hours_waits_for_the_reps_morning(pool):
    await team(pool, count=1)
    late = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)  # 22:30 in Bali
    await tick(pool, PLAN, late)
    due = await pool.fetch("SELECT DISTINCT not_before FROM inbox WHERE chat_id = 501")
    assert [r[0] for r in due] == [datetime(2026, 11, 21, 1, 0, tzinfo=UTC)]  # 09:00 in Bali

    await tick(pool, PLAN, late + timedelta(hours=12))
    kinds = await pool.fetch("SELECT payload->>'event' FROM inbox ORDER BY id")
    assert [r[0] for r in kinds] == snapshot(
        [
            "prospect_assigned",
            "prospect_assigned",
            "prospect_assigned",
            "calendar_reminder",
            "team_digest",
        ]
    )


async def test_a_suspended_rep_gets_nothing_and_their_unreached_prospects_move(pool):
    reps = await team(pool, count=2)
    await tick(pool, PLAN, MORNING)
    async with pool.acquire() as conn:
        await suspend_rep(conn, rep_id=reps[0].id, now=MORNING)
    before = len(await events(pool))
    await tick(pool, PLAN, MORNING + timedelta(days=2))
    owners = await pool.fetch("SELECT DISTINCT assigned_rep_id FROM prospects")
    assert [r[0] for r in owners] == [reps[1].id]
    new = (await events(pool))[before:]
    assert {chat for chat, _ in new} == {502, 1000}  # the other rep, and the admin's digest
    assert all(kind == "team_digest" for chat, kind in new if chat == 1000)


async def test_a_silent_contacted_prospect_gets_one_follow_up_and_snooze_holds_it(pool):
    reps = await team(pool, count=1)
    await tick(pool, PLAN, MORNING)
    async with pool.acquire() as conn:
        await record_contact(conn, prospect_id="test_prospect_001", rep_id=reps[0].id, now=MORNING)
        await conn.execute(
            "UPDATE reps SET snoozed_until = $1 WHERE id = $2",
            MORNING + timedelta(hours=5),
            reps[0].id,
        )
    for hours in (1, 2, 3, 4):
        await tick(pool, PLAN, MORNING + timedelta(hours=hours))
    rows = await pool.fetch("SELECT not_before FROM inbox WHERE payload->>'event' = 'follow_up'")
    assert [r[0] for r in rows] == [MORNING + timedelta(hours=5)]


async def test_outreach_off_assigns_nothing(pool):
    await team(pool, count=1)
    queued = await tick(pool, plan_from(default_settings(outreach_enabled=False)), MORNING)
    assert queued == snapshot(
        {
            "prep": 0,
            "debrief": 0,
            "pending": 0,
            "calendar": 1,
            "digest": 0,
            "team_digest": 0,
            "owed": 0,
            "follow": 0,
        }
    )
    assert (
        await pool.fetchval("SELECT count(*) FROM prospects WHERE assigned_rep_id IS NOT NULL") == 0
    )


async def test_the_daily_digest_lists_a_reps_silent_prospects_once_a_day(pool):
    reps = await team(pool, count=1)
    await tick(pool, PLAN, MORNING - timedelta(days=10))  # assigns the three seeded prospects
    async with pool.acquire() as conn:
        for prospect, days in (("test_prospect_001", 9), ("test_prospect_002", 6)):
            await record_contact(
                conn, prospect_id=prospect, rep_id=reps[0].id, now=MORNING - timedelta(days=days)
            )
    for hours in (0, 1, 2, 24):
        await tick(pool, PLAN, MORNING + timedelta(hours=hours))
    assert await digests(pool) == snapshot(
        [
            {
                "stale": 2,
                "longest_silent": [
                    {
                        "name": "Алексей Петров",
                        "status": "contacted",
                        "days_silent": 9,
                        "prospect_id": "test_prospect_001",
                    },
                    {
                        "name": "Мария Козлова",
                        "status": "contacted",
                        "days_silent": 6,
                        "prospect_id": "test_prospect_002",
                    },
                ],
            },
            {
                "stale": 2,
                "longest_silent": [
                    {
                        "name": "Алексей Петров",
                        "status": "contacted",
                        "days_silent": 10,
                        "prospect_id": "test_prospect_001",
                    },
                    {
                        "name": "Мария Козлова",
                        "status": "contacted",
                        "days_silent": 7,
                        "prospect_id": "test_prospect_002",
                    },
                ],
            },
        ]
    )


async def test_the_daily_digest_lists_a_reps_deals_stuck_in_their_stage(pool):
    reps = await team(pool, count=1)
    await tick(pool, PLAN, MORNING - timedelta(days=10))  # assigns the three seeded prospects
    async with pool.acquire() as conn:
        for prospect, name, days in (
            ("test_prospect_001", "Villa", 8),
            ("test_prospect_002", "Flat", 2),
            ("test_prospect_003", "House", 9),
        ):
            deal = await create_deal(
                conn,
                prospect_id=prospect,
                rep_id=reps[0].id,
                name=name,
                stage="qualifiedtobuy",
                amount=Decimal(250_000),
                now=MORNING - timedelta(days=days),
            )
        await conn.execute("UPDATE deals SET closed_at = $1 WHERE id = $2", MORNING, deal.id)
    await tick(pool, PLAN, MORNING)
    assert await digests(pool) == snapshot(
        [
            {
                "stale": 0,
                "stale_deals": [
                    {
                        "deal": "Villa",
                        "stage": "qualifiedtobuy",
                        "amount": 250000.0,
                        "currency": "USD",
                        "prospect": "Алексей Петров",
                        "prospect_id": "test_prospect_001",
                        "days_in_stage": 8,
                    }
                ],
                "longest_silent": [],
            }
        ]
    )


async def test_each_rep_is_looked_at_once_a_day_even_with_nothing_stale(pool):
    reps = await team(pool, count=1)
    await tick(pool, PLAN, MORNING - timedelta(days=10))
    async with pool.acquire() as conn:
        await record_contact(
            conn,
            prospect_id="test_prospect_001",
            rep_id=reps[0].id,
            now=MORNING - timedelta(days=5) + timedelta(hours=2),
        )
    for hours in (0, 3, 6, 24):  # stale from 02:00 on; its digest comes the next morning
        await tick(pool, PLAN, MORNING + timedelta(hours=hours))
    rows = await pool.fetch(
        "SELECT created_at, payload->'data'->'stale' AS stale FROM inbox "
        "WHERE payload->>'event' = 'stale_digest' ORDER BY id"
    )
    assert [(r["created_at"] - MORNING, r["stale"]) for r in rows] == [(timedelta(days=1), 1)]
    assert await pool.fetchval("SELECT digest_on::text FROM reps") == "2026-11-21"


async def test_the_team_digest_counts_stale_as_the_reps_digests_do(pool):
    reps = await team(pool, count=1)
    await tick(pool, PLAN, MORNING - timedelta(days=10))
    async with pool.acquire() as conn:
        for prospect, days in (("test_prospect_001", 9), ("test_prospect_002", 1)):
            await record_contact(
                conn, prospect_id=prospect, rep_id=reps[0].id, now=MORNING - timedelta(days=days)
            )
        # touched today without any activity: still silent for nine days
        await conn.execute(
            "UPDATE prospects SET hubspot_contact_id = '42', updated_at = $1 "
            "WHERE id = 'test_prospect_001'",
            MORNING,
        )
        for name, days in (("Villa", 8), ("Flat", 1)):
            await create_deal(
                conn,
                prospect_id="test_prospect_002",
                rep_id=reps[0].id,
                name=name,
                stage="qualifiedtobuy",
                now=MORNING - timedelta(days=days),
            )
    await tick(pool, PLAN, MORNING)
    digests = await pool.fetch(
        "SELECT payload->'data' AS data FROM inbox WHERE payload->>'event' = 'team_digest' "
        "ORDER BY id"
    )
    stale = await pool.fetchval(
        "SELECT payload->'data'->'stale' FROM inbox WHERE payload->>'event' = 'stale_digest'"
    )
    assert [d["data"]["reps"] for d in digests] == [
        [  # ten days ago
            {
                "name": "Rep 0",
                "open": 3,
                "stale": 0,
                "unreached": 3,
                "open_deals": 0,
                "stuck_deals": 0,
            }
        ],
        [
            {
                "name": "Rep 0",
                "open": 3,
                "stale": 1,
                "unreached": 1,
                "open_deals": 2,
                "stuck_deals": 1,
            }
        ],
    ]
    assert stale == 1


async def test_an_admin_who_set_quiet_hours_as_a_rep_hears_after_their_own(pool):
    (rep,) = await team(pool, count=1)
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE reps SET quiet_hours_start = '10:00', quiet_hours_end = '12:00' WHERE id = $1",
            rep.id,
        )
        await create_rep(
            conn,
            telegram_id=601,
            name="New",
            email="new@truerealestate.bali",
            timezone="Asia/Makassar",
            now=MORNING - timedelta(days=2),
        )
    plan = plan_from(default_settings(admin_telegram_ids=(1000, 501)))
    await tick(pool, plan, MORNING)
    rows = await pool.fetch(
        "SELECT chat_id, payload->>'event' AS kind, not_before FROM inbox "
        "WHERE payload->>'event' IN ('pending_application', 'team_digest') ORDER BY chat_id, id"
    )
    noon = MORNING + timedelta(hours=1)  # 12:00 in Bali
    assert [(r["chat_id"], r["kind"], r["not_before"]) for r in rows] == [
        (501, "pending_application", noon),
        (501, "team_digest", noon),
        (1000, "pending_application", MORNING),
        (1000, "team_digest", MORNING),
    ]


async def test_two_scheduler_processes_at_once_queue_each_event_once(pool, db_dsn, tmp_path):
    now = datetime.now(UTC)
    await team(pool, count=2, at=now - timedelta(days=2))
    env = {
        **os.environ,
        "DATABASE_URL": db_dsn,
        "SCHEDULER_TICK_SECONDS": "0.1",
        "ADMIN_TELEGRAM_IDS": "1000",
        "QUIET_HOURS_START": "00:00",
        "QUIET_HOURS_END": "00:00",
    }
    logs = [tmp_path / f"scheduler-{n}.log" for n in range(2)]
    runs = [scheduler_process(env, tmp_path, log) for log in logs]
    try:
        # Generous: two interpreters importing the whole bot on a loaded machine are slow to
        # start; a process that dies fails at once with what it said.
        # Both must be ticking, not only one of them, and a scheduler still starting up
        # would be killed by the signal rather than stop.
        deadline = asyncio.get_running_loop().time() + 180
        while not (
            all("scheduler ticking" in log.read_text() for log in logs)
            and await pool.fetchval("SELECT count(*) FROM inbox") >= 5
        ):
            assert [run.poll() for run in runs] == [None, None], "a scheduler stopped"
            assert asyncio.get_running_loop().time() < deadline, "the schedulers queued nothing"
            await asyncio.sleep(0.1)
        await asyncio.sleep(1)  # many more ticks of both
    finally:
        for run in runs:
            run.send_signal(signal.SIGTERM)
        codes = [run.wait(timeout=20) for run in runs]
    assert codes == [0, 0], [log.read_text()[-2000:] for log in logs]
    keys = await pool.fetch("SELECT payload->>'event', count(*) FROM inbox GROUP BY 1 ORDER BY 1")
    assert [tuple(k) for k in keys] == [("calendar_reminder", 2), ("prospect_assigned", 3)]


def scheduler_process(env, cwd, log):
    command = [sys.executable, "-m", "agent.cli", "scheduler"]
    env = {**env, "PYTHONPATH": str(Path(__file__).parents[2])}  # this checkout's code
    with log.open("wb") as stderr:
        return subprocess.Popen(command, env=env, cwd=cwd, stderr=stderr)


async def test_two_schedulers_queue_one_hubspot_sync_per_interval_in_no_persons_chat(pool, db_dsn):
    plan = dataclasses.replace(PLAN, crm_sync_every=timedelta(minutes=15))
    other = await create_pool(db_dsn, min_size=1, max_size=2)
    try:
        for minutes in (0, 0, 5, 14, 15, 29, 30, 31):
            moment = MORNING + timedelta(minutes=minutes)
            await asyncio.gather(tick(pool, plan, moment), tick(other, plan, moment))
    finally:
        await other.close()
    rows = await pool.fetch(
        "SELECT chat_id, created_at FROM inbox WHERE payload->>'task' = 'crm_sync' ORDER BY id"
    )
    assert [(r["chat_id"], r["created_at"] - MORNING) for r in rows] == [
        (TEAM_CHAT, timedelta(0)),
        (TEAM_CHAT, timedelta(minutes=15)),
        (TEAM_CHAT, timedelta(minutes=30)),
    ]


async def test_a_calendar_sync_due_with_a_meeting_prep_is_served_first_in_the_reps_chat(pool):
    """A chat is served in order: the sync lands before the prep, so a prep for a meeting moved
    or cancelled in Google since the last sync is dropped instead of sent at the old time."""
    (rep,) = await team(pool, count=1)
    async with pool.acquire() as conn:
        await set_calendar_account(conn, rep_id=rep.id, account=rep.email, now=MORNING)
        await mark_verified(conn, rep_id=rep.id, email=rep.email, by="code", now=MORNING)
        await create_meeting(
            conn,
            rep_id=rep.id,
            prospect_id="test_prospect_002",
            title="Call",
            starts_at=MORNING + timedelta(minutes=30),
            ends_at=MORNING + timedelta(minutes=60),
            sandbox=False,
            now=MORNING,
        )
    with_calendar = {"google_service_account_file": Path("key.json"), "outreach_enabled": False}
    plan = plan_from(default_settings(admin_telegram_ids=(1000,), **with_calendar))
    await tick(pool, plan, MORNING)
    rows = await pool.fetch(
        "SELECT coalesce(payload->>'event', payload->>'task') FROM inbox"
        " WHERE chat_id = $1 ORDER BY id",
        rep.telegram_id,
    )
    assert [r[0] for r in rows] == ["calendar_sync", "meeting_prep"]
