"""The meeting and CRM tools through the real clients, wired from settings, against the fake
Google, Zoom and HubSpot servers over HTTP: two whole dialogues (Russian and English), and what
the rep hears when a service fails part-way."""

import dataclasses
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from inline_snapshot import snapshot

from agent.integrations import services_from
from agent.settings import load_settings
from db.integrations import list_records
from db.meetings import meetings_of_prospect
from db.prospects import assign_prospect_to_rep, get_prospect
from db.reps import approve_rep, create_rep
from db.verification import mark_verified
from tests.agent.scripted import Dialogue, dialogue, sent
from tests.conftest import NOW
from tests.fakes.clock import no_wait
from tests.fakes.google import FakeGoogle
from tests.fakes.hubspot import FakeHubSpot
from tests.fakes.zoom import FakeZoom
from tools.clients.retry import RetryPolicy

IVAN, OLGA = 501, 502
ALEX = "test_prospect_001"
FAST = RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.02, sleep=no_wait)
SHARED = "shared@truerealestate.bali"


@dataclass
class Wired:
    talk: Dialogue
    google: FakeGoogle
    zoom: FakeZoom
    hubspot: FakeHubSpot

    def calls(self) -> dict[str, list[str]]:
        """What each fake was asked, ids replaced by their kind."""
        google = [f"{c.method} {c.path} {c.status}" for c in self.google.calendar_calls()]
        return {
            "google": [_plain(line) for line in google],
            "zoom": [_plain(line) for line in self.zoom.log()],
            "hubspot": [_plain(line) for line in self.hubspot.log()],
        }


def _plain(line: str) -> str:
    return re.sub(r"/(\d{5,}|[0-9a-v]{32})(?=/| |$)", "/ID", line)


@pytest.fixture
async def wired(db_dsn, tmp_path):
    async with FakeGoogle() as google, FakeZoom() as zoom, FakeHubSpot() as hubspot:
        google.delegation_allowed = {"truerealestate.bali"}
        zoom.users = {"olga@truerealestate.bali", SHARED}
        settings = load_settings(
            _env_file=None,
            google_service_account_file=google.service_account_file(tmp_path),
            google_calendar_api_url=google.api_endpoint,
            zoom_account_id=zoom.account_id,
            zoom_client_id=zoom.client_id,
            zoom_client_secret=zoom.client_secret,
            zoom_shared_user=SHARED,
            zoom_api_url=zoom.api_url,
            zoom_oauth_url=zoom.oauth_url,
            hubspot_access_token=hubspot.token,
            hubspot_api_url=hubspot.url,
        )
        talk, pool = await dialogue(db_dsn)
        try:
            async with services_from(
                settings, journal=pool, clock=talk.clock, policy=FAST
            ) as services:
                talk.runtime = dataclasses.replace(talk.runtime, services=services)
                yield Wired(talk, google, zoom, hubspot)
        finally:
            await pool.close()
        assert google.violations == zoom.violations == hubspot.violations == []


async def rep_with_alex(talk, telegram_id: int, name: str, email: str, language: str) -> Any:
    async with talk.runtime.pool.acquire() as conn:
        rep = await create_rep(
            conn,
            telegram_id=telegram_id,
            name=name,
            email=email,
            language=language,
            now=NOW,
            timezone="Asia/Makassar",
        )
        await approve_rep(conn, rep_id=rep.id, now=NOW)
        # The bot acts in Google as this address, so it must have been proved (tested in
        # tests/tools/test_verification.py).
        await mark_verified(conn, rep_id=rep.id, email=email, by="code", now=NOW)
        await assign_prospect_to_rep(conn, prospect_id=ALEX, rep_id=rep.id, now=NOW)
    return rep


def busy_thursday_morning(google: FakeGoogle, email: str) -> None:
    google.busy[email] = [
        (datetime(2026, 11, 26, 2, 0, tzinfo=UTC), datetime(2026, 11, 26, 3, 30, tzinfo=UTC))
    ]


