"""The kinds of work the scheduler's SQL queues are exactly the enumerations the rest of the
code is checked against: a kind added in SQL without its enumeration (and so without its note
for the agent or its task) fails here."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

import db
from db import inbox, meetings, prospects, reps
from db import scheduler as due
from db.meetings import create_meeting
from db.models import ProspectStatus
from db.reps import approve_rep, create_rep, set_calendar_account, suspend_rep
from db.scheduler import EventKind, Quiet, TaskKind

SQL = (Path(db.__file__).parent / "sql" / "scheduler.sql").read_text()


def test_every_event_the_sql_queues_is_a_known_kind():
    queued = set(re.findall(r"jsonb_build_object\('event', '(\w+)'", SQL))
    assert queued == {k.value for k in EventKind}


def test_every_task_the_sql_queues_is_a_known_kind():
    every = "".join(p.read_text() for p in (Path(db.__file__).parent / "sql").glob("*.sql"))
    queued = set(re.findall(r"jsonb_build_object\('task', '(\w+)'", every))
    assert queued == {k.value for k in TaskKind}


# Events held overnight, checked again when they come to be served.

QUIET = Quiet(time(21), time(9), "Asia/Makassar")
LATE = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)  # 22:30 in Bali: events wait for 09:00
SERVED = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)  # 09:00 in Bali
DAY = timedelta(days=1)


async def active_rep(conn, telegram_id=501, name="Rep"):
    rep = await create_rep(
        conn,
        telegram_id=telegram_id,
        name=name,
        email=f"{name.lower()}@truerealestate.bali",
        now=LATE - 2 * DAY,
        timezone="Asia/Makassar",
    )
    return await approve_rep(conn, rep_id=rep.id, now=LATE - 2 * DAY)


async def serve(conn, at=SERVED):
    """What the turn workers claim at `at`, and every event's fate by (kind, what it is about)."""
    claimed = await inbox.claim(
        conn, worker="w", limit=100, now=at, until=at + timedelta(minutes=1)
    )
    rows = await conn.fetch(
        "SELECT payload->>'event' AS event, payload->'data' AS data, status, last_error "
        "FROM inbox WHERE kind = 'event' ORDER BY id"
    )
    fates = {
        (
            r["event"],
            r["data"].get("title") or r["data"].get("prospect_id") or r["data"].get("name"),
        ): (r["status"], r["last_error"])
        for r in rows
    }
    return [c.id for c in claimed], fates


async def still_prospect(conn):
    """A fourth prospect that nothing happens to: its event is still served."""
    await conn.execute(
        "INSERT INTO prospects (id, name, created_at) VALUES ('p_still', 'Still', $1)",
        LATE - 3 * DAY,
    )


async def forget_events(conn):
    await conn.execute("DELETE FROM inbox")


KEPT = ("pending", None)


@pytest.mark.parametrize("event", ["prospect_assigned", "unreached_reminder"])
async def test_news_of_an_unreached_prospect_is_dropped_once_it_is_not_news(conn, event):
    await still_prospect(conn)
    rep = await active_rep(conn)
    other = await active_rep(conn, 502, "Other")
    await conn.execute("UPDATE reps SET status = 'suspended' WHERE id = $1", other.id)
    if event == "prospect_assigned":
        assert await due.assign_waiting(conn, now=LATE, quiet=QUIET) == 4
        await conn.execute("UPDATE reps SET status = 'active' WHERE id = $1", other.id)
    else:
        await due.assign_waiting(conn, now=LATE - 2 * DAY, quiet=QUIET)
        await forget_events(conn)
        await conn.execute("UPDATE reps SET status = 'active' WHERE id = $1", other.id)
        assert await due.unreached_reminders(conn, now=LATE, quiet=QUIET, every=DAY) == 4
    await prospects.assign_prospect_to_rep(
        conn, prospect_id="test_prospect_001", rep_id=other.id, now=LATE
    )
    await prospects.update_prospect_status(
        conn, prospect_id="test_prospect_002", status=ProspectStatus.ARCHIVED, now=LATE
    )
    await prospects.record_contact(conn, prospect_id="test_prospect_003", rep_id=rep.id, now=LATE)

    _, fates = await serve(conn)
    assert fates == {
        (event, "test_prospect_001"): ("dropped", "prospect_not_theirs"),
        (event, "test_prospect_002"): ("dropped", "prospect_archived"),
        (event, "test_prospect_003"): ("dropped", "contact_reported"),
        (event, "p_still"): KEPT,
    }


