"""Syncing a rep's Google Calendar through the real client against the fake Google: a full sync
then only changes, pages, a forgotten token, recurring events, moved, cancelled, declined and
deleted events, a meeting the bot booked, an unknown attendee, internal events, an interrupted
sync, and failures told once."""

from datetime import UTC, datetime, timedelta
from typing import Any

from inline_snapshot import snapshot

from db import scheduler
from db.calendar_syncs import get_state
from tests.agent import test_integrations
from tests.agent.test_integrations import FAST, IVAN, Wired, rep_with_alex
from tests.conftest import NOW
from tests.tools.test_changes import booked
from tools import calendar_sync
from tools.actor import resolve_actor
from tools.calendar_sync import Synced
from tools.tasks import run_task

wired = test_integrations.wired

EMAIL = "ivan@truerealestate.bali"
ALEX, ALEX_EMAIL = "test_prospect_001", "alex.petrov@gmail.com"
THURSDAY = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
ME = {"email": EMAIL, "self": True, "responseStatus": "accepted"}


def put(wired: Wired, event_id: str, at: datetime, *others: str, **fields: Any) -> None:
    attendees = [ME, *({"email": e, "responseStatus": "needsAction"} for e in others)]
    wired.google.put_event(
        EMAIL,
        {
            "id": event_id,
            "summary": f"Call {event_id}",
            "description": "the rep's own notes",
            "start": {"dateTime": at.isoformat()},
            "end": {"dateTime": (at + timedelta(minutes=30)).isoformat()},
            "attendees": attendees,
        }
        | fields,
    )


async def sync(wired: Wired) -> Synced | None:
    rt = wired.talk.runtime
    async with rt.pool.acquire() as conn, conn.transaction():
        actor = await resolve_actor(conn, telegram_id=IVAN, admin_ids=rt.rules.admin_ids)
        assert actor.rep is not None
        return await calendar_sync.sync(rt.deps(conn, actor), actor.rep)


async def ivan(wired: Wired) -> Any:
    return await rep_with_alex(wired.talk, IVAN, "Иван Иванов", EMAIL, "ru")


async def meetings(wired: Wired) -> list[tuple[Any, ...]]:
    rows = await wired.talk.runtime.pool.fetch(
        "SELECT calendar_event_id, prospect_id, title, starts_at, status, source FROM meetings"
        " ORDER BY starts_at, calendar_event_id"
    )
    return [tuple(r.values()) for r in rows]


def list_queries(wired: Wired) -> list[set[str]]:
    return [
        set(c.query) - {"alt", "singleEvents", "maxResults"}
        for c in wired.google.calendar_calls()
        if c.path.endswith("/events") and c.method == "GET"
    ]


async def test_a_full_sync_then_one_request_with_nothing_changed(wired):
    await ivan(wired)
    put(wired, "alex00001", THURSDAY, ALEX_EMAIL, summary="Вилла в Чангу")
    put(wired, "inside001", THURSDAY, "boss@truerealestate.bali")
    put(wired, "faraway01", NOW + timedelta(days=30), ALEX_EMAIL)
    assert await sync(wired) == Synced(
        full=True, pages=1, events=2, meetings=1, cancelled=0, prospects=0
    )
    assert await meetings(wired) == [
        ("alex00001", ALEX, "Вилла в Чангу", THURSDAY, "scheduled", "calendar")
    ]
    assert await sync(wired) == Synced(
        full=False, pages=1, events=0, meetings=0, cancelled=0, prospects=0
    )
    assert list_queries(wired) == [{"showDeleted", "timeMin", "timeMax"}, {"syncToken"}]
    async with wired.talk.runtime.pool.acquire() as conn:
        rep = await conn.fetchval("SELECT id FROM reps WHERE telegram_id = $1", IVAN)
        state = await get_state(conn, rep_id=rep)
    assert state is not None
    assert (state.last_synced_at, state.next_attempt_at) == (NOW, NOW + timedelta(minutes=10))


