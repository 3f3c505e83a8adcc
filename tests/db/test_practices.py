"""Practice calls in the database: one open per rep, finished with a full rubric and feedback,
counted per rep; the schema refuses a half-scored or out-of-range practice."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
import pytest

from db import practices
from tests.conftest import NOW
from tests.db.test_prospects import make_rep

HOUR = timedelta(hours=1)
SCORES = {"opening": 4, "discovery": 3, "objections": 2, "next_step": 5}
PERSONA = {"name": "Алексей Петров", "context": "вилла в Чангу"}


async def test_a_practice_starts_open_and_finishes_with_its_scores_and_feedback(conn):
    rep = await make_rep(conn, 501)
    started = await practices.start(
        conn,
        rep_id=rep.id,
        prospect_id="test_prospect_001",
        focus="price",
        persona=PERSONA,
        now=NOW,
    )
    assert (started.status, started.persona, started.finished_at) == ("open", PERSONA, None)
    found = await practices.open_for(conn, rep_id=rep.id, stale_before=NOW - HOUR)
    assert found == started
    done = await practices.finish(
        conn, practice_id=started.id, scores=SCORES, feedback="Хорошо", now=NOW + HOUR
    )
    assert done is not None
    assert (done.status, done.finished_at, done.feedback) == ("finished", NOW + HOUR, "Хорошо")
    assert (done.score_opening, done.score_discovery, done.score_objections) == (4, 3, 2)
    assert done.score_next_step == 5
    assert await practices.open_for(conn, rep_id=rep.id, stale_before=NOW - HOUR) is None
    again = await practices.finish(
        conn, practice_id=started.id, scores=SCORES, feedback="x", now=NOW + 2 * HOUR
    )
    assert again is None


async def test_a_new_practice_gives_up_the_one_left_open_and_an_old_one_is_not_open(conn):
    rep = await make_rep(conn, 501)
    first = await practices.start(
        conn, rep_id=rep.id, prospect_id=None, focus=None, persona=PERSONA, now=NOW
    )
    second = await practices.start(
        conn, rep_id=rep.id, prospect_id=None, focus=None, persona=PERSONA, now=NOW + HOUR
    )
    rows = await conn.fetch("SELECT id, status FROM practices ORDER BY id")
    assert [tuple(r) for r in rows] == [(first.id, "abandoned"), (second.id, "open")]
    assert await practices.open_for(conn, rep_id=rep.id, stale_before=NOW + 2 * HOUR) is None


async def test_the_schema_refuses_a_second_open_practice_and_a_half_scored_one(conn):
    rep = await make_rep(conn, 501)
    await practices.start(conn, rep_id=rep.id, prospect_id=None, focus=None, persona={}, now=NOW)
    insert = "INSERT INTO practices (rep_id, persona, started_at) VALUES ($1, '{}', $2)"
    with pytest.raises(asyncpg.UniqueViolationError):
        async with conn.transaction():
            await conn.execute(insert, rep.id, NOW)
    with pytest.raises(asyncpg.CheckViolationError):
        async with conn.transaction():
            await conn.execute(
                "UPDATE practices SET status = 'finished', finished_at = $1, feedback = 'x',"
                " score_opening = 3 WHERE rep_id = $2",
                NOW,
                rep.id,
            )
    with pytest.raises(asyncpg.CheckViolationError):
        async with conn.transaction():
            await conn.execute("UPDATE practices SET score_opening = 6 WHERE rep_id = $1", rep.id)


async def test_a_reps_summary_and_the_counts_per_rep_count_finished_practices_only(conn):
    anna, boris = await make_rep(conn, 501), await make_rep(conn, 502)
    for day, scores in ((10, SCORES), (2, {**SCORES, "objections": 4})):
        p = await practices.start(
            conn,
            rep_id=anna.id,
            prospect_id=None,
            focus=None,
            persona={},
            now=NOW - timedelta(days=day),
        )
        await practices.finish(
            conn, practice_id=p.id, scores=scores, feedback="ok", now=NOW - timedelta(days=day)
        )
    await practices.start(conn, rep_id=boris.id, prospect_id=None, focus=None, persona={}, now=NOW)
    week = NOW - timedelta(days=7)
    summary = await practices.summary(conn, rep_id=anna.id, since=week)
    assert (summary.done, summary.recent, summary.last_at) == (2, 1, NOW - timedelta(days=2))
    assert summary.averages == {
        "opening": 4.0,
        "discovery": 3.0,
        "objections": 3.0,
        "next_step": 5.0,
    }
    before_last = await practices.summary(conn, rep_id=anna.id, since=week, before_id=p.id)
    assert (before_last.done, before_last.averages["objections"]) == (2, 2.0)
    nothing = await practices.summary(conn, rep_id=boris.id, since=week)
    assert (nothing.done, nothing.averages["opening"]) == (0, None)
    assert await practices.counts(conn, since=week) == {anna.id: 1}
    assert await practices.counts(conn, since=NOW - timedelta(days=30), rep_id=boris.id) == {}
