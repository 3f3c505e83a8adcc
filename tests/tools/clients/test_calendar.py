"""GoogleCalendar, the real google-api-python-client, against the fake Google over HTTP."""

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from google.oauth2.credentials import Credentials
from inline_snapshot import snapshot

from tests.fakes.clock import FakeClock
from tests.fakes.google import Call, FakeGoogle
from tests.fakes.http_fake import LocalServer
from tools.clients.calendar import GoogleCalendar
from tools.clients.calendar_models import (
    Attendee,
    CalendarAccess,
    EventAttendee,
    Interval,
    NewEvent,
    SyncedEvent,
)
from tools.clients.errors import (
    AuthFailed,
    RateLimited,
    Rejected,
    RemoteNotFound,
    SyncTokenExpired,
    Unavailable,
)
from tools.clients.google_auth import SCOPES
from tools.clients.retry import RetryPolicy

REP = "rep@acme.test"
BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
ATTEMPTS = 3
EVENT = NewEvent(
    event_id="demo20261120",
    summary="Demo: Acme",
    description="Product demo for Acme",
    start=datetime(2026, 11, 20, 15, 0, tzinfo=BERLIN),
    end=datetime(2026, 11, 20, 15, 45, tzinfo=BERLIN),
    timezone="Europe/Berlin",
    attendees=(Attendee("anna@acme.example", "Anna Schmidt"), Attendee("bob@acme.example")),
    location="Zoom",
)


@pytest.fixture
async def fake():
    async with FakeGoogle() as server:
        yield server
    assert server.violations == []


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def policy(clock):
    """Retries that record their waits on `clock` instead of waiting."""
    return RetryPolicy(attempts=ATTEMPTS, initial_wait=0.01, max_wait=0.02, sleep=clock.sleep)


@pytest.fixture
def calendar(fake, policy):
    return GoogleCalendar(api_endpoint=fake.api_endpoint, timeout=2.0, policy=policy)


def access_of(fake, email=REP, scopes=SCOPES):
    """A token the fake issued, with nothing to refresh it with."""
    return CalendarAccess(email, Credentials(token=fake.issue_token(email, scopes)))


async def test_primary_is_the_account_email(fake, calendar):
    assert await calendar.primary(access_of(fake)) == REP
    assert fake.calendar_calls() == snapshot(
        [
            Call(
                method="GET",
                path="/calendar/v3/calendars/primary",
                query={"alt": "json"},
                body=None,
                user="rep@acme.test",
                status=200,
            )
        ]
    )


async def test_the_scopes_cover_every_operation_and_fewer_do_not(fake, calendar):
    access = access_of(fake)
    await calendar.primary(access)
    await calendar.busy(access, start=T0, end=T0 + timedelta(hours=1))
    await calendar.create_event(access, EVENT)
    await calendar.delete_event(access, EVENT.event_id)
    events_and_freebusy = access_of(fake, scopes=SCOPES[:2])
    with pytest.raises(AuthFailed, match="insufficient authentication scopes"):
        await calendar.primary(events_and_freebusy)


async def test_busy_is_the_primary_calendars_busy_time_in_utc(fake, calendar):
    fake.busy[REP] = [
        (
            datetime(2026, 11, 20, 10, 0, tzinfo=BERLIN),
            datetime(2026, 11, 20, 11, 0, tzinfo=BERLIN),
        ),
        (T0 + timedelta(hours=6), T0 + timedelta(hours=7)),
    ]
    busy = await calendar.busy(
        access_of(fake),
        start=datetime(2026, 11, 20, 9, 0, tzinfo=BERLIN),
        end=datetime(2026, 11, 20, 12, 0, tzinfo=BERLIN),
    )
    assert busy == [Interval(T0, T0 + timedelta(hours=1))]
    assert all(i.start.tzinfo is UTC and i.end.tzinfo is UTC for i in busy)
    assert fake.calendar_calls()[0].body == snapshot(
        {
            "timeMin": "2026-11-20T08:00:00Z",
            "timeMax": "2026-11-20T11:00:00Z",
            "timeZone": "UTC",
            "items": [{"id": "primary"}],
        }
    )


