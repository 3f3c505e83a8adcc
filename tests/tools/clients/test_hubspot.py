"""The real HubSpot client over HTTP against the fake HubSpot."""

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from inline_snapshot import snapshot

from tests.fakes.clock import FakeClock
from tools.clients.errors import AuthFailed, RateLimited, Rejected, RemoteNotFound, Unavailable
from tools.clients.hubspot import HubSpotClient
from tools.clients.hubspot_models import Contact, Deal, Engagement
from tools.clients.retry import RetryPolicy

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
TOKEN = "pat-test-token"


def fast(clock: FakeClock | None = None, attempts: int = 3) -> RetryPolicy:
    """Retries that record their waits on `clock` (a throwaway one unless given)."""
    sleep = (clock or FakeClock()).sleep
    return RetryPolicy(attempts=attempts, initial_wait=0.001, max_wait=0.01, sleep=sleep)


class InFlight(httpx.AsyncBaseTransport):
    """The real transport, counting the requests sent and not yet answered: `landed()` waits
    until there are none, for a virtual clock to jump only once they reached the fake."""

    def __init__(self) -> None:
        self._transport = httpx.AsyncHTTPTransport()
        self._count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._count += 1
        self._idle.clear()
        try:
            return await self._transport.handle_async_request(request)
        finally:
            self._count -= 1
            if not self._count:
                self._idle.set()

    async def landed(self) -> None:
        await self._idle.wait()

    async def aclose(self) -> None:
        await self._transport.aclose()


@pytest.fixture
def hubspot(hubspot_fake, http):
    return make(hubspot_fake, http)


def make(hubspot_fake, http, **changes):
    """The client; its limiters wait on a throwaway virtual clock unless given one."""
    idle = FakeClock()
    settings = {"token": TOKEN, "api_url": hubspot_fake.url, "http": http, "clock": lambda: NOW}
    defaults = {"policy": fast(), "monotonic": idle, "sleep": idle.sleep}
    return HubSpotClient(**(settings | defaults | changes))


def on(clock):
    """The client's limiters on `clock`."""
    return {"monotonic": clock, "sleep": clock.sleep}


async def test_a_contact_with_a_known_email_is_found_by_search(hubspot_fake, hubspot):
    contact_id = hubspot_fake.add_contact("ketut@example.com", "Ketut")
    contact = await hubspot.find_or_create_contact(email="Ketut@Example.com", name="Ketut W")
    assert contact == Contact(contact_id, "Ketut@Example.com", created=False)
    assert [(c.method, c.path, c.body) for c in hubspot_fake.calls] == snapshot(
        [
            (
                "POST",
                "/crm/v3/objects/contacts/search",
                {
                    "filterGroups": [
                        {
                            "filters": [
                                {
                                    "propertyName": "email",
                                    "operator": "EQ",
                                    "value": "Ketut@Example.com",
                                }
                            ]
                        }
                    ],
                    "properties": ["email", "firstname", "lastname"],
                    "sorts": [],
                    "limit": 1,
                    "after": "0",
                },
            )
        ]
    )


async def test_a_new_contact_is_created_with_the_name_split(hubspot_fake, hubspot):
    contact = await hubspot.find_or_create_contact(
        email="made@example.com", name="  Made  Putu Sari "
    )
    assert contact == Contact(contact.id, "made@example.com", created=True)
    assert hubspot_fake.objects["contacts"][contact.id]["properties"]["lastname"] == "Putu Sari"
    assert hubspot_fake.log() == snapshot(
        ["POST /crm/v3/objects/contacts/search 200", "POST /crm/v3/objects/contacts 201"]
    )
    assert hubspot_fake.calls[1].body == snapshot(
        {
            "properties": {
                "firstname": "Made",
                "lastname": "Putu Sari",
                "email": "made@example.com",
            },
            "associations": [],
        }
    )


async def test_a_contact_without_email_is_created_without_a_search(hubspot_fake, hubspot):
    contact = await hubspot.find_or_create_contact(email=None, name="Wayan")
    assert (contact.created, contact.email) == (True, None)
    assert hubspot_fake.log() == ["POST /crm/v3/objects/contacts 201"]
    assert hubspot_fake.calls[0].body == {"properties": {"firstname": "Wayan"}, "associations": []}


