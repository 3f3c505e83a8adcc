"""Cancelling a booked meeting through the real clients against the fake Google, Zoom and
HubSpot: the confirmation, each service told once, a failing step said exactly, another rep's
meeting refused, an ambiguous reference asked about, and no prep for a cancelled meeting."""

from datetime import timedelta

from inline_snapshot import snapshot

from db import scheduler
from db.meetings import create_meeting, meetings_of_prospect
from db.reps import approve_rep, create_rep
from tests.agent import test_integrations
from tests.agent.scripted import sent
from tests.agent.test_integrations import IVAN, OLGA, Wired, rep_with_alex
from tests.conftest import NOW

wired = test_integrations.wired

ALEX = "test_prospect_001"
IVAN_EMAIL = "ivan@truerealestate.bali"


async def booked(wired: Wired, start: str = "2026-11-26T15:00:00") -> None:
    talk = wired.talk
    talk.script.call("book_calendar", prospect="Алексей Петров", start=start)
    await talk.say(IVAN, "Назначь встречу с Алексеем")
    talk.script.say("Готово.")
    await talk.press(IVAN, "confirm")
    assert talk.script.last_return()["status"] == "booked"


async def ivan_with_a_meeting(wired: Wired) -> None:
    await rep_with_alex(wired.talk, IVAN, "Иван Иванов", IVAN_EMAIL, "ru")
    await booked(wired)
    wired.google.calls.clear()
    wired.zoom.calls.clear()
    wired.hubspot.calls.clear()


async def test_a_rep_cancels_the_meeting_everywhere_after_confirming(wired):
    talk = wired.talk
    await ivan_with_a_meeting(wired)
    talk.script.call("cancel_meeting", meeting="Алексей Петров", reason="клиент заболел")
    asked = await talk.say(IVAN, "Отмени встречу с Алексеем, он заболел")
    assert sent(asked)[0][1] == snapshot("""\
Отменить встречу?
Алексей Петров — True Real Estate
Когда: 26.11 15:00–15:30 (время Бали)
Клиенту придёт уведомление из календаря.\
""")
    assert wired.calls() == {"google": [], "zoom": [], "hubspot": []}

    talk.script.say("Встреча отменена.")
    await talk.press(IVAN, "confirm")
    assert talk.script.last_return() == snapshot(
        {
            "status": "cancelled",
            "title": "Алексей Петров — True Real Estate",
            "when": "Thursday 2026-11-26 15:00 (Asia/Makassar)",
            "done_in": ["calendar (the client is notified)", "Zoom", "HubSpot"],
        }
    )
    assert wired.calls() == snapshot(
        {
            "google": ["DELETE /calendar/v3/calendars/primary/events/ID 204"],
            "zoom": ["DELETE /v2/meetings/ID 204"],
            "hubspot": ["PATCH /crm/v3/objects/meetings/1002 200"],
        }
    )
    assert wired.google.live_events(IVAN_EMAIL) == []
    (logged,) = wired.hubspot.objects["meetings"].values()
    assert logged["properties"]["hs_meeting_outcome"] == "CANCELED"
    async with talk.runtime.pool.acquire() as conn:
        (meeting,) = await meetings_of_prospect(conn, prospect_id=ALEX)
    assert meeting.status == "cancelled"

    talk.script.say("Встреч нет.")
    await talk.say(IVAN, "Отмени встречу с Алексеем")
    assert "cancel_meeting" not in talk.script.offered[-1]  # no upcoming meeting: not offered


async def test_a_zoom_that_fails_is_said_and_the_rest_is_cancelled(wired):
    talk = wired.talk
    await ivan_with_a_meeting(wired)
    wired.zoom.fail("/meetings", 503, times=10)
    talk.script.call("cancel_meeting", meeting="2026-11-26")
    await talk.say(IVAN, "Отмени встречу в четверг")
    talk.script.say("Отменил, но Zoom не ответил.")
    await talk.press(IVAN, "confirm")
    result = talk.script.last_return()
    assert (result["done_in"], result["not_done"]) == snapshot(
        (
            ["calendar (the client is notified)", "HubSpot"],
            ["Zoom could not be changed: Service Unavailable (HTTP 503)"],
        )
    )