async def test_busy_includes_events_booked_through_the_client(fake, calendar):
    access = access_of(fake)
    await calendar.create_event(access, EVENT)
    busy = await calendar.busy(access, start=T0, end=T0 + timedelta(hours=12))
    assert busy == [Interval(EVENT.start.astimezone(UTC), EVENT.end.astimezone(UTC))]


async def test_busy_refuses_naive_times(calendar, fake):
    with pytest.raises(ValueError, match="aware"):
        await calendar.busy(access_of(fake), start=datetime(2026, 11, 20), end=T0)


async def test_create_event_sends_the_event_and_repeating_it_finds_the_first(fake, calendar):
    access = access_of(fake)
    first = await calendar.create_event(access, EVENT)
    again = await calendar.create_event(access, EVENT)

    assert first == again
    assert (first.id, first.status) == ("demo20261120", "confirmed")
    assert first.html_link == "https://www.google.com/calendar/event?eid=demo20261120"
    assert [e["id"] for e in fake.live_events(REP)] == ["demo20261120"]
    assert fake.calendar_calls() == snapshot(
        [
            Call(
                method="POST",
                path="/calendar/v3/calendars/primary/events",
                query={"sendUpdates": "all", "alt": "json"},
                body={
                    "id": "demo20261120",
                    "summary": "Demo: Acme",
                    "description": "Product demo for Acme",
                    "start": {"dateTime": "2026-11-20T15:00:00+01:00", "timeZone": "Europe/Berlin"},
                    "end": {"dateTime": "2026-11-20T15:45:00+01:00", "timeZone": "Europe/Berlin"},
                    "attendees": [
                        {"email": "anna@acme.example", "displayName": "Anna Schmidt"},
                        {"email": "bob@acme.example"},
                    ],
                    "location": "Zoom",
                },
                user="rep@acme.test",
                status=200,
            ),
            Call(
                method="POST",
                path="/calendar/v3/calendars/primary/events",
                query={"sendUpdates": "all", "alt": "json"},
                body={
                    "id": "demo20261120",
                    "summary": "Demo: Acme",
                    "description": "Product demo for Acme",
                    "start": {"dateTime": "2026-11-20T15:00:00+01:00", "timeZone": "Europe/Berlin"},
                    "end": {"dateTime": "2026-11-20T15:45:00+01:00", "timeZone": "Europe/Berlin"},
                    "attendees": [
                        {"email": "anna@acme.example", "displayName": "Anna Schmidt"},
                        {"email": "bob@acme.example"},
                    ],
                    "location": "Zoom",
                },
                user="rep@acme.test",
                status=409,
            ),
            Call(
                method="GET",
                path="/calendar/v3/calendars/primary/events/demo20261120",
                query={"alt": "json"},
                body=None,
                user="rep@acme.test",
                status=200,
            ),
        ]
    )


async def test_an_event_without_attendees_or_location_sends_neither(fake, calendar):
    plain = NewEvent("plain12345", "Call", "", T0, T0 + timedelta(minutes=30), "UTC")
    await calendar.create_event(access_of(fake), plain)
    assert fake.calendar_calls()[0].body == {
        "id": "plain12345",
        "summary": "Call",
        "description": "",
        "start": {"dateTime": "2026-11-20T09:00:00Z", "timeZone": "UTC"},
        "end": {"dateTime": "2026-11-20T09:30:00Z", "timeZone": "UTC"},
    }


async def test_recreating_a_deleted_event_finds_it_cancelled(fake, calendar):
    access = access_of(fake)
    await calendar.create_event(access, EVENT)
    await calendar.delete_event(access, EVENT.event_id)
    assert (await calendar.create_event(access, EVENT)).status == "cancelled"


async def test_delete_event_notifies_and_a_second_delete_is_not_found(fake, calendar):
    access = access_of(fake)
    await calendar.create_event(access, EVENT)
    await calendar.delete_event(access, EVENT.event_id)
    assert fake.live_events(REP) == []
    assert fake.calendar_calls()[-1].query == {"sendUpdates": "all"}
    with pytest.raises(RemoteNotFound, match="Resource has been deleted"):
        await calendar.delete_event(access, EVENT.event_id)
    with pytest.raises(RemoteNotFound):
        await calendar.delete_event(access, "neverexisted")