async def test_every_page_is_read_and_a_forgotten_token_means_a_full_sync(wired):
    await ivan(wired)
    for n in range(260):
        put(wired, f"team{n:05d}", THURSDAY + timedelta(hours=n % 50))
    put(wired, "alex00001", THURSDAY, ALEX_EMAIL)
    first = await sync(wired)
    assert first is not None and (first.pages, first.events) == (2, 261)
    wired.google.feed.expire_sync_tokens()
    again = await sync(wired)
    assert again is not None and (again.full, again.pages, again.meetings) == (True, 2, 1)
    assert [c.status for c in wired.google.calendar_calls()][-3:] == [410, 200, 200]
    assert len(await meetings(wired)) == 1


async def test_a_recurring_meeting_is_a_meeting_per_instance_in_the_window(wired):
    await ivan(wired)
    weekly = ["RRULE:FREQ=WEEKLY;COUNT=4"]
    put(wired, "weekly001", NOW + timedelta(hours=20), ALEX_EMAIL, recurrence=weekly)
    await sync(wired)
    assert [(m[0], m[3]) for m in await meetings(wired)] == [
        ("weekly001_20261121T060000Z", datetime(2026, 11, 21, 6, 0, tzinfo=UTC)),
        ("weekly001_20261128T060000Z", datetime(2026, 11, 28, 6, 0, tzinfo=UTC)),
    ]


async def test_a_moved_meeting_moves_and_its_prep_follows_the_new_time(wired):
    await ivan(wired)
    put(wired, "alex00001", THURSDAY, ALEX_EMAIL)
    await sync(wired)
    pool, quiet = wired.talk.runtime.pool, wired.talk.runtime.rules.quiet
    hour = timedelta(hours=1)
    prep_time = THURSDAY - hour
    assert await scheduler.meeting_preps(pool, now=prep_time, quiet=quiet, before=hour) == 1
    later = THURSDAY + timedelta(hours=3)
    wired.google.change_event(
        EMAIL,
        "alex00001",
        start={"dateTime": later.isoformat()},
        end={"dateTime": (later + timedelta(minutes=30)).isoformat()},
    )
    await sync(wired)
    assert [(m[0], m[3]) for m in await meetings(wired)] == [("alex00001", later)]
    dropped = await scheduler.drop_void_events(pool, now=prep_time)
    assert [(d.event, d.reason) for d in dropped] == [("meeting_prep", "meeting_moved")]
    assert await scheduler.meeting_preps(pool, now=later - hour, quiet=quiet, before=hour) == 1


async def test_cancelled_declined_and_deleted_events_cancel_their_meetings(wired):
    await ivan(wired)
    for n in range(3):
        put(wired, f"alex0000{n}", THURSDAY + timedelta(hours=n), ALEX_EMAIL)
    await sync(wired)
    declined = [ME | {"responseStatus": "declined"}, {"email": ALEX_EMAIL}]
    wired.google.change_event(EMAIL, "alex00000", status="cancelled")
    wired.google.change_event(EMAIL, "alex00001", attendees=declined)
    await wired_delete(wired, "alex00002")
    rt = wired.talk.runtime
    assert await sync(wired) == Synced(
        full=False, pages=1, events=3, meetings=0, cancelled=3, prospects=0
    )
    assert {m[4] for m in await meetings(wired)} == {"cancelled"}
    quiet, hour = rt.rules.quiet, timedelta(hours=1)
    assert await scheduler.meeting_preps(rt.pool, now=THURSDAY, quiet=quiet, before=hour) == 0


async def wired_delete(wired: Wired, event_id: str) -> None:
    """The rep deletes the event in Google: only its id and status are listed after."""
    wired.google.change_event(EMAIL, event_id, status="cancelled")
    wired.google.events[EMAIL][event_id].pop("summary")


async def test_a_meeting_the_bot_booked_is_found_not_duplicated(wired):
    await ivan(wired)
    await booked(wired)
    (before,) = await meetings(wired)
    synced = await sync(wired)
    assert synced is not None and synced.meetings == 1
    assert await meetings(wired) == [before]
    assert before[5] == "booked"