async def test_a_contact_created_meanwhile_is_read_by_email_after_the_409(hubspot_fake, hubspot):
    existing = hubspot_fake.add_contact("race@example.com", searchable=False)
    contact = await hubspot.find_or_create_contact(email="race@example.com", name="Race Winner")
    assert contact == Contact(existing, "race@example.com", created=False)
    assert hubspot_fake.log() == snapshot(
        [
            "POST /crm/v3/objects/contacts/search 200",
            "POST /crm/v3/objects/contacts 409",
            "GET /crm/v3/objects/contacts/race@example.com 200",
        ]
    )
    assert hubspot_fake.calls[-1].query == {"idProperty": "email"}


async def test_a_note_is_associated_to_the_contact(hubspot_fake, hubspot):
    contact_id = hubspot_fake.add_contact("ketut@example.com")
    at = datetime(2026, 11, 20, 18, 30, 5, 123456, tzinfo=UTC)
    note_id = await hubspot.add_note(
        contact_id=contact_id, body="Wants 3 bedrooms\n<budget> 400k & pool", at=at, owner_id="77"
    )
    assert hubspot_fake.calls[-1].body == snapshot(
        {
            "properties": {
                "hs_timestamp": "2026-11-20T18:30:05.123Z",
                "hs_note_body": "Wants 3 bedrooms<br>&lt;budget&gt; 400k &amp; pool",
                "hubspot_owner_id": "77",
            },
            "associations": [
                {
                    "to": {"id": contact_id},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 202}],
                }
            ],
        }
    )
    assert hubspot_fake.links[("contacts", contact_id, "notes")] == {note_id: 201}


async def test_a_meeting_is_logged_on_the_contact(hubspot_fake, hubspot):
    contact_id = hubspot_fake.add_contact("ketut@example.com")
    start = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
    meeting_id = await hubspot.log_meeting(
        contact_id=contact_id,
        title="Villa viewing",
        body="Zoom call",
        start=start,
        end=start + timedelta(minutes=45),
        join_url="https://us06web.zoom.us/j/85746065001",
    )
    assert hubspot_fake.calls[-1].body == snapshot(
        {
            "properties": {
                "hs_timestamp": "2026-11-25T03:00:00.000Z",
                "hs_meeting_title": "Villa viewing",
                "hs_meeting_body": "Zoom call",
                "hs_meeting_start_time": "2026-11-25T03:00:00.000Z",
                "hs_meeting_end_time": "2026-11-25T03:45:00.000Z",
                "hs_meeting_outcome": "SCHEDULED",
                "hs_meeting_external_url": "https://us06web.zoom.us/j/85746065001",
            },
            "associations": [
                {
                    "to": {"id": contact_id},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 200}],
                }
            ],
        }
    )
    assert hubspot_fake.links[("contacts", contact_id, "meetings")] == {meeting_id: 199}


async def test_a_meeting_is_cancelled_and_moved_by_its_outcome_and_times(hubspot_fake, hubspot):
    contact_id = hubspot_fake.add_contact("ketut@example.com")
    start = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
    end = start + timedelta(minutes=30)
    meeting_id = await hubspot.log_meeting(
        contact_id=contact_id, title="Call", body="", start=start, end=end, join_url=None
    )
    later = start + timedelta(days=1)
    await hubspot.update_meeting(
        meeting_id, outcome="RESCHEDULED", start=later, end=later + timedelta(minutes=30)
    )
    assert hubspot_fake.calls[-1].body == snapshot(
        {
            "properties": {
                "hs_meeting_outcome": "RESCHEDULED",
                "hs_timestamp": "2026-11-26T03:00:00.000Z",
                "hs_meeting_start_time": "2026-11-26T03:00:00.000Z",
                "hs_meeting_end_time": "2026-11-26T03:30:00.000Z",
            }
        }
    )
    await hubspot.update_meeting(meeting_id, outcome="CANCELED")
    props = hubspot_fake.objects["meetings"][meeting_id]["properties"]
    assert (props["hs_meeting_outcome"], props["hs_meeting_start_time"]) == snapshot(
        ("CANCELED", "2026-11-26T03:00:00.000Z")
    )
    assert not hubspot_fake.violations