async def test_move_event_notifies_and_keeps_the_rest(fake, calendar):
    access = access_of(fake)
    await calendar.create_event(access, EVENT)
    later = EVENT.start + timedelta(days=1)
    await calendar.move_event(
        access,
        EVENT.event_id,
        start=later,
        end=later + timedelta(hours=1),
        timezone="Asia/Makassar",
    )
    assert fake.calendar_calls()[-1].query["sendUpdates"] == "all"
    (event,) = fake.live_events(REP)
    assert (event["summary"], event["start"], event["end"], event["sequence"]) == snapshot(
        (
            "Demo: Acme",
            {"dateTime": "2026-11-21T22:00:00+08:00", "timeZone": "Asia/Makassar"},
            {"dateTime": "2026-11-21T23:00:00+08:00", "timeZone": "Asia/Makassar"},
            1,
        )
    )


async def test_a_refused_request_is_rejected_with_googles_message_at_once(fake, calendar):
    bad_id = NewEvent("Not_Base32!", "x", "", T0, T0 + timedelta(hours=1), "UTC")
    with pytest.raises(Rejected) as caught:
        await calendar.create_event(access_of(fake), bad_id)
    assert caught.value.message == "Invalid resource id value."
    fake.fail("events.insert", 400, body={"error": {"code": 400, "message": "Invalid attendee email."}})  # fmt: skip
    with pytest.raises(Rejected, match="Invalid attendee email"):
        await calendar.create_event(access_of(fake), EVENT)
    assert [c.status for c in fake.calendar_calls()] == [400, 400]


async def test_429_waits_for_retry_after_then_succeeds(fake, calendar, clock):
    fake.fail("freeBusy", 429, headers={"Retry-After": "7"})
    await calendar.busy(access_of(fake), start=T0, end=T0 + timedelta(hours=1))
    assert clock.waits == [7.0]
    assert [c.status for c in fake.calendar_calls()] == [429, 200]


async def test_a_403_rate_limit_is_retried_and_other_403s_are_not(fake, calendar):
    fake.fail("calendars/primary", 403, reason="userRateLimitExceeded")
    assert await calendar.primary(access_of(fake)) == REP
    fake.fail("calendars/primary", 403, reason="forbiddenForNonOrganizer")
    with pytest.raises(Rejected):
        await calendar.primary(access_of(fake))
    fake.fail("calendars/primary", 403, reason="forbidden")
    with pytest.raises(AuthFailed):
        await calendar.primary(access_of(fake))
    assert [c.status for c in fake.calendar_calls()] == [403, 200, 403, 403]


async def test_rate_limited_every_time_gives_up_after_the_attempts(fake, calendar):
    fake.fail("freeBusy", 429, times=10)
    with pytest.raises(RateLimited):
        await calendar.busy(access_of(fake), start=T0, end=T0 + timedelta(hours=1))
    assert len(fake.calendar_calls()) == ATTEMPTS


async def test_503_twice_then_success(fake, calendar):
    fake.fail("events.insert", 503, times=2)
    event = await calendar.create_event(access_of(fake), EVENT)
    assert event.id == EVENT.event_id
    assert [(c.method, c.status) for c in fake.calendar_calls()] == snapshot(
        [("POST", 503), ("POST", 503), ("POST", 200)]
    )


async def test_5xx_every_time_is_unavailable_after_the_attempts(fake, calendar):
    fake.fail("events.delete", 500, times=10)
    with pytest.raises(Unavailable, match="Backend Error"):
        await calendar.delete_event(access_of(fake), EVENT.event_id)
    assert len(fake.calendar_calls()) == ATTEMPTS


async def test_no_answer_in_time_is_unavailable_after_bounded_attempts(fake, policy, clock):
    fake.gate.close()
    calendar = GoogleCalendar(api_endpoint=fake.api_endpoint, timeout=0.1, policy=policy)
    with pytest.raises(Unavailable, match="no answer in time"):
        await calendar.primary(access_of(fake))
    await fake.gate.reached(ATTEMPTS)
    assert (fake.gate.arrivals, len(clock.waits)) == (ATTEMPTS, ATTEMPTS - 1)