async def follow(wired: Wired, at: datetime = NOW) -> list[str | None]:
    """The scheduler's follow-ups due at `at`, each run as its task in Ivan's chat."""
    rt = wired.talk.runtime
    async with rt.pool.acquire() as conn, conn.transaction():
        await scheduler.follow_steps(conn, now=at, every=timedelta(minutes=30))
        queued = await conn.fetch(
            "UPDATE inbox SET status = 'done' WHERE status = 'pending'"
            " AND payload->>'task' = 'settle_meeting' RETURNING chat_id, payload"
        )
        outcomes = []
        for item in queued:
            actor = await resolve_actor(conn, telegram_id=item["chat_id"], admin_ids=())
            payload = item["payload"]
            outcomes.append(await run_task(rt.deps(conn, actor), payload["task"], payload["data"]))
    return outcomes


async def test_zoom_and_hubspot_follow_a_booked_meeting_moved_then_cancelled_in_google(wired):
    await ivan(wired)
    await booked(wired)
    (event,) = wired.google.live_events(EMAIL)
    await sync(wired)
    wired.google.calls.clear(), wired.zoom.calls.clear(), wired.hubspot.calls.clear()
    assert await follow(wired) == []  # nothing moved: nothing to follow
    later = THURSDAY + timedelta(hours=2)
    wired.google.change_event(
        EMAIL,
        event["id"],
        start={"dateTime": later.isoformat()},
        end={"dateTime": (later + timedelta(minutes=30)).isoformat()},
    )
    await sync(wired)
    wired.google.calls.clear()
    assert await follow(wired) == [None]
    assert wired.calls() == snapshot(
        {
            "google": [],
            "zoom": ["PATCH /v2/meetings/ID 204"],
            "hubspot": ["PATCH /crm/v3/objects/meetings/1002 200"],
        }
    )
    (zoomed,) = wired.zoom.meetings.values()
    (logged,) = wired.hubspot.objects["meetings"].values()
    assert (zoomed["start_time"], logged["properties"]["hs_timestamp"]) == snapshot(
        ("2026-11-26T09:00:00Z", "2026-11-26T09:00:00.000Z")
    )
    assert await follow(wired, NOW + timedelta(hours=1)) == []  # followed once

    wired.google.change_event(EMAIL, event["id"], status="cancelled")
    await sync(wired)
    wired.google.calls.clear(), wired.zoom.calls.clear(), wired.hubspot.calls.clear()
    assert await follow(wired) == [None]
    assert wired.calls() == snapshot(
        {
            "google": [],
            "zoom": ["DELETE /v2/meetings/ID 204"],
            "hubspot": ["PATCH /crm/v3/objects/meetings/1002 200"],
        }
    )
    assert logged["properties"]["hs_meeting_outcome"] == "CANCELED"
    owed = await wired.talk.runtime.pool.fetchval("SELECT owed FROM meetings")
    assert owed == []


async def test_a_booked_meeting_restored_in_google_gets_its_zoom_link_and_hubspot_back(wired):
    await ivan(wired)
    await booked(wired)
    (event,) = wired.google.live_events(EMAIL)
    (zoom_id,) = wired.zoom.meetings
    later = THURSDAY + timedelta(hours=2)
    moved = {
        "start": {"dateTime": later.isoformat()},
        "end": {"dateTime": (later + timedelta(minutes=30)).isoformat()},
    }
    for change in (moved, {"status": "cancelled"}, {"status": "confirmed"}):
        wired.talk.clock.advance(minutes=5)
        wired.google.change_event(EMAIL, event["id"], **change)
        await sync(wired)
        wired.google.calls.clear(), wired.zoom.calls.clear(), wired.hubspot.calls.clear()
        assert await follow(wired) == [None]
    # Back at the time it was moved to before: Zoom's deleted meeting and its link recovered.
    assert wired.calls() == snapshot(
        {
            "google": [],
            "zoom": [
                "PATCH /v2/meetings/ID 404",
                "PUT /v2/meetings/ID/status 204",
                "PATCH /v2/meetings/ID 204",
            ],
            "hubspot": ["PATCH /crm/v3/objects/meetings/1002 200"],
        }
    )
    (logged,) = wired.hubspot.objects["meetings"].values()
    assert logged["properties"]["hs_meeting_outcome"] == "SCHEDULED"
    assert (list(wired.zoom.meetings), wired.zoom.meetings[zoom_id]["start_time"]) == (
        [zoom_id],
        "2026-11-26T09:00:00Z",
    )
    row = await wired.talk.runtime.pool.fetchrow("SELECT status, owed, zoom_join_url FROM meetings")
    assert (row["status"], row["owed"]) == ("scheduled", [])
    assert row["zoom_join_url"] == wired.zoom.meetings[zoom_id]["join_url"]