async def test_a_calendar_that_fails_cancels_nothing(wired):
    talk = wired.talk
    await ivan_with_a_meeting(wired)
    wired.google.fail("/events", 503, times=10)
    talk.script.call("cancel_meeting", meeting="Алексей Петров")
    await talk.say(IVAN, "Отмени встречу с Алексеем")
    talk.script.say("Не получилось.")
    await talk.press(IVAN, "confirm")
    assert talk.script.returns[-1].content == snapshot(
        "Not done: the calendar event could not be cancelled (The service is currently unavailable. (HTTP 503)); nothing was cancelled"
    )
    assert wired.zoom.log() == wired.hubspot.log() == []
    async with talk.runtime.pool.acquire() as conn:
        (meeting,) = await meetings_of_prospect(conn, prospect_id=ALEX)
    assert meeting.status == "scheduled"


async def test_another_reps_meeting_is_refused_and_audited(wired):
    talk = wired.talk
    await ivan_with_a_meeting(wired)
    async with talk.runtime.pool.acquire() as conn:
        olga = await create_rep(
            conn,
            telegram_id=OLGA,
            name="Olga",
            email="olga@truerealestate.bali",
            language="en",
            now=NOW,
            timezone="Asia/Makassar",
        )
        await approve_rep(conn, rep_id=olga.id, now=NOW)
        await create_meeting(  # one of her own, so that she is offered the tool
            conn,
            rep_id=olga.id,
            prospect_id=None,
            title="Team call",
            starts_at=NOW + timedelta(days=1),
            ends_at=NOW + timedelta(days=1, minutes=30),
            sandbox=False,
            now=NOW,
        )
        (meeting,) = await meetings_of_prospect(conn, prospect_id=ALEX)
    talk.script.call("cancel_meeting", meeting=str(meeting.id))
    talk.script.say("That meeting is not yours.")
    await talk.say(OLGA, f"cancel meeting {meeting.id}")
    assert talk.script.returns[-1].content == snapshot(
        "Refused: that meeting is another rep's; only its own rep may change it"
    )
    async with talk.runtime.pool.acquire() as conn:
        entry = await conn.fetchrow(
            "SELECT tool, allowed, outcome FROM audit_log ORDER BY id DESC LIMIT 1"
        )
    assert tuple(entry) == ("cancel_meeting", False, "refused")
    assert wired.calls() == {"google": [], "zoom": [], "hubspot": []}


async def test_two_meetings_with_the_prospect_are_asked_about(wired):
    talk = wired.talk
    await ivan_with_a_meeting(wired)
    await booked(wired, "2026-11-27T11:00:00")
    before = wired.calls()
    talk.script.call("cancel_meeting", meeting="Алексей Петров")
    talk.script.say("Какую из двух?")
    await talk.say(IVAN, "Отмени встречу с Алексеем")
    retry = talk.script.returns[-1].content
    assert "matches several meetings" in retry
    assert retry.count("Алексей Петров — True Real Estate") == 2
    assert wired.calls() == before


async def test_a_cancelled_meeting_gets_no_prep(wired):
    talk = wired.talk
    await ivan_with_a_meeting(wired)
    talk.script.call("cancel_meeting", meeting="Алексей Петров")
    await talk.say(IVAN, "Отмени встречу с Алексеем")
    talk.script.say("Отменил.")
    await talk.press(IVAN, "confirm")
    talk.clock.advance(days=6, hours=-4)
    async with talk.runtime.pool.acquire() as conn:
        queued = await scheduler.meeting_preps(
            conn, now=talk.clock(), before=timedelta(hours=2), quiet=talk.runtime.rules.quiet
        )
    assert queued == 0


