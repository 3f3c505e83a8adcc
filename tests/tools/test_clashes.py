"""A meeting's time against the rep's Google Calendar free/busy, through the real client and the
fake Google: busy time is questioned, a calendar that cannot be read is said and does not stop
the booking, a moved meeting's own time does not count, and a retried move is not stopped by
the calendar that already holds it."""

from datetime import UTC, datetime

from inline_snapshot import snapshot
from pydantic_ai.exceptions import ModelHTTPError

from db.meetings import meetings_of_prospect
from tests.agent import test_integrations
from tests.agent.scripted import sent
from tests.agent.test_integrations import IVAN, Wired, busy_thursday_morning, rep_with_alex
from tests.tools.test_changes import ALEX, IVAN_EMAIL, ivan_with_a_meeting

wired = test_integrations.wired


def google(wired: Wired) -> list[str]:
    return wired.calls()["google"]


async def test_a_booking_over_busy_time_in_the_calendar_is_questioned(wired):
    talk = wired.talk
    await rep_with_alex(talk, IVAN, "Иван Иванов", IVAN_EMAIL, "ru")
    busy_thursday_morning(wired.google, IVAN_EMAIL)  # 10:00–11:30 in Bali
    talk.script.call("book_calendar", prospect="Алексей Петров", start="2026-11-26T11:00:00")
    talk.script.say("В это время в календаре занято.")
    await talk.say(IVAN, "Назначь Алексею четверг 11:00")
    assert talk.script.returns[-1].content == snapshot(
        "Not done: that time is busy in the rep's Google Calendar (26.11 11:00–11:30 (время Бали)); ask for another time"
    )
    assert wired.calls() == {
        "google": ["POST /calendar/v3/freeBusy 200"],
        "zoom": [],
        "hubspot": [],
    }


async def test_a_calendar_that_cannot_be_read_is_said_and_the_booking_goes_ahead(wired):
    talk = wired.talk
    await rep_with_alex(talk, IVAN, "Иван Иванов", IVAN_EMAIL, "ru")
    wired.google.fail("freeBusy", 503, times=6)  # every try, when asked and when confirmed
    talk.script.call("book_calendar", prospect="Алексей Петров", start="2026-11-26T15:00:00")
    asked = await talk.say(IVAN, "Назначь Алексею четверг 15:00")
    assert sent(asked)[0][1] == snapshot("""\
Назначить встречу?
Клиент: Алексей Петров
Когда: 26.11 15:00–15:30 (время Бали), в Zoom
Приглашение получит: alex.petrov@gmail.com
Календарь Google сейчас не удалось проверить: занятость в нём не учтена.\
""")
    talk.script.say("Готово, но календарь проверить не удалось.")
    await talk.press(IVAN, "confirm")
    booked = talk.script.last_return()
    assert (booked["status"], booked["calendar_not_checked"]) == snapshot(
        (
            "booked",
            "The service is currently unavailable. (HTTP 503); tell the user their calendar was not checked",
        )
    )
    assert google(wired)[-1] == "POST /calendar/v3/calendars/primary/events 200"


async def test_a_moved_meetings_own_time_does_not_count_but_other_busy_time_does(wired):
    talk = wired.talk
    await ivan_with_a_meeting(wired)  # Thursday 15:00–15:30, in the calendar too
    wired.google.busy[IVAN_EMAIL] = [  # 14:00–15:00 in Bali: Google joins it to the meeting
        (datetime(2026, 11, 26, 6, 0, tzinfo=UTC), datetime(2026, 11, 26, 7, 0, tzinfo=UTC))
    ]
    talk.script.call("reschedule_meeting", meeting="Алексей Петров", start="2026-11-26T14:30:00")
    talk.script.say("В 14:30 занято.")
    await talk.say(IVAN, "Перенеси встречу с Алексеем на 14:30")
    assert talk.script.returns[-1].content == snapshot(
        "Not done: that time is busy in the rep's Google Calendar (26.11 14:30–15:00 (время Бали)); ask for another time"
    )

    talk.script.call("reschedule_meeting", meeting="Алексей Петров", start="2026-11-26T15:15:00")
    asked = await talk.say(IVAN, "Тогда на 15:15")
    assert "Стало: 26.11 15:15–15:45 (время Бали)" in sent(asked)[0][1]
    talk.script.say("Перенёс.")
    await talk.press(IVAN, "confirm")
    assert talk.script.last_return()["status"] == "moved"
    assert "calendar_not_checked" not in talk.script.last_return()


async def test_a_retried_move_is_not_stopped_by_the_calendar_that_holds_it(wired):
    talk = wired.talk
    await ivan_with_a_meeting(wired)
    talk.script.call("reschedule_meeting", meeting="Алексей Петров", start="2026-11-27T11:00:00")
    await talk.say(IVAN, "Перенеси встречу с Алексеем на пятницу 11:00")
    talk.script.fail(ModelHTTPError(503, "gpt", "overloaded"))
    assert (await talk.press(IVAN, "confirm")).failed  # moved in Google, rolled back here
    before = google(wired)
    talk.script.say("Перенёс.")
    await talk.press(IVAN, "confirm")
    assert talk.script.last_return()["status"] == "moved"
    assert google(wired) == before  # neither free/busy nor the move asked again
    async with talk.runtime.pool.acquire() as conn:
        (meeting,) = await meetings_of_prospect(conn, prospect_id=ALEX)
    assert meeting.starts_at == datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