async def test_a_follow_up_zoom_refuses_is_tried_again_later_until_done(wired):
    await ivan(wired)
    await booked(wired)
    (event,) = wired.google.live_events(EMAIL)
    wired.google.change_event(EMAIL, event["id"], status="cancelled")
    await sync(wired)
    wired.zoom.fail("/v2/meetings/", 503, times=FAST.attempts)
    assert await follow(wired) == snapshot(
        ["Not done: Zoom could not be changed: Service Unavailable (HTTP 503)"]
    )
    assert await follow(wired, NOW + timedelta(minutes=10)) == []  # not yet
    owed = await wired.talk.runtime.pool.fetchval("SELECT owed FROM meetings")
    assert owed == ["follow"]
    assert await follow(wired, NOW + timedelta(minutes=30)) == [None]
    assert wired.zoom.meetings == {}
    assert await wired.talk.runtime.pool.fetchval("SELECT owed FROM meetings") == []


async def test_a_meeting_the_rep_books_in_google_is_a_hot_lead_once_and_the_first_sync_no_news(
    wired,
):
    await ivan(wired)
    await booked(wired)
    put(wired, "first0001", THURSDAY + timedelta(hours=3), "first@client.example")
    await sync(wired)  # the first: all of it was there before
    put(wired, "maria0001", THURSDAY, "maria@client.example", summary="Villa in Ubud")
    put(wired, "maria0002", THURSDAY + timedelta(days=1), "maria@client.example")
    put(wired, "olden0001", NOW - timedelta(hours=5), "old@client.example")
    await sync(wired)
    await sync(wired)
    rows = await wired.talk.runtime.pool.fetch(
        "SELECT chat_id, text FROM outbox WHERE dedupe_key LIKE 'hot:%' ORDER BY id"
    )
    assert [(r["chat_id"], r["text"]) for r in rows] == snapshot(
        [
            (
                1000,
                """\
🔥 Горячий клиент: Алексей Петров (@test_buyer_alex) — Иван Иванов назначает встречу на 26.11 15:00 (время Бали).
Ищет: Интересуется виллой в Чангу, бюджет $300-500k\
""",
            ),
            (
                1000,
                """\
🔥 Горячий клиент: maria (maria@client.example) — Иван Иванов назначает встречу на 26.11 15:00 (время Бали).
Ищет: Villa in Ubud\
""",
            ),
        ]
    )


async def test_an_unknown_outside_attendee_becomes_the_reps_prospect(wired):
    await ivan(wired)
    put(wired, "maria0001", THURSDAY, "maria@client.example", summary="Villa in Ubud")
    put(wired, "maria0002", THURSDAY + timedelta(days=1), "maria@client.example")
    synced = await sync(wired)
    assert synced is not None and synced.prospects == 1
    row = await wired.talk.runtime.pool.fetchrow(
        "SELECT p.name, p.status, p.source, p.context, r.telegram_id FROM prospects p"
        " JOIN reps r ON r.id = p.assigned_rep_id WHERE p.email = 'maria@client.example'"
    )
    assert tuple(row.values()) == snapshot(
        ("maria", "in_conversation", "calendar", "Villa in Ubud", IVAN)
    )
    assert len({m[1] for m in await meetings(wired)}) == 1


async def test_an_internal_event_is_ignored(wired):
    await ivan(wired)
    put(wired, "inside001", THURSDAY, "boss@truerealestate.bali")
    put(wired, "alone0001", THURSDAY)
    synced = await sync(wired)
    assert synced is not None and (synced.events, synced.meetings) == (2, 0)
    assert await meetings(wired) == []


async def test_an_interrupted_sync_commits_nothing_and_the_next_resumes(wired):
    await ivan(wired)
    for n in range(251):
        put(wired, f"alex{n:05d}", THURSDAY + timedelta(minutes=n), ALEX_EMAIL)
    wired.google.fail("events.list", 503, times=3, skip=1)
    assert await sync(wired) is None
    assert await meetings(wired) == []
    synced = await sync(wired)
    assert synced is not None and (synced.full, synced.meetings) == (True, 251)


