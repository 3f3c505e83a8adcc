"""Booking in the sandbox (no credentials): the whole path through the turn, the confirmation,
the records every outside call leaves, and a retried turn that must not book twice."""

import re
from datetime import timedelta

from inline_snapshot import snapshot
from pydantic_ai.exceptions import ModelHTTPError

from db.integrations import list_records
from db.meetings import meetings_of_prospect
from db.models import ProspectStatus
from db.prospects import assign_prospect_to_rep, get_prospect, update_prospect_status
from db.reps import approve_rep, create_rep
from tests.agent.scripted import ADMIN, sent
from tests.conftest import NOW

IVAN, OLGA = 501, 502
ALEX = "test_prospect_001"
THURSDAY_15 = "2026-11-26T15:00:00"  # NOW is Friday 18:00 in Bali; this is next Thursday


async def rep_with_alex(talk, telegram_id=IVAN, language="ru"):
    async with talk.runtime.pool.acquire() as conn:
        rep = await create_rep(
            conn,
            telegram_id=telegram_id,
            name="Иван Иванов" if language == "ru" else "Olga Smirnova",
            email=f"rep{telegram_id}@truerealestate.bali",
            language=language,
            now=NOW,
            timezone="Asia/Makassar",
        )
        await approve_rep(conn, rep_id=rep.id, now=NOW)
        await assign_prospect_to_rep(conn, prospect_id=ALEX, rep_id=rep.id, now=NOW)
    return rep


async def records(talk):
    async with talk.runtime.pool.acquire() as conn:
        return [
            (r.service, r.operation, r.sandbox, r.undone_at is not None)
            for r in await list_records(conn)
        ]


async def test_a_rep_finds_time_and_books_alexey_in_the_sandbox(talk):
    await rep_with_alex(talk)
    talk.script.call("find_free_slots", day="2026-11-26").say("Свободно весь день.")
    await talk.say(IVAN, "Когда я свободен в четверг?")
    assert talk.script.last_return() == snapshot(
        {
            "day": "Thursday 2026-11-26",
            "timezone": "Asia/Makassar",
            "working_hours": "09:00–19:00",
            "free": ["09:00–19:00"],
            "note": "Sandbox mode: no real Google Calendar is connected; bookings are recorded here only. Tell the user so.",
        }
    )

    talk.script.call("book_calendar", prospect="Алексей Петров", start=THURSDAY_15)
    asked = await talk.say(IVAN, "Назначь Алексею Петрову на 15:00 с Zoom")
    assert sent(asked) == snapshot(
        [
            (
                501,
                """\
Назначить встречу?
Клиент: Алексей Петров
Когда: 26.11 15:00–15:30 (время Бали), в Zoom
Приглашение получит: alex.petrov@gmail.com\
""",
                [
                    [
                        {"text": "✅ Подтвердить", "data": "confirm"},
                        {"text": "✖️ Отмена", "data": "cancel"},
                    ]
                ],
            )
        ]
    )
    # free slots, then the booking's own check of the time
    assert await records(talk) == [("google_calendar", "freebusy.query", True, False)] * 2

    talk.script.say("Готово (в режиме песочницы).")
    await talk.press(IVAN, "confirm")
    booked = talk.script.last_return()
    assert booked.pop("zoom_join_url").startswith("https://sandbox.invalid/zoom/j/")
    assert re.fullmatch("[0-9a-v]{32}", booked.pop("calendar_event_id"))
    assert booked == snapshot(
        {
            "status": "booked",
            "title": "Алексей Петров — True Real Estate",
            "when": "Thursday 2026-11-26 15:00 (Asia/Makassar)",
            "minutes": 30,
            "logged_to_hubspot": True,
            "note": "Sandbox mode: recorded here only; no real Zoom meeting, calendar invite or HubSpot entry was made. Tell the user so.",
        }
    )
    assert await records(talk) == snapshot(
        [
            ("google_calendar", "freebusy.query", True, False),
            ("google_calendar", "freebusy.query", True, False),
            ("google_calendar", "freebusy.query", True, False),
            ("zoom", "meetings.create", True, False),
            ("google_calendar", "events.insert", True, False),
            ("hubspot", "contacts.find_or_create", True, False),
            ("hubspot", "meetings.create", True, False),
        ]
    )
    async with talk.runtime.pool.acquire() as conn:
        alex = await get_prospect(conn, prospect_id=ALEX)
        (meeting,) = await meetings_of_prospect(conn, prospect_id=ALEX)
    assert (alex.status, alex.hubspot_contact_id is not None) == ("in_conversation", True)
    assert (meeting.starts_at, meeting.ends_at - meeting.starts_at) == (
        NOW + timedelta(days=6, hours=-3),
        timedelta(minutes=30),
    )
    assert (meeting.sandbox, meeting.owed) == (True, [])
    assert meeting.zoom_meeting_id is not None
    assert meeting.zoom_meeting_id > 2**32

    talk.script.call("find_free_slots", day="2026-11-26").say("…")
    await talk.say(IVAN, "А что теперь свободно в четверг?")
    assert talk.script.last_return()["free"] == ["09:00–15:00", "15:30–19:00"]