async def test_a_rep_books_alexey_with_zoom_and_logs_the_call_in_russian(wired):
    talk = wired.talk
    await rep_with_alex(talk, IVAN, "Иван Иванов", "ivan@truerealestate.bali", "ru")
    busy_thursday_morning(wired.google, "ivan@truerealestate.bali")

    talk.script.call("find_free_slots", day="2026-11-26")
    talk.script.say("В четверг свободно 09:00–10:00 и 11:30–19:00.")
    await talk.say(IVAN, "Когда я свободен в четверг?")
    assert talk.script.last_return()["free"] == ["09:00–10:00", "11:30–19:00"]

    talk.script.call("book_calendar", prospect="Алексей Петров", start="2026-11-26T15:00:00")
    asked = await talk.say(IVAN, "Назначь встречу с Алексеем Петровым в четверг в 15:00 с Zoom")
    assert sent(asked)[0][1] == snapshot("""\
Назначить встречу?
Клиент: Алексей Петров
Когда: 26.11 15:00–15:30 (время Бали), в Zoom
Приглашение получит: alex.petrov@gmail.com\
""")
    talk.script.say("Готово! Встреча в четверг в 15:00, приглашение отправлено Алексею.")
    await talk.press(IVAN, "confirm")
    booked = talk.script.last_return()
    assert (booked["status"], booked["logged_to_hubspot"], "note" in booked) == (
        "booked",
        True,
        False,
    )

    talk.clock.advance(days=6)
    talk.script.call(
        "log_hubspot",
        prospect="Алексей Петров",
        summary="Созвонились, показал варианты вилл в Чангу.",
        outcome="заинтересован",
        next_step="просмотр в субботу",
    )
    await talk.say(IVAN, "Созвонились с Алексеем, заинтересован, в субботу просмотр")
    talk.script.say("Записал в HubSpot.")
    done = await talk.press(IVAN, "confirm")
    assert sent(done) == [(IVAN, "Записал в HubSpot.", None)]

    assert wired.calls() == snapshot(
        {
            "google": [
                "POST /calendar/v3/freeBusy 200",
                "POST /calendar/v3/freeBusy 200",
                "POST /calendar/v3/freeBusy 200",
                "POST /calendar/v3/calendars/primary/events 200",
            ],
            "zoom": [
                "POST /oauth/token 200",
                "POST /v2/users/ivan@truerealestate.bali/meetings 404",
                "POST /v2/users/shared@truerealestate.bali/meetings 201",
            ],
            "hubspot": [
                "POST /crm/v3/objects/contacts/search 200",
                "POST /crm/v3/objects/contacts 201",
                "POST /crm/v3/objects/meetings 201",
                "POST /crm/v3/objects/notes 201",
            ],
        }
    )
    (event,) = wired.google.live_events("ivan@truerealestate.bali")
    assert event["attendees"] == [
        {
            "email": "alex.petrov@gmail.com",
            "displayName": "Алексей Петров",
            "responseStatus": "needsAction",
        }
    ]
    (meeting,) = wired.zoom.meetings.values()
    assert meeting["topic"] == "Алексей Петров — True Real Estate (Иван Иванов)"
    async with talk.runtime.pool.acquire() as conn:
        alex = await get_prospect(conn, prospect_id=ALEX)
        (row,) = await meetings_of_prospect(conn, prospect_id=ALEX)
    assert alex.status == "in_conversation"
    assert (row.sandbox, row.owed, row.zoom_meeting_id) == (False, [], meeting["id"])


def hubspot_notes(hubspot: FakeHubSpot) -> list[str]:
    return [n["properties"]["hs_note_body"] for n in hubspot.objects["notes"].values()]


async def test_an_english_rep_books_on_their_own_zoom_and_logs_the_outcome(wired):
    talk = wired.talk
    await rep_with_alex(talk, OLGA, "Olga Smirnova", "olga@truerealestate.bali", "en")

    talk.script.call("find_free_slots", day="2026-11-26").say("You are free all Thursday.")
    await talk.say(OLGA, "When am I free on Thursday?")
    talk.script.call("book_calendar", prospect="@test_buyer_alex", start="2026-11-26T15:00:00")
    asked = await talk.say(OLGA, "Book Alexey Petrov at 15:00 with Zoom")
    assert sent(asked)[0][1] == snapshot("""\
Book this meeting?
Client: Алексей Петров
When: 26.11 15:00–15:30 (Bali time), on Zoom
The invitation goes to: alex.petrov@gmail.com\
""")
    talk.script.say("Booked for Thursday 15:00.")
    await talk.press(OLGA, "confirm")

    talk.clock.advance(days=6)
    talk.script.call(
        "log_hubspot",
        prospect="@test_buyer_alex",
        summary="Call went well; showed three villas in Canggu.",
        outcome="interested",
        next_step="viewing on Saturday",
    )
    await talk.say(OLGA, "Had the call with Alexey, he is interested, viewing on Saturday")
    talk.script.say("Logged to HubSpot.")
    await talk.press(OLGA, "confirm")

    assert wired.calls()["zoom"] == snapshot(
        ["POST /oauth/token 200", "POST /v2/users/olga@truerealestate.bali/meetings 201"]
    )
    (meeting,) = wired.zoom.meetings.values()
    assert meeting["topic"] == "Алексей Петров — True Real Estate"
    assert hubspot_notes(wired.hubspot) == snapshot(
        [
            "Call went well; showed three villas in Canggu.<br>Outcome: interested<br>Next step: viewing on Saturday"
        ]
    )