async def test_a_rep_moves_the_meeting_everywhere_and_the_prep_follows(wired):
    talk = wired.talk
    await ivan_with_a_meeting(wired)
    talk.script.call("reschedule_meeting", meeting="Алексей Петров", start="2026-11-27T11:00:00")
    asked = await talk.say(IVAN, "Перенеси встречу с Алексеем на пятницу 11:00")
    assert sent(asked)[0][1] == snapshot("""\
Перенести встречу?
Алексей Петров — True Real Estate
Было: 26.11 15:00–15:30 (время Бали)
Стало: 27.11 11:00–11:30 (время Бали)
Клиенту придёт уведомление из календаря.\
""")
    talk.script.say("Перенёс.")
    await talk.press(IVAN, "confirm")
    assert talk.script.last_return() == snapshot(
        {
            "status": "moved",
            "title": "Алексей Петров — True Real Estate",
            "when": "Friday 2026-11-27 11:00 (Asia/Makassar)",
            "done_in": ["calendar (the client is notified)", "Zoom", "HubSpot"],
        }
    )
    assert wired.calls() == snapshot(
        {
            "google": [
                "POST /calendar/v3/freeBusy 200",
                "POST /calendar/v3/freeBusy 200",
                "PATCH /calendar/v3/calendars/primary/events/ID 200",
            ],
            "zoom": ["PATCH /v2/meetings/ID 204"],
            "hubspot": ["PATCH /crm/v3/objects/meetings/1002 200"],
        }
    )
    (event,) = wired.google.live_events(IVAN_EMAIL)
    (zoom,) = wired.zoom.meetings.values()
    (logged,) = wired.hubspot.objects["meetings"].values()
    assert (
        event["start"]["dateTime"],
        zoom["start_time"],
        logged["properties"]["hs_meeting_start_time"],
    ) == snapshot(("2026-11-27T11:00:00+08:00", "2026-11-27T03:00:00Z", "2026-11-27T03:00:00.000Z"))
    async with talk.runtime.pool.acquire() as conn:
        (meeting,) = await meetings_of_prospect(conn, prospect_id=ALEX)
        rules = talk.runtime.rules
        talk.clock.advance(days=6, hours=-4)  # an hour before the old time: nothing
        old = await scheduler.meeting_preps(
            conn, now=talk.clock(), before=timedelta(hours=2), quiet=rules.quiet
        )
        talk.clock.advance(hours=19.5)  # an hour and a half before the new time
        new = await scheduler.meeting_preps(
            conn, now=talk.clock(), before=timedelta(hours=2), quiet=rules.quiet
        )
    assert (meeting.starts_at - NOW, old, new) == snapshot((timedelta(days=6, seconds=61200), 0, 1))


async def test_a_move_asked_again_once_done_changes_nothing_and_asks_nothing(wired):
    talk = wired.talk
    await ivan_with_a_meeting(wired)
    move = {"meeting": "Алексей Петров", "start": "2026-11-27T11:00:00"}
    talk.script.call("reschedule_meeting", **move)
    await talk.say(IVAN, "Перенеси встречу с Алексеем на пятницу 11:00")
    talk.script.say("Перенёс.")
    await talk.press(IVAN, "confirm")
    before = wired.calls()
    talk.script.call("reschedule_meeting", **move).say("Встреча уже в пятницу в 11:00.")
    answered = await talk.say(IVAN, "Перенеси встречу с Алексеем на пятницу 11:00")
    assert talk.script.last_return() == snapshot(
        {
            "status": "already_at_that_time",
            "title": "Алексей Петров — True Real Estate",
            "when": "Friday 2026-11-27 11:00 (Asia/Makassar)",
            "done_in": [],
        }
    )
    assert [buttons for _, _, buttons in sent(answered)] == [None]
    assert wired.calls() == before


async def test_a_new_time_overlapping_another_meeting_or_past_is_questioned(wired):
    talk = wired.talk
    await ivan_with_a_meeting(wired)
    await booked(wired, "2026-11-27T11:00:00")
    before = wired.calls()
    talk.script.call("reschedule_meeting", meeting="2026-11-26", start="2026-11-27T11:15:00")
    talk.script.say("Это время занято.")
    await talk.say(IVAN, "Перенеси четверговую встречу на пятницу 11:15")
    assert talk.script.returns[-1].content == snapshot(
        "Not done: that time overlaps the rep's meeting Алексей Петров — True Real Estate 27.11 11:00–11:30 (время Бали); ask for another time"
    )
    talk.script.call("reschedule_meeting", meeting="2026-11-26", start="2026-11-19T11:00:00")
    talk.script.say("Это прошлое.")
    await talk.say(IVAN, "Перенеси на прошлый четверг")
    assert talk.script.returns[-1].content.startswith("Not done: Thu 19 Nov 11:00")
    assert wired.calls() == before


async def test_a_booking_over_another_meeting_is_questioned(wired):
    talk = wired.talk
    await ivan_with_a_meeting(wired)
    talk.script.call("book_calendar", prospect="Алексей Петров", start="2026-11-26T15:15:00")
    talk.script.say("В это время уже встреча.")
    await talk.say(IVAN, "Назначь Алексею ещё на 15:15 в четверг")
    assert talk.script.returns[-1].content == snapshot(
        "Not done: that time overlaps the rep's meeting Алексей Петров — True Real Estate 26.11 15:00–15:30 (время Бали); ask for another time"
    )
    assert wired.calls() == {"google": [], "zoom": [], "hubspot": []}