async def test_a_turn_that_breaks_after_booking_books_once_when_confirmed_again(talk):
    await rep_with_alex(talk)
    talk.script.call("book_calendar", prospect="Алексей", start=THURSDAY_15)
    await talk.say(IVAN, "Назначь Алексею четверг 15:00")
    talk.script.fail(ModelHTTPError(503, "gpt", "overloaded"))
    failed = await talk.press(IVAN, "confirm")
    assert failed.failed
    # free/busy when asked and when confirmed, then the four steps; the turn rolled back
    assert len(await records(talk)) == 6
    async with talk.runtime.pool.acquire() as conn:
        assert await meetings_of_prospect(conn, prospect_id=ALEX) == []

    talk.script.say("Готово.")
    await talk.press(IVAN, "confirm")
    assert talk.script.last_return()["status"] == "booked"
    assert len(await records(talk)) == 6  # the calendar holds the event: not asked again
    async with talk.runtime.pool.acquire() as conn:
        assert len(await meetings_of_prospect(conn, prospect_id=ALEX)) == 1


async def test_the_same_booking_again_is_reported_as_already_booked(talk):
    await rep_with_alex(talk)
    for _ in range(2):
        talk.script.call("book_calendar", prospect="Алексей", start=THURSDAY_15)
        await talk.say(IVAN, "Назначь Алексею четверг 15:00")
        talk.script.say("Готово.")
        await talk.press(IVAN, "confirm")
    assert talk.script.last_return()["status"] == "already_booked"
    assert len(await records(talk)) == 6  # booked once: free/busy not asked the second time


async def test_a_time_in_the_past_or_after_hours_is_questioned_not_booked(talk):
    await rep_with_alex(talk, OLGA, "en")
    talk.script.call("book_calendar", prospect="@test_buyer_alex", start="2026-11-20T09:00:00")
    talk.script.call("book_calendar", prospect="@test_buyer_alex", start="2026-11-26T20:00:00")
    talk.script.call("book_calendar", prospect="@test_buyer_alex", start="2026-11-26T18:45:00")
    talk.script.say("Which time?")
    result = await talk.say(OLGA, "book Alex")
    assert [r.content for r in talk.script.returns] == snapshot(
        [
            "Not done: Fri 20 Nov 09:00 (Asia/Makassar) is in the past; ask the user for a future time",
            "Not done: Thu 26 Nov 20:00 (Asia/Makassar) is outside working hours (09:00–19:00); ask the user for a time within them",
            "Not done: Thu 26 Nov 18:45 (Asia/Makassar) is outside working hours (09:00–19:00); ask the user for a time within them",
        ]
    )
    assert sent(result) == [(OLGA, "Which time?", None)]
    assert await records(talk) == []


async def test_a_time_with_an_offset_is_taken_as_given(talk):
    await rep_with_alex(talk, OLGA, "en")
    talk.script.call(
        "book_calendar", prospect="@test_buyer_alex", start="2026-11-26T07:00:00Z", zoom=False
    )
    result = await talk.say(OLGA, "book Alex at 07:00 UTC on Thursday, no zoom")
    assert sent(result)[0][1] == snapshot("""\
Book this meeting?
Client: Алексей Петров
When: 26.11 15:00–15:30 (Bali time)
The invitation goes to: alex.petrov@gmail.com\
""")


async def archived_alex(talk, rep) -> None:
    async with talk.runtime.pool.acquire() as conn:
        await update_prospect_status(
            conn, prospect_id=ALEX, status=ProspectStatus.ARCHIVED, rep_id=rep.id, now=NOW
        )


async def test_booking_an_archived_client_says_so_in_the_question_and_reopens_them(talk):
    await archived_alex(talk, await rep_with_alex(talk))
    talk.script.call("book_calendar", prospect="Алексей Петров", start=THURSDAY_15)
    asked = await talk.say(IVAN, "Назначь Алексею четверг 15:00")
    assert sent(asked)[0][1] == snapshot("""\
Назначить встречу?
Клиент: Алексей Петров
Когда: 26.11 15:00–15:30 (время Бали), в Zoom
Приглашение получит: alex.petrov@gmail.com
Клиент Алексей Петров в архиве: встреча вернёт его в работу (статус «в переговорах»).\
""")
    talk.script.say("Готово.")
    await talk.press(IVAN, "confirm")
    booked = talk.script.last_return()
    assert (booked["status"], booked["was_archived"]) == snapshot(
        ("booked", "now in_conversation again")
    )
    async with talk.runtime.pool.acquire() as conn:
        assert (await get_prospect(conn, prospect_id=ALEX)).status == "in_conversation"


