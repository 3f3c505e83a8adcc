"""A rep's calendar sync state, and the meetings and prospects a sync finds."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import asyncpg
import pytest

from db import calendar_syncs as cs
from db import meetings, prospects
from tests.conftest import NOW
from tests.db.test_prospects import make_rep

HOUR = timedelta(hours=1)


async def test_a_first_state_is_made_then_success_and_failure_are_recorded(conn):
    rep = await make_rep(conn, 501)
    state = await cs.lock_state(conn, rep_id=rep.id, now=NOW)
    assert (state.sync_token, state.last_synced_at, state.consecutive_failures) == (None, None, 0)
    assert state.next_attempt_at == NOW

    failed = await cs.record_failure(
        conn, rep_id=rep.id, error="boom", now=NOW, next_attempt_at=NOW + HOUR
    )
    failed = await cs.record_failure(
        conn, rep_id=rep.id, error="boom again", now=NOW, next_attempt_at=NOW + 2 * HOUR
    )
    assert (failed.consecutive_failures, failed.last_error) == (2, "boom again")

    done = await cs.record_success(
        conn, rep_id=rep.id, sync_token="t1", now=NOW + HOUR, next_attempt_at=NOW + 2 * HOUR
    )
    assert (done.sync_token, done.last_synced_at, done.consecutive_failures) == (
        "t1",
        NOW + HOUR,
        0,
    )
    again = await cs.lock_state(conn, rep_id=rep.id, now=NOW + 3 * HOUR)
    assert again == done


async def test_prospects_are_found_by_email_whatever_the_case(conn):
    rep = await make_rep(conn, 502)
    made = await prospects.create_prospect(conn, name="Ivan", email="Ivan@Client.com", now=NOW)
    found = await cs.prospects_by_email(conn, emails=["ivan@client.COM", "nobody@x.com"])
    assert found == [cs.ProspectByEmail(made.id, "ivan@client.com", None)]
    assert await cs.prospects_by_email(conn, emails=[]) == []

    new_id = await cs.create_calendar_prospect(
        conn, rep_id=rep.id, name="Olga", email="olga@x.ru", context="Villa tour", now=NOW
    )
    new = await prospects.get_prospect(conn, prospect_id=new_id)
    assert new is not None
    assert (new.status, new.assigned_rep_id, new.context, new.email) == (
        "in_conversation",
        rep.id,
        "Villa tour",
        "olga@x.ru",
    )
    assert await conn.fetchval("SELECT source FROM prospects WHERE id = $1", new_id) == "calendar"


async def test_an_event_is_one_meeting_that_follows_its_moves_and_cancellation(conn):
    rep = await make_rep(conn, 503)
    args: dict[str, Any] = {
        "rep_id": rep.id,
        "event_id": "ev1",
        "prospect_id": None,
        "title": "Tour",
    }
    first = await cs.upsert_calendar_meeting(
        conn, **args, starts_at=NOW, ends_at=NOW + HOUR, now=NOW
    )
    moved = await cs.upsert_calendar_meeting(
        conn, **args, starts_at=NOW + HOUR, ends_at=NOW + 2 * HOUR, now=NOW
    )
    assert moved == first
    row = await conn.fetchrow("SELECT * FROM meetings WHERE id = $1", first)
    assert (row["starts_at"], row["source"], row["status"]) == (NOW + HOUR, "calendar", "scheduled")

    assert await cs.cancel_event_meeting(conn, rep_id=rep.id, event_id="ev1", now=NOW) == first
    assert await cs.cancel_event_meeting(conn, rep_id=rep.id, event_id="ev1", now=NOW) is None
    assert await cs.cancel_event_meeting(conn, rep_id=rep.id, event_id="nope", now=NOW) is None
    back = await cs.upsert_calendar_meeting(
        conn, **args, starts_at=NOW, ends_at=NOW + HOUR, now=NOW
    )
    assert back == first
    assert await conn.fetchval("SELECT status FROM meetings WHERE id = $1", first) == "scheduled"


async def test_the_bots_own_booking_is_recognised_by_its_event_id(conn):
    rep = await make_rep(conn, 504)
    prospect = await prospects.create_prospect(conn, name="Ivan", now=NOW)
    booked = await meetings.create_meeting(
        conn,
        rep_id=rep.id,
        prospect_id=prospect.id,
        title="Booked by the bot",
        starts_at=NOW,
        ends_at=NOW + HOUR,
        sandbox=False,
        now=NOW,
        calendar_event_id="abc123",
        idempotency_key="k1",
    )
    same = await cs.upsert_calendar_meeting(
        conn,
        rep_id=rep.id,
        event_id="abc123",
        prospect_id=None,
        title="Renamed in Google",
        starts_at=NOW + HOUR,
        ends_at=NOW + 2 * HOUR,
        now=NOW,
    )
    assert same == booked.id
    row = await conn.fetchrow("SELECT * FROM meetings WHERE id = $1", booked.id)
    assert (row["source"], row["prospect_id"], row["title"], row["starts_at"]) == (
        "booked",
        prospect.id,
        "Booked by the bot",
        NOW + HOUR,
    )
    assert await conn.fetchval("SELECT count(*) FROM meetings WHERE rep_id = $1", rep.id) == 1


async def test_one_meeting_per_event_and_rep(conn: asyncpg.Connection):
    rep = await make_rep(conn, 505)
    values = (rep.id, "t", NOW, NOW + HOUR, "dup")
    insert = "INSERT INTO meetings (rep_id, title, starts_at, ends_at, calendar_event_id)"
    await conn.execute(insert + " VALUES ($1, $2, $3, $4, $5)", *values)
    with pytest.raises(asyncpg.UniqueViolationError):
        await conn.execute(insert + " VALUES ($1, $2, $3, $4, $5)", *values)


async def test_a_syncs_meetings_are_upserted_and_cancelled_in_one_query_each(conn):
    rep = await make_rep(conn, 506)
    prospect = await prospects.create_prospect(conn, name="Ivan", now=NOW)
    booked = await meetings.create_meeting(
        conn,
        rep_id=rep.id,
        prospect_id=prospect.id,
        title="Booked by the bot",
        starts_at=NOW,
        ends_at=NOW + HOUR,
        sandbox=False,
        now=NOW,
        calendar_event_id="booked",
        idempotency_key="k2",
    )
    found = [
        cs.CalendarMeeting(f"ev{n}", None, f"Call {n}", NOW + n * HOUR, NOW + (n + 1) * HOUR)
        for n in range(1, 4)
    ]
    made = await cs.upsert_calendar_meetings(conn, rep_id=rep.id, meetings=found, now=NOW)
    again = await cs.upsert_calendar_meetings(conn, rep_id=rep.id, meetings=found[::-1], now=NOW)
    assert [k.id for k in again] == [k.id for k in made][::-1]
    assert ([k.made for k in made], [k.made for k in again]) == ([True] * 3, [False] * 3)
    assert len({k.id for k in made}) == 3
    assert await cs.upsert_calendar_meetings(conn, rep_id=rep.id, meetings=[], now=NOW) == []

    cancelled = await cs.cancel_event_meetings(
        conn, rep_id=rep.id, gone=["ev1"], found=["ev2", "booked", "unknown"], now=NOW
    )
    assert sorted(cancelled) == sorted(k.id for k in made[:2])
    rows = await conn.fetch(
        "SELECT calendar_event_id, status FROM meetings WHERE rep_id = $1 ORDER BY 1", rep.id
    )
    assert [tuple(r) for r in rows] == [
        ("booked", "scheduled"),
        ("ev1", "cancelled"),
        ("ev2", "cancelled"),
        ("ev3", "scheduled"),
    ]
    assert booked.id not in cancelled
    gone_too = await cs.cancel_event_meetings(
        conn, rep_id=rep.id, gone=["booked", "ev1"], found=[], now=NOW
    )
    assert gone_too == [booked.id]
    assert await cs.cancel_event_meetings(conn, rep_id=rep.id, gone=[], found=[], now=NOW) == []