async def test_a_calendar_that_keeps_failing_cancels_the_zoom_meeting_and_books_nothing(wired):
    talk = wired.talk
    await rep_with_alex(talk, OLGA, "Olga Smirnova", "olga@truerealestate.bali", "en")
    wired.google.fail("/events", 503, times=10)
    talk.script.call("book_calendar", prospect="@test_buyer_alex", start="2026-11-26T15:00:00")
    await talk.say(OLGA, "Book Alexey at 15:00 on Thursday")
    talk.script.say("Sorry, Google Calendar is down; nothing was booked.")
    await talk.press(OLGA, "confirm")

    assert talk.script.last_return() == snapshot(
        "Not done: the calendar event could not be created (The service is currently unavailable. (HTTP 503)); nothing was booked and Zoom meeting 85746065001 was cancelled"
    )
    assert wired.calls()["zoom"] == snapshot(
        [
            "POST /oauth/token 200",
            "POST /v2/users/olga@truerealestate.bali/meetings 201",
            "DELETE /v2/meetings/ID 204",
        ]
    )
    assert wired.zoom.meetings == {}
    async with talk.runtime.pool.acquire() as conn:
        assert await meetings_of_prospect(conn, prospect_id=ALEX) == []
        alex = await get_prospect(conn, prospect_id=ALEX)
        kept = [(r.service, r.operation, r.undone_at is not None) for r in await list_records(conn)]
    assert alex.status == "unreached"
    assert kept == snapshot(
        [
            ("google_calendar", "freebusy.query", False),
            ("google_calendar", "freebusy.query", False),
            ("zoom", "meetings.create", True),
            ("google_calendar", "events.insert", False),
        ]
    )


async def test_hubspot_down_still_books_and_owes_the_log(wired):
    talk = wired.talk
    await rep_with_alex(talk, OLGA, "Olga Smirnova", "olga@truerealestate.bali", "en")
    wired.hubspot.fail("/crm/", 503, times=10)
    talk.script.call("book_calendar", prospect="@test_buyer_alex", start="2026-11-26T15:00:00")
    await talk.say(OLGA, "Book Alexey at 15:00 on Thursday")
    talk.script.say("Booked, but not logged to HubSpot yet.")
    await talk.press(OLGA, "confirm")

    booked = talk.script.last_return()
    assert (booked["status"], booked["logged_to_hubspot"], booked["not_done"]) == snapshot(
        (
            "booked",
            False,
            ["the HubSpot log (Injected fault 503 (HTTP 503)); it is recorded to be done later"],
        )
    )
    async with talk.runtime.pool.acquire() as conn:
        (row,) = await meetings_of_prospect(conn, prospect_id=ALEX)
    assert (row.owed, row.calendar_event_id is not None, row.zoom_meeting_id is not None) == (
        ["hubspot"],
        True,
        True,
    )


async def test_a_zoom_rate_limit_is_waited_out(wired):
    talk = wired.talk
    await rep_with_alex(talk, OLGA, "Olga Smirnova", "olga@truerealestate.bali", "en")
    wired.zoom.fail("/meetings", 429, times=1, headers={"Retry-After": "0.2"})
    talk.script.call("create_zoom", topic="Team sync", start="2026-11-23T10:00:00")
    talk.script.say("Here it is.")
    await talk.say(OLGA, "zoom for Monday 10:00, team sync")
    assert talk.script.last_return()["join_url"].startswith("https://us06web.zoom.us/j/")
    assert wired.calls()["zoom"] == snapshot(
        [
            "POST /oauth/token 200",
            "POST /v2/users/olga@truerealestate.bali/meetings 429",
            "POST /v2/users/olga@truerealestate.bali/meetings 201",
        ]
    )


async def test_connecting_by_domain_delegation_checks_access_to_the_reps_calendar(wired):
    talk = wired.talk
    await rep_with_alex(talk, IVAN, "Иван Иванов", "ivan@truerealestate.bali", "ru")
    talk.script.call("connect_calendar").say("Календарь подключён.")
    await talk.say(IVAN, "Подключи мой календарь")
    assert talk.script.last_return() == snapshot(
        {"status": "connected", "account": "ivan@truerealestate.bali"}
    )

    wired.google.delegation_allowed = set()
    await rep_with_alex(talk, OLGA, "Olga Smirnova", "olga@truerealestate.bali", "en")
    talk.script.call("connect_calendar").say("The admin must allow access first.")
    await talk.say(OLGA, "Connect my calendar")
    assert talk.script.last_return() == snapshot(
        "Not done: Google refused access to olga@truerealestate.bali's calendar (Google refused the credentials (unauthorized_client: Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.)). A Workspace admin must allow the service account's domain-wide delegation for the scopes https://www.googleapis.com/auth/calendar.events, https://www.googleapis.com/auth/calendar.freebusy, https://www.googleapis.com/auth/calendar.calendars.readonly"
    )
    async with talk.runtime.pool.acquire() as conn:
        connected = await conn.fetch(
            "SELECT calendar_account_name FROM reps WHERE calendar_connected_at IS NOT NULL"
        )
    assert [r[0] for r in connected] == ["ivan@truerealestate.bali"]


