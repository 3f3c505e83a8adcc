"""The allowance of people the limits apply to, in the database: turns an hour each and for
all of them together, tokens a day from the turns recorded, applications a day; admins and
active reps pass untouched; two pools (two processes) racing never grant more than allowed."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from db import allowance, audit, reps
from db.allowance import Caps
from db.pool import create_pool
from tests.conftest import NOW

LIMITED = ("unknown", "pending", "suspended", "rejected", "removed")
ADMIN = 1000
CAPS = Caps(turns_per_hour=3, tokens_per_day=1000, all_turns_per_hour=100)


async def admit(db, telegram_id, *, caps=CAPS, now=NOW):
    async with db.acquire() as conn, conn.transaction():
        return await allowance.admit(
            conn,
            telegram_id=telegram_id,
            admin_ids=(ADMIN,),
            limited_roles=LIMITED,
            caps=caps,
            now=now,
        )


async def refusals(pool, telegram_id, times, **kw):
    return [(await admit(pool, telegram_id, **kw)).refused for _ in range(times)]


async def test_a_stranger_has_so_many_turns_in_any_hour(db_dsn):
    pool = await create_pool(db_dsn, max_size=2)
    try:
        assert await refusals(pool, 501, 5) == [None, None, None, "turns", "turns"]
        later = NOW + timedelta(minutes=59)
        assert await refusals(pool, 501, 1, now=later) == ["turns"]
        assert await refusals(pool, 502, 1, now=later) == [None]  # another stranger's own hour
        hour_on = NOW + timedelta(hours=1, seconds=1)
        assert await refusals(pool, 501, 4, now=hour_on) == [None, None, None, "turns"]
        assert await pool.fetchval("SELECT count(*) FROM limited_turns") == 4  # the old forgotten
    finally:
        await pool.close()


async def test_tokens_are_counted_from_the_turns_recorded_over_a_day(db_dsn):
    pool = await create_pool(db_dsn, max_size=2)
    try:
        caps = Caps(turns_per_hour=100, tokens_per_day=1000, all_turns_per_hour=100)
        for started, tokens in ((NOW - timedelta(hours=25), 5000), (NOW - timedelta(hours=2), 600)):
            await pool.execute(
                "INSERT INTO turns (chat_id, actor_telegram_id, actor_role, input_tokens,"
                " output_tokens, started_at) VALUES (501, 501, 'unknown', $1, 0, $2)",
                tokens,
                started,
            )
        assert (await admit(pool, 501, caps=caps)).refused is None  # 600 of 1000 today
        await pool.execute(
            "INSERT INTO turns (chat_id, actor_telegram_id, actor_role, input_tokens,"
            " output_tokens, started_at) VALUES (501, 501, 'unknown', 300, 100, $1)",
            NOW,
        )
        assert (await admit(pool, 501, caps=caps)).refused == "tokens"
        assert (await admit(pool, 501, caps=caps, now=NOW + timedelta(hours=23))).refused is None
    finally:
        await pool.close()


async def test_every_stranger_together_has_so_many_turns_an_hour(db_dsn):
    pool = await create_pool(db_dsn, max_size=2)
    try:
        caps = Caps(turns_per_hour=3, tokens_per_day=1000, all_turns_per_hour=4)
        verdicts = [(await admit(pool, 600 + i, caps=caps)).refused for i in range(6)]
        assert verdicts == [None, None, None, None, "busy", "busy"]
    finally:
        await pool.close()


async def test_admins_and_active_reps_pass_and_applicants_are_limited(db_dsn):
    pool = await create_pool(db_dsn, max_size=2)
    try:
        active = await reps.create_rep(
            pool, telegram_id=700, name="Anna Ivanova", email="anna@x.bali", now=NOW, timezone="UTC"
        )
        await reps.approve_rep(pool, rep_id=active.id, now=NOW)
        await reps.create_rep(
            pool, telegram_id=701, name="Pavel Orlov", email="pavel@x.bali", now=NOW, timezone="UTC"
        )
        admitted = {who: await admit(pool, who) for who in (ADMIN, 700, 701)}
        assert {who: (a.role, a.limited) for who, a in admitted.items()} == {
            ADMIN: ("admin", False),
            700: ("active", False),
            701: ("pending", True),
        }
        assert await refusals(pool, ADMIN, 10) == [None] * 10
        assert await pool.fetchval("SELECT count(*) FROM limited_turns") == 1
    finally:
        await pool.close()


async def test_two_processes_racing_grant_no_more_than_the_allowance(db_dsn):
    first = await create_pool(db_dsn, min_size=5, max_size=5)
    second = await create_pool(db_dsn, min_size=5, max_size=5)
    try:
        caps = Caps(turns_per_hour=3, tokens_per_day=1000, all_turns_per_hour=10)
        tries = [admit(first if i % 2 else second, 800 + i % 4, caps=caps) for i in range(40)]
        verdicts = await asyncio.gather(*tries)
        granted = [v for v in verdicts if v.refused is None]
        assert len(granted) == 10
        per_actor = await first.fetch(
            "SELECT telegram_id, count(*) AS n FROM limited_turns GROUP BY telegram_id"
        )
        assert all(r["n"] <= 3 for r in per_actor)
    finally:
        await first.close()
        await second.close()


async def test_applications_a_day_are_counted_from_the_audit_log(db_dsn):
    pool = await create_pool(db_dsn, max_size=2)
    try:
        for at, outcome in (
            (NOW - timedelta(hours=30), "ok"),
            (NOW - timedelta(hours=3), "ok"),
            (NOW - timedelta(hours=2), "retry"),
            (NOW - timedelta(hours=1), "ok"),
        ):
            await audit.record(
                pool,
                tool="register_rep",
                args={},
                allowed=True,
                outcome=outcome,
                detail=None,
                actor_role="unknown",
                actor_telegram_id=501,
                actor_rep_id=None,
                turn_id=None,
                now=at,
            )
        assert await allowance.registrations(pool, telegram_id=501, now=NOW) == 2
        assert await allowance.registrations(pool, telegram_id=502, now=NOW) == 0
    finally:
        await pool.close()