async def test_a_follow_up_is_dropped_when_the_rep_reported_contact_or_an_answer(conn):
    await still_prospect(conn)
    rep = await active_rep(conn)
    await due.assign_waiting(conn, now=LATE - 3 * DAY, quiet=QUIET)
    for prospect in ("test_prospect_001", "test_prospect_002", "p_still"):
        await prospects.record_contact(conn, prospect_id=prospect, rep_id=rep.id, now=LATE - DAY)
    await forget_events(conn)
    assert await due.follow_ups(conn, now=LATE, quiet=QUIET, after=timedelta(hours=20)) == 3
    await prospects.record_contact(conn, prospect_id="test_prospect_001", rep_id=rep.id, now=LATE)
    await prospects.update_prospect_status(
        conn, prospect_id="test_prospect_002", status=ProspectStatus.IN_CONVERSATION, now=LATE
    )

    _, fates = await serve(conn)
    assert fates == {
        ("follow_up", "test_prospect_001"): ("dropped", "contact_reported"),
        ("follow_up", "test_prospect_002"): ("dropped", "status_changed"),
        ("follow_up", "p_still"): KEPT,
    }


async def test_every_event_of_a_rep_who_is_no_longer_active_is_dropped(conn):
    rep = await active_rep(conn)
    assert await due.assign_waiting(conn, now=LATE, quiet=QUIET) == 3
    assert await due.calendar_reminders(conn, now=LATE, quiet=QUIET, after=DAY) == 1
    await suspend_rep(conn, rep_id=rep.id, now=LATE)

    claimed, fates = await serve(conn)
    assert claimed == []
    assert set(fates.values()) == {("dropped", "recipient_not_active")}
    assert len(fates) == 4


async def meeting(conn, rep, title, starts_at, minutes=30):
    return await create_meeting(
        conn,
        rep_id=rep.id,
        prospect_id="test_prospect_001",
        title=title,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        sandbox=True,
        now=LATE - DAY,
    )


async def test_a_meeting_prep_is_dropped_when_the_meeting_moved_was_cancelled_or_began(conn):
    rep = await active_rep(conn)
    moved = await meeting(conn, rep, "Moved", SERVED + timedelta(minutes=30))
    cancelled = await meeting(conn, rep, "Cancelled", SERVED + timedelta(minutes=30))
    await meeting(conn, rep, "Began", SERVED - timedelta(minutes=10))
    await meeting(conn, rep, "Still", SERVED + timedelta(minutes=30))
    await meeting(conn, rep, "Theirs", SERVED + timedelta(minutes=45))
    other = await active_rep(conn, 502, "Other")
    assert await due.meeting_preps(conn, now=LATE, quiet=QUIET, before=timedelta(hours=12)) == 5
    await conn.execute(
        "UPDATE meetings SET starts_at = starts_at + interval '1 day', "
        "ends_at = ends_at + interval '1 day' WHERE id = $1",
        moved.id,
    )
    await conn.execute("UPDATE meetings SET status = 'cancelled' WHERE id = $1", cancelled.id)
    await conn.execute("UPDATE meetings SET rep_id = $1 WHERE title = 'Theirs'", other.id)

    _, fates = await serve(conn)
    assert fates == {
        ("meeting_prep", "Moved"): ("dropped", "meeting_moved"),
        ("meeting_prep", "Cancelled"): ("dropped", "meeting_cancelled"),
        ("meeting_prep", "Began"): ("dropped", "meeting_started"),
        ("meeting_prep", "Still"): KEPT,
        ("meeting_prep", "Theirs"): ("dropped", "meeting_not_theirs"),
    }


async def test_a_debrief_is_dropped_once_the_meeting_was_logged_and_comes_again_if_moved(conn):
    rep = await active_rep(conn)
    moved = await meeting(conn, rep, "Moved", LATE - timedelta(hours=2))
    await meeting(conn, rep, "Logged", LATE - timedelta(hours=1))  # the latest: it is logged
    assert await due.meeting_debriefs(conn, now=LATE, quiet=QUIET) == 2
    logged = await meetings.record_debrief(
        conn,
        prospect_id="test_prospect_001",
        rep_id=rep.id,
        debrief="went well",
        outcome=None,
        now=LATE,
    )
    assert logged is not None
    await conn.execute(
        "UPDATE meetings SET starts_at = $1, ends_at = $2 WHERE id = $3",
        SERVED + timedelta(hours=1),
        SERVED + timedelta(hours=2),
        moved.id,
    )

    _, fates = await serve(conn)
    assert fates == {
        ("meeting_debrief", "Logged"): ("dropped", "meeting_logged"),
        ("meeting_debrief", "Moved"): ("dropped", "meeting_moved"),
    }
    later = SERVED + timedelta(hours=3)
    assert await due.meeting_debriefs(conn, now=later, quiet=QUIET) == 1  # the moved one, ended