async def test_an_archived_client_is_said_in_english_and_nothing_is_booked_on_no(talk):
    await archived_alex(talk, await rep_with_alex(talk, OLGA, "en"))
    talk.script.call("book_calendar", prospect="@test_buyer_alex", start=THURSDAY_15, zoom=False)
    asked = await talk.say(OLGA, "book Alex on Thursday at 15:00, no zoom")
    assert sent(asked)[0][1] == snapshot("""\
Book this meeting?
Client: Алексей Петров
When: 26.11 15:00–15:30 (Bali time)
The invitation goes to: alex.petrov@gmail.com
Алексей Петров is archived: the meeting brings them back into play (status: in conversation).\
""")
    talk.script.say("Not booked.")
    await talk.press(OLGA, "cancel")
    async with talk.runtime.pool.acquire() as conn:
        assert await meetings_of_prospect(conn, prospect_id=ALEX) == []
        assert (await get_prospect(conn, prospect_id=ALEX)).status == "archived"


async def test_a_rep_cannot_book_a_prospect_of_someone_else(talk):
    await rep_with_alex(talk)
    async with talk.runtime.pool.acquire() as conn:
        olga = await create_rep(
            conn,
            telegram_id=OLGA,
            name="Olga",
            email="olga@truerealestate.bali",
            now=NOW,
            timezone="Asia/Makassar",
        )
        await approve_rep(conn, rep_id=olga.id, now=NOW)
    talk.script.call("book_calendar", prospect="Алексей Петров", start=THURSDAY_15)
    talk.script.say("He is not yours.")
    await talk.say(OLGA, "book Alexey Petrov on Thursday at 15")
    assert "No prospect matches" in talk.script.returns[-1].content
    assert await records(talk) == []


async def test_pending_reps_are_not_offered_meeting_tools(talk):
    async with talk.runtime.pool.acquire() as conn:
        await create_rep(
            conn,
            telegram_id=IVAN,
            name="Иван",
            email="ivan@truerealestate.bali",
            now=NOW,
            timezone="Asia/Makassar",
        )
    talk.script.say("Ваша заявка ещё на рассмотрении.")
    await talk.say(IVAN, "Назначь встречу")
    offered = talk.script.offered[-1]
    assert offered.isdisjoint(
        {"connect_calendar", "find_free_slots", "create_zoom", "book_calendar", "log_hubspot"}
    )


async def test_a_zoom_meeting_on_its_own(talk):
    await rep_with_alex(talk, OLGA, "en")
    talk.script.call(
        "create_zoom", topic="Team sync", start="2026-11-23T10:00:00", duration_minutes=45
    )
    talk.script.say("Here is the link.")
    await talk.say(OLGA, "make a zoom for Monday 10am, 45 minutes, team sync")
    made = talk.script.last_return()
    assert made["join_url"].startswith("https://sandbox.invalid/zoom/j/")
    assert (made["topic"], made["start"]) == (
        "Team sync",
        "Monday 2026-11-23 10:00 (Asia/Makassar)",
    )
    assert await records(talk) == [("zoom", "meetings.create", True, False)]


async def test_a_booking_alerts_the_admin_once_though_its_turn_was_retried(talk):
    await rep_with_alex(talk)
    talk.script.call("book_calendar", prospect="Алексей", start=THURSDAY_15)
    await talk.say(IVAN, "Назначь Алексею четверг 15:00")
    talk.script.fail(ModelHTTPError(503, "gpt", "overloaded"))
    assert (await talk.press(IVAN, "confirm")).failed
    talk.script.say("Готово.")
    booked = await talk.press(IVAN, "confirm")
    assert [(chat, text.splitlines()[0]) for chat, text, _ in sent(booked)] == snapshot(
        [
            (
                1000,
                "🔥 Горячий клиент: Алексей Петров (@test_buyer_alex) — Иван Иванов назначает встречу на 26.11 15:00 (время Бали).",
            ),
            (501, "Готово."),
        ]
    )
    async with talk.runtime.pool.acquire() as conn:
        chats = await conn.fetch("SELECT chat_id FROM outbox WHERE dedupe_key LIKE 'hot:%'")
    assert [r["chat_id"] for r in chats] == [ADMIN]