async def test_an_unknown_meeting_cannot_be_updated(hubspot_fake, hubspot):
    with pytest.raises(RemoteNotFound):
        await hubspot.update_meeting("999", outcome="CANCELED")


async def test_deals_are_parsed_newest_update_first(hubspot_fake, hubspot):
    contact_id = hubspot_fake.add_contact("ketut@example.com")
    other = hubspot_fake.add_contact("other@example.com")
    created, updated = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC)
    villa = hubspot_fake.add_deal(
        contact_id,
        "Villa Canggu",
        "contractsent",
        "350000.50",
        NOW,
        created=created,
        updated=updated,
    )
    land = hubspot_fake.add_deal(contact_id, "Land Ubud", created=created)
    hubspot_fake.add_deal(other, "Someone else's")
    deals = await hubspot.deals_of_contact(contact_id)
    assert deals == [
        Deal(villa, "Villa Canggu", "contractsent", Decimal("350000.50"), NOW, created, updated),
        Deal(land, "Land Ubud", "appointmentscheduled", None, None, created, created),
    ]
    assert hubspot_fake.log() == snapshot(
        [
            f"GET /crm/v4/objects/contacts/{contact_id}/associations/deals 200",
            "POST /crm/v3/objects/deals/batch/read 200",
        ]
    )


async def test_many_deals_are_read_over_pages_and_batches_of_100(hubspot_fake, hubspot):
    hubspot_fake.max_page = 80
    contact_id = hubspot_fake.add_contact("ketut@example.com")
    ids = {hubspot_fake.add_deal(contact_id, f"Plot {n}", amount=n) for n in range(130)}
    deals = await hubspot.deals_of_contact(contact_id)
    assert {d.id for d in deals} == ids
    assert [
        (c.path.rsplit("/", 1)[-1], c.query.get("after"), len((c.body or {}).get("inputs", [])))
        for c in hubspot_fake.calls
    ] == [
        ("deals", None, 0),
        ("deals", "80", 0),
        ("read", None, 100),
        ("read", None, 30),
    ]


async def test_engagements_are_notes_and_meetings_newest_first(hubspot_fake, hubspot):
    contact_id = hubspot_fake.add_contact("ketut@example.com")
    day = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
    old = await hubspot.add_note(contact_id=contact_id, body="First <call>", at=day)
    meeting = await hubspot.log_meeting(
        contact_id=contact_id,
        title="Viewing",
        body="At the villa\nwith family",
        start=day + timedelta(days=1),
        end=day + timedelta(days=1, hours=1),
        join_url=None,
    )
    new = await hubspot.add_note(
        contact_id=contact_id, body="Sent the price list", at=day + timedelta(days=2)
    )
    everything = await hubspot.engagements_of_contact(contact_id)
    assert everything == [
        Engagement(new, "note", day + timedelta(days=2), "Sent the price list"),
        Engagement(
            meeting, "meeting", day + timedelta(days=1), "Viewing: At the villa with family"
        ),
        Engagement(old, "note", day, "First <call>"),
    ]
    assert await hubspot.engagements_of_contact(contact_id, limit=1) == everything[:1]


async def test_the_limiter_keeps_150_calls_in_a_row_within_100_per_10_seconds(hubspot_fake, http):
    clock = FakeClock(0.0)
    hubspot_fake.clock = clock
    hubspot_fake.add_contact("ketut@example.com")
    hubspot = make(hubspot_fake, http, search_limit=1000, **on(clock), policy=fast(attempts=1))
    for _ in range(150):
        await hubspot.find_or_create_contact(email="ketut@example.com", name="K")
    assert (hubspot_fake.rate_limited, len(hubspot_fake.calls), clock.now) == (0, 150, 10.0)


async def test_the_limiter_keeps_150_calls_at_once_within_100_per_10_seconds(hubspot_fake):
    in_flight = InFlight()
    clock = FakeClock(0.0, settle=in_flight.landed)
    hubspot_fake.clock = clock
    hubspot_fake.add_contact("ketut@example.com")
    async with httpx.AsyncClient(transport=in_flight, timeout=30.0) as http:
        hubspot = make(hubspot_fake, http, search_limit=1000, **on(clock), policy=fast(attempts=1))
        found = await asyncio.gather(
            *(
                hubspot.find_or_create_contact(email="ketut@example.com", name="K")
                for _ in range(150)
            )
        )
    assert {c.created for c in found} == {False}
    assert (hubspot_fake.rate_limited, len(hubspot_fake.calls), clock.waits) == (0, 150, [10.0])