async def test_a_closed_port_is_unavailable(fake, policy):
    calendar = GoogleCalendar(api_endpoint="http://127.0.0.1:9/calendar/v3/", policy=policy)
    with pytest.raises(Unavailable, match="could not be reached"):
        await calendar.primary(access_of(fake))


async def test_a_token_google_does_not_know_and_cannot_refresh_is_auth_failed(fake, calendar):
    access = CalendarAccess(REP, Credentials(token="ya29.made-up"))
    with pytest.raises(AuthFailed):
        await calendar.primary(access)
    assert [c.status for c in fake.calendar_calls()] == [401]


async def test_calls_for_two_users_run_concurrently_each_as_its_user(fake, calendar):
    other = "other@acme.test"
    fake.gate.close()
    both = asyncio.gather(
        calendar.primary(access_of(fake)), calendar.primary(access_of(fake, other))
    )
    await fake.gate.reached(2)  # one after the other, the second would wait for the first
    fake.gate.open()
    assert list(await both) == [REP, other]
    assert sorted(c.user for c in fake.calendar_calls()) == [other, REP]


def put(fake, event_id, at, *attendees, email=REP, **fields):
    return fake.put_event(
        email,
        {
            "id": event_id,
            "summary": f"Call {event_id}",
            "description": "private notes of the rep",
            "start": {"dateTime": at.isoformat()},
            "end": {"dateTime": (at + timedelta(minutes=30)).isoformat()},
            "attendees": [{"email": REP, "self": True, "responseStatus": "accepted"}, *attendees],
        }
        | fields,
    )


async def test_changes_reads_every_page_then_only_what_changed(fake, policy):
    calendar = GoogleCalendar(api_endpoint=fake.api_endpoint, policy=policy, page_size=2)
    access = access_of(fake)
    anna = {"email": "Anna@Client.example", "displayName": "Anna", "responseStatus": "tentative"}
    put(fake, "call00001", T0, anna, extendedProperties={"private": {"salesbot": "booked"}})
    put(fake, "call00002", T0 + timedelta(hours=1))
    put(fake, "call00003", T0 + timedelta(hours=2))
    put(fake, "allday001", T0, start={"date": "2026-11-21"}, end={"date": "2026-11-22"})
    full = await calendar.changes(access, start=T0, end=T0 + timedelta(days=14))
    assert (full.pages, [e.id for e in full.events]) == (
        2,
        ["call00001", "call00002", "call00003", "allday001"],
    )
    assert full.events[0] == snapshot(
        SyncedEvent(
            id="call00001",
            status="confirmed",
            summary="Call call00001",
            start=datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
            end=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
            attendees=(
                EventAttendee(email="rep@acme.test", response_status="accepted", me=True),
                EventAttendee(
                    email="anna@client.example", name="Anna", response_status="tentative"
                ),
            ),
            marker="booked",
        )
    )
    assert (full.events[3].start, full.events[3].end) == (None, None)
    first = fake.calendar_calls()[0].query
    assert first == snapshot(
        {
            "singleEvents": "true",
            "maxResults": "2",
            "showDeleted": "true",
            "timeMin": "2026-11-20T09:00:00Z",
            "timeMax": "2026-12-04T09:00:00Z",
            "alt": "json",
        }
    )

    fake.change_event(REP, "call00002", start={"dateTime": "2026-11-22T10:00:00Z"})
    fake.change_event(REP, "call00003", status="cancelled")
    changed = await calendar.changes(access, sync_token=full.sync_token)
    assert [(e.id, e.status, e.start) for e in changed.events] == [
        ("call00003", "cancelled", None),
        ("call00002", "confirmed", datetime(2026, 11, 22, 10, 0, tzinfo=UTC)),
    ]
    nothing = await calendar.changes(access, sync_token=changed.sync_token)
    assert (nothing.events, nothing.pages) == ((), 1)