async def test_failures_back_off_and_the_rep_is_told_once(wired):
    await ivan(wired)
    rt = wired.talk.runtime
    waits = []
    for _ in range(6):
        wired.google.fail("events.list", 503, times=3)
        assert await sync(wired) is None
        rep = await rt.pool.fetchval("SELECT id FROM reps WHERE telegram_id = $1", IVAN)
        state = await get_state(rt.pool, rep_id=rep)
        assert state is not None
        waits.append((state.next_attempt_at - NOW) // timedelta(minutes=1))
    assert waits == [10, 20, 40, 80, 160, 320]
    told = await rt.pool.fetch("SELECT chat_id, text FROM outbox ORDER BY id")
    assert [(r["chat_id"], r["text"][:45]) for r in told] == snapshot(
        [(501, "Не получается прочитать ваш Google Календарь:")]
    )
    assert await sync(wired) is not None
    state = await get_state(rt.pool, rep_id=rep)
    assert state is not None and state.consecutive_failures == 0


async def test_the_rep_asks_what_is_on_their_calendar_and_when_it_was_synced(wired):
    talk = wired.talk
    await ivan(wired)
    talk.script.say("Привет")
    await talk.say(IVAN, "Привет")
    assert "list_my_meetings" not in talk.script.offered[-1]  # no calendar, no meeting yet
    await talk.runtime.pool.execute("UPDATE reps SET calendar_connected_at = $1", NOW)
    put(wired, "alex00001", THURSDAY, ALEX_EMAIL, summary="Вилла в Чангу")
    put(wired, "maria0001", NOW + timedelta(days=1), "maria@client.example", summary="Ubud")
    put(wired, "later0001", NOW + timedelta(days=9), ALEX_EMAIL)
    await sync(wired)
    talk.clock.advance(minutes=5)

    talk.script.call("list_my_meetings")
    talk.script.say("Две встречи.")
    await talk.say(IVAN, "Какие у меня встречи на неделе?")
    assert "list_my_meetings" in talk.script.offered[-1]
    assert talk.script.last_return() == snapshot(
        [
            {
                "title": "Ubud",
                "when": "21.11 18:00–18:30 (время Бали)",
                "date": "Saturday 2026-11-21",
                "with": "maria",
            },
            {
                "title": "Вилла в Чангу",
                "when": "26.11 15:00–15:30 (время Бали)",
                "date": "Thursday 2026-11-26",
                "with": "Алексей Петров",
            },
        ]
    )
    talk.script.call("list_my_meetings", start="2026-11-21", end="2026-11-22")
    talk.script.say("Одна.")
    await talk.say(IVAN, "А завтра?")
    assert [m["with"] for m in talk.script.last_return()] == snapshot(["maria"])
    talk.script.call("list_my_meetings", start="2026-11-26", end="2026-11-26")
    talk.script.say("Одна.")
    await talk.say(IVAN, "А в четверг?")
    assert [m["with"] for m in talk.script.last_return()] == snapshot(["Алексей Петров"])
    talk.script.call("my_status")
    talk.script.say("Календарь синхронизирован.")
    await talk.say(IVAN, "Когда обновлялся календарь?")
    assert talk.script.last_return()["calendar_synced_at"] == snapshot(
        "2026-11-20 18:00 (Asia/Makassar)"
    )
    await talk.runtime.pool.execute(
        "UPDATE meetings SET status = 'held', outcome = 'next_meeting' WHERE title = 'Ubud'"
    )
    await talk.runtime.pool.execute(
        "UPDATE meetings SET status = 'cancelled' WHERE title <> 'Ubud'"
    )
    talk.script.call("list_my_meetings", start="2026-11-20")
    talk.script.say("Одна, прошла.")
    await talk.say(IVAN, "Что было на этой неделе?")
    assert talk.script.last_return() == snapshot(
        [
            {
                "title": "Ubud",
                "when": "21.11 18:00–18:30 (время Бали)",
                "date": "Saturday 2026-11-21",
                "with": "maria",
                "held": True,
                "outcome": "next_meeting",
            }
        ]
    )