async def test_without_the_limiter_the_fake_does_refuse(hubspot_fake, http):
    clock = FakeClock(0.0)
    hubspot_fake.clock = clock
    hubspot_fake.add_contact("ketut@example.com")
    hubspot = make(
        hubspot_fake, http, limit=1000, search_limit=1000, **on(clock), policy=fast(attempts=1)
    )
    calls = (
        hubspot.find_or_create_contact(email="ketut@example.com", name="K") for _ in range(150)
    )
    results = await asyncio.gather(*calls, return_exceptions=True)
    refused = [r for r in results if isinstance(r, RateLimited)]
    assert (len(refused), hubspot_fake.rate_limited) == (50, 50)
    assert {r.retry_after for r in refused} == {1.0}


async def test_searches_in_a_row_are_spaced_by_the_search_limiter_and_nothing_else_is(
    hubspot_fake, http
):
    clock = FakeClock(0.0)
    hubspot_fake.clock, hubspot_fake.search_limit = clock, 5
    hubspot_fake.add_contact("ketut@example.com")
    hubspot = make(hubspot_fake, http, **on(clock), policy=fast(attempts=1))
    for _ in range(12):
        await hubspot.find_or_create_contact(email="ketut@example.com", name="K")
    await hubspot.owners()
    await hubspot.set_contact_owner("1001", "77")
    searched = [c.path.endswith("/search") for c in hubspot_fake.calls]
    assert (hubspot_fake.rate_limited, searched.count(True), len(searched)) == (0, 12, 14)
    assert (clock.waits, clock.now) == ([1.0, 1.0], 2.0)


async def test_a_429_with_retry_after_is_waited_out(hubspot_fake, http):
    clock = FakeClock()
    hubspot = make(hubspot_fake, http, policy=fast(clock))
    hubspot_fake.fail("/search", 429, headers={"Retry-After": "7"})
    await hubspot.find_or_create_contact(email="new@example.com", name="New")
    assert clock.waits == [7.0]
    assert [c.status for c in hubspot_fake.calls] == [429, 200, 201]


async def test_503_twice_then_success(hubspot_fake, hubspot):
    hubspot_fake.fail("/batch/read", 503, times=2)
    contact_id = hubspot_fake.add_contact("ketut@example.com")
    hubspot_fake.add_deal(contact_id, "Villa")
    assert len(await hubspot.deals_of_contact(contact_id)) == 1
    assert [c.status for c in hubspot_fake.calls] == [200, 503, 503, 200]


async def test_a_timeout_is_unavailable_after_bounded_attempts(hubspot_fake):
    clock = FakeClock()
    hubspot_fake.gate.close()
    async with httpx.AsyncClient(timeout=0.1) as http:
        hubspot = make(hubspot_fake, http, policy=fast(clock, attempts=2))
        with pytest.raises(Unavailable, match="no answer in time"):
            await hubspot.deals_of_contact("1001")
    await hubspot_fake.gate.reached(2)
    assert (hubspot_fake.gate.arrivals, len(clock.waits)) == (2, 1)


async def test_a_400_is_rejected_with_hubspots_message_and_not_retried(hubspot_fake, hubspot):
    contact_id = hubspot_fake.add_contact("ketut@example.com")
    with pytest.raises(Rejected, match="One or more associations are invalid: no contacts 999"):
        await hubspot.add_note(contact_id="999", body="x", at=NOW)
    assert hubspot_fake.log() == ["POST /crm/v3/objects/notes 400"]
    assert contact_id in hubspot_fake.objects["contacts"]


async def test_a_bad_token_is_auth_failed(hubspot_fake, http):
    hubspot = make(hubspot_fake, http, token="pat-revoked")
    with pytest.raises(AuthFailed, match="Authentication credentials not found"):
        await hubspot.find_or_create_contact(email="ketut@example.com", name="K")
    assert hubspot_fake.log() == ["POST /crm/v3/objects/contacts/search 401"]