async def test_an_unproved_email_is_never_acted_as_in_google(wired):
    """With delegation the bot can act as any address of the domain: only a proved one."""
    talk = wired.talk
    await rep_with_alex(talk, IVAN, "Иван Иванов", "ivan@truerealestate.bali", "ru")
    async with talk.runtime.pool.acquire() as conn:
        await conn.execute("UPDATE reps SET email_verified_at = NULL, email_verified_by = NULL")
    talk.script.call("connect_calendar").say("Сначала подтвердите email.")
    await talk.say(IVAN, "Подключи мой календарь")
    refused = talk.script.last_return()
    talk.script.call("find_free_slots", day="2026-11-26").say("Сначала подтвердите email.")
    await talk.say(IVAN, "Когда я свободен в четверг?")
    talk.script.call("book_calendar", prospect="@test_buyer_alex", start="2026-11-26T15:00:00").say(
        "Сначала подтвердите email."
    )
    asked = await talk.say(IVAN, "Запиши Алексея на четверг 15:00")
    assert not [m for m in asked.messages if m.buttons]  # nothing to confirm
    assert (
        refused
        == talk.script.returned(-2)
        == talk.script.last_return()
        == (
            "Not done: the user's email ivan@truerealestate.bali is not verified yet, and the "
            "calendar is used only for a verified email (so nobody can act as someone else). Tell "
            "them to verify it first: no mail server is configured, so an admin must set up SMTP "
            "first"
        )
    )
    assert wired.google.calls == wired.zoom.calls == []
    async with talk.runtime.pool.acquire() as conn:
        assert await meetings_of_prospect(conn, prospect_id=ALEX) == []
        assert (await conn.fetchval("SELECT calendar_connected_at FROM reps")) is None


async def test_the_owed_hubspot_log_is_made_when_the_rep_books_the_same_meeting_again(wired):
    talk = wired.talk
    await rep_with_alex(talk, OLGA, "Olga Smirnova", "olga@truerealestate.bali", "en")
    wired.hubspot.fail("/crm/", 503, times=FAST.attempts)  # the first booking's tries, no more
    for _ in range(2):
        talk.script.call("book_calendar", prospect="@test_buyer_alex", start="2026-11-26T15:00:00")
        await talk.say(OLGA, "Book Alexey at 15:00 on Thursday")
        talk.script.say("Done.")
        await talk.press(OLGA, "confirm")

    again = talk.script.last_return()
    assert (again["status"], again["logged_to_hubspot"], "not_done" in again) == (
        "already_booked",
        True,
        False,
    )
    async with talk.runtime.pool.acquire() as conn:
        (row,) = await meetings_of_prospect(conn, prospect_id=ALEX)
    assert (row.owed, row.hubspot_meeting_id is not None) == ([], True)
    assert [line for line in wired.calls()["zoom"] if "meetings" in line] == [
        "POST /v2/users/olga@truerealestate.bali/meetings 201"
    ]


@pytest.mark.parametrize("zoom", [True, False])
async def test_what_the_client_receives_carries_none_of_our_notes_about_them(wired, zoom):
    talk = wired.talk
    await rep_with_alex(talk, IVAN, "Иван Иванов", "ivan@truerealestate.bali", "ru")
    internal = {"context": "бюджет гибкий, давить на срочность", "notes": "жена против покупки"}
    async with talk.runtime.pool.acquire() as conn:
        await conn.execute(
            "UPDATE prospects SET context = $2, notes = $3 WHERE id = $1", ALEX, *internal.values()
        )
    talk.script.call(
        "book_calendar", prospect="Алексей Петров", start="2026-11-26T15:00:00", zoom=zoom
    )
    await talk.say(IVAN, "Назначь встречу с Алексеем в четверг в 15:00")
    talk.script.say("Готово.")
    await talk.press(IVAN, "confirm")

    outside = [c.body for c in wired.google.calendar_calls()] + [c.body for c in wired.zoom.calls]
    assert len(outside) >= (3 if zoom else 1)
    for secret in internal.values():
        for word in secret.split(", "):
            assert word not in json.dumps(outside, ensure_ascii=False)
    (event,) = wired.google.live_events("ivan@truerealestate.bali")
    assert event["description"].splitlines()[0] == "Организатор: Иван Иванов, True Real Estate."
    crm = json.dumps([c.body for c in wired.hubspot.calls], ensure_ascii=False)
    assert internal["notes"] in crm