async def test_a_recurring_event_comes_as_its_instances(fake, calendar):
    put(fake, "daily0001", T0, recurrence=["RRULE:FREQ=DAILY;COUNT=3"])
    listed = await calendar.changes(access_of(fake), start=T0, end=T0 + timedelta(days=14))
    assert [(e.id, e.recurring_event_id, e.start) for e in listed.events] == [
        ("daily0001_20261120T090000Z", "daily0001", T0),
        ("daily0001_20261121T090000Z", "daily0001", T0 + timedelta(days=1)),
        ("daily0001_20261122T090000Z", "daily0001", T0 + timedelta(days=2)),
    ]


async def test_a_sync_token_google_forgot_is_sync_token_expired_at_once(fake, calendar):
    access = access_of(fake)
    full = await calendar.changes(access, start=T0, end=T0 + timedelta(days=1))
    fake.feed.expire_sync_tokens()
    with pytest.raises(SyncTokenExpired):
        await calendar.changes(access, sync_token=full.sync_token)
    assert [c.status for c in fake.calendar_calls()] == [200, 410]


class Receiver(LocalServer):
    """Our end of a push channel: every notification's X-Goog headers."""

    def __init__(self) -> None:
        super().__init__()
        self.got: list[dict[str, str]] = []

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.got.append({k: v for k, v in request.headers.items() if k.startswith("X-Goog")})
        return web.Response(status=200)


async def test_a_watched_calendar_posts_a_sync_then_each_change_until_stopped(fake, calendar):
    fake.channels.now = lambda: T0
    access = access_of(fake)
    async with Receiver() as us:
        channel = await calendar.watch(
            access, channel_id="chan-1", address=f"{us.url}/push", token="s3cret"
        )
        assert channel.id == "chan-1"
        assert channel.expires_at == T0 + timedelta(days=7)
        assert await fake.channels.deliver() == [200]
        await calendar.create_event(access, EVENT)
        fake.put_event("other@acme.test", {"id": "elsewhere", "start": {}, "end": {}})
        assert await fake.channels.deliver() == [200]
        await calendar.stop(access, channel_id="chan-1", resource_id=channel.resource_id)
        await calendar.stop(access, channel_id="chan-1", resource_id=channel.resource_id)
        await calendar.delete_event(access, EVENT.event_id)
        assert await fake.channels.deliver() == []
    resource = channel.resource_id
    assert [
        {k: v.replace(resource, "RES") for k, v in h.items() if k != "X-Goog-Channel-Expiration"}
        for h in us.got
    ] == snapshot(
        [
            {
                "X-Goog-Channel-ID": "chan-1",
                "X-Goog-Resource-ID": "RES",
                "X-Goog-Resource-State": "sync",
                "X-Goog-Resource-URI": "https://www.googleapis.com/calendar/v3/calendars/rep@acme.test/events",
                "X-Goog-Message-Number": "1",
                "X-Goog-Channel-Token": "s3cret",
            },
            {
                "X-Goog-Channel-ID": "chan-1",
                "X-Goog-Resource-ID": "RES",
                "X-Goog-Resource-State": "exists",
                "X-Goog-Resource-URI": "https://www.googleapis.com/calendar/v3/calendars/rep@acme.test/events",
                "X-Goog-Message-Number": "2",
                "X-Goog-Channel-Token": "s3cret",
            },
        ]
    )
    calls = [f"{c.method} {c.path} {c.status}" for c in fake.calendar_calls()]
    assert calls[-3:] == snapshot(
        [
            "POST /calendar/v3/channels/stop 204",
            "POST /calendar/v3/channels/stop 404",
            "DELETE /calendar/v3/calendars/primary/events/demo20261120 204",
        ]
    )


async def test_a_channel_lives_until_its_expiration_and_ids_are_unique(fake, calendar):
    now = [T0]
    fake.channels.now = lambda: now[0]
    access = access_of(fake)
    await calendar.watch(access, channel_id="chan-1", address="https://x.test/p", token="t")
    with pytest.raises(Rejected, match="not unique"):
        await calendar.watch(access, channel_id="chan-1", address="https://x.test/p", token="t")
    now[0] = T0 + timedelta(days=7)
    assert fake.channels.live() == []