async def test_an_admins_reminder_of_an_application_is_dropped_once_it_was_decided(conn):
    for telegram_id, name in ((601, "Decided"), (602, "Waiting")):
        await create_rep(
            conn,
            telegram_id=telegram_id,
            name=name,
            email=f"{name.lower()}@truerealestate.bali",
            now=LATE - 2 * DAY,
            timezone="Asia/Makassar",
        )
    queued = await due.pending_applications(
        conn, now=LATE, quiet=QUIET, after=DAY, admin_ids=[1000, 1001]
    )
    assert queued == 4
    decided = await conn.fetchval("SELECT id FROM reps WHERE telegram_id = 601")
    await approve_rep(conn, rep_id=decided, now=LATE, by_telegram_id=1000)

    _, fates = await serve(conn)
    assert fates == {
        ("pending_application", "Decided"): ("dropped", "application_decided"),
        ("pending_application", "Waiting"): KEPT,
    }
    statuses = await conn.fetch("SELECT status FROM inbox ORDER BY id")
    assert [r[0] for r in statuses] == ["dropped", "dropped", "pending", "pending"]


async def test_a_calendar_reminder_is_dropped_once_the_calendar_is_connected(conn):
    rep = await active_rep(conn)
    assert await due.calendar_reminders(conn, now=LATE, quiet=QUIET, after=DAY) == 1
    await set_calendar_account(conn, rep_id=rep.id, account="rep@truerealestate.bali", now=LATE)
    claimed, fates = await serve(conn)
    assert claimed == []
    assert fates == {("calendar_reminder", "Rep"): ("dropped", "calendar_connected")}


async def test_a_dropped_event_is_audited_with_why_and_dropped_once(conn):
    rep = await active_rep(conn)
    await due.calendar_reminders(conn, now=LATE, quiet=QUIET, after=DAY)
    await set_calendar_account(conn, rep_id=rep.id, account="rep@truerealestate.bali", now=LATE)
    event_id = await conn.fetchval("SELECT id FROM inbox")
    first = await due.drop_void_events(conn, now=SERVED)
    again = await due.drop_void_events(conn, now=SERVED + timedelta(minutes=1))
    assert first == [due.Dropped(event_id, "calendar_reminder", "calendar_connected")]
    assert again == []
    audited = await conn.fetch(
        "SELECT actor_telegram_id, actor_role, tool, args, allowed, outcome, detail, created_at "
        "FROM audit_log"
    )
    assert [dict(r) for r in audited] == [
        {
            "actor_telegram_id": 501,
            "actor_role": "scheduler",
            "tool": "calendar_reminder",
            "args": {"name": "Rep", "email": "rep@truerealestate.bali", "inbox_id": event_id},
            "allowed": True,
            "outcome": "dropped",
            "detail": "calendar_connected",
            "created_at": SERVED,
        }
    ]


async def test_an_event_is_neither_dropped_before_it_is_due_nor_under_a_turn_serving_it(conn):
    rep = await active_rep(conn)
    await due.calendar_reminders(conn, now=LATE, quiet=QUIET, after=DAY)
    await due.assign_waiting(conn, now=LATE, quiet=QUIET)
    await set_calendar_account(conn, rep_id=rep.id, account="rep@truerealestate.bali", now=LATE)
    assert await due.drop_void_events(conn, now=SERVED - timedelta(minutes=1)) == []

    (claimed,), _ = await serve(conn)  # an assignment, still true, is in a turn's hands
    payload = await conn.fetchval("SELECT payload FROM inbox WHERE id = $1", claimed)
    prospect = payload["data"]["prospect_id"]
    await prospects.record_contact(conn, prospect_id=prospect, rep_id=rep.id, now=LATE)
    assert await due.drop_void_events(conn, now=SERVED + timedelta(seconds=10)) == []
    status = await conn.fetchval("SELECT status FROM inbox WHERE id = $1", claimed)
    assert status == "pending"


async def test_a_reminder_queued_before_the_rep_snoozed_waits_for_the_snooze(conn):
    rep = await active_rep(conn)
    await due.calendar_reminders(conn, now=SERVED, quiet=QUIET, after=DAY)
    await meeting(conn, rep, "Soon", SERVED + timedelta(minutes=30))
    assert await due.meeting_preps(conn, now=SERVED, quiet=QUIET, before=timedelta(hours=1)) == 1
    until = SERVED + timedelta(hours=3)
    await reps.snooze(conn, rep_id=rep.id, until=until, now=SERVED)

    (claimed,), _ = await serve(conn)  # the prep still comes, the reminder waits
    assert await conn.fetchval("SELECT payload->>'event' FROM inbox WHERE id = $1", claimed) == (
        "meeting_prep"
    )
    reminder = await conn.fetchrow(
        "SELECT status, not_before FROM inbox WHERE payload->>'event' = 'calendar_reminder'"
    )
    assert tuple(reminder) == ("pending", until)
