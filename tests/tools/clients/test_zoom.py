"""The real Zoom client over HTTP against the fake Zoom."""

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from inline_snapshot import snapshot

from tests.fakes.clock import FakeClock
from tests.fakes.zoom import FakeZoom
from tools.clients.errors import AuthFailed, RateLimited, Rejected, RemoteNotFound, Unavailable
from tools.clients.retry import RetryPolicy
from tools.clients.zoom import ZoomClient
from tools.clients.zoom_models import NewZoomMeeting

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
ANNA = "anna@truerealestate.bali"
SHARED = "shared@truerealestate.bali"
VIEWING = NewZoomMeeting(
    topic="Villa viewing: Canggu",
    start=datetime(2026, 11, 25, 11, 0, tzinfo=ZoneInfo("Asia/Makassar")),
    duration_minutes=45,
    timezone="Asia/Makassar",
    host_email=ANNA,
    host_name="Anna Rep",
    agenda="Walk through the villa and the payment plan.",
)


def fast(waits: FakeClock | None = None, attempts: int = 3) -> RetryPolicy:
    """Retries that record their waits on `waits` (a throwaway clock unless given)."""
    sleep = (waits or FakeClock()).sleep
    return RetryPolicy(attempts=attempts, initial_wait=0.001, max_wait=0.01, sleep=sleep)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def fake():
    async with FakeZoom() as server:
        yield server
    assert server.violations == []


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def zoom(fake, http, clock):
    return make(fake, http, clock)


def make(fake, http, clock, **changes):
    settings = {
        "account_id": fake.account_id,
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
        "shared_user": SHARED,
        "api_url": fake.api_url,
        "oauth_url": fake.oauth_url,
        "http": http,
        "clock": clock,
        "policy": fast(),
    }
    return ZoomClient(**(settings | changes))


async def test_a_meeting_is_made_for_the_reps_own_user_with_one_token(fake, zoom):
    first = await zoom.create_meeting(VIEWING)
    second = await zoom.create_meeting(VIEWING)

    assert isinstance(first.id, int)
    assert first.id > 2**32
    assert second.id != first.id
    assert (first.host, first.topic, first.password) == (
        ANNA,
        "Villa viewing: Canggu",
        fake.meetings[first.id]["password"],
    )
    assert first.join_url == fake.meetings[first.id]["join_url"]
    assert first.start_url == fake.meetings[first.id]["start_url"]
    assert fake.log() == snapshot(
        [
            "POST /oauth/token 200",
            "POST /v2/users/anna@truerealestate.bali/meetings 201",
            "POST /v2/users/anna@truerealestate.bali/meetings 201",
        ]
    )
    assert fake.calls[0].body == snapshot(
        {"grant_type": "account_credentials", "account_id": "acc-test"}
    )
    assert fake.calls[1].body == snapshot(
        {
            "topic": "Villa viewing: Canggu",
            "type": 2,
            "start_time": "2026-11-25T03:00:00Z",
            "duration": 45,
            "timezone": "Asia/Makassar",
            "settings": {"join_before_host": False, "waiting_room": True},
            "agenda": "Walk through the villa and the payment plan.",
        }
    )


async def test_concurrent_calls_share_one_token_request(fake, zoom):
    await asyncio.gather(*(zoom.create_meeting(VIEWING) for _ in range(5)))
    assert [c.path for c in fake.calls].count("/oauth/token") == 1


async def test_a_rep_outside_the_account_gets_the_shared_user_with_their_name(fake, zoom):
    meeting = await zoom.create_meeting(
        NewZoomMeeting(
            topic="Villa viewing",
            start=VIEWING.start,
            duration_minutes=30,
            timezone="UTC",
            host_email="bob@truerealestate.bali",
            host_name="Bob Builder",
        )
    )
    assert (meeting.host, meeting.topic) == (SHARED, "Villa viewing (Bob Builder)")
    assert fake.meetings[meeting.id]["host_email"] == SHARED
    assert fake.log() == snapshot(
        [
            "POST /oauth/token 200",
            "POST /v2/users/bob@truerealestate.bali/meetings 404",
            "POST /v2/users/shared@truerealestate.bali/meetings 201",
        ]
    )


async def test_long_topics_and_agendas_are_cut_to_zooms_limits_keeping_the_name(fake, zoom):
    long = NewZoomMeeting(
        topic="T" * 300,
        start=NOW,
        duration_minutes=30,
        timezone="UTC",
        host_email="bob@truerealestate.bali",
        host_name="Bob Builder",
        agenda="A" * 2500,
    )
    meeting = await zoom.create_meeting(long)
    assert (len(meeting.topic), meeting.topic[-14:]) == (200, " (Bob Builder)")
    assert len(fake.meetings[meeting.id]["agenda"]) == 2000


async def test_no_user_at_all_is_not_found(fake, http, clock, zoom):
    bob = NewZoomMeeting("Call", NOW, 30, "UTC", "bob@truerealestate.bali", "Bob")
    fake.users = {ANNA}
    with pytest.raises(
        RemoteNotFound, match=r"neither bob@truerealestate\.bali nor the shared user"
    ):
        await zoom.create_meeting(bob)
    no_shared = make(fake, http, clock, shared_user="")
    with pytest.raises(RemoteNotFound, match="no shared user is set"):
        await no_shared.create_meeting(bob)
    assert [c.path for c in fake.calls if c.status == 404] == snapshot(
        [
            "/v2/users/bob@truerealestate.bali/meetings",
            "/v2/users/shared@truerealestate.bali/meetings",
            "/v2/users/bob@truerealestate.bali/meetings",
        ]
    )


async def test_a_refused_token_is_renewed_once(fake, zoom):
    await zoom.create_meeting(VIEWING)
    fake.expire_tokens()
    await zoom.create_meeting(VIEWING)
    assert fake.log() == snapshot(
        [
            "POST /oauth/token 200",
            "POST /v2/users/anna@truerealestate.bali/meetings 201",
            "POST /v2/users/anna@truerealestate.bali/meetings 401",
            "POST /oauth/token 200",
            "POST /v2/users/anna@truerealestate.bali/meetings 201",
        ]
    )


async def test_a_token_refused_twice_is_auth_failed(fake, zoom):
    fake.fail("/meetings", 401, times=2, body={"code": 124, "message": "Invalid access token."})
    with pytest.raises(AuthFailed, match="Invalid access token"):
        await zoom.create_meeting(VIEWING)
    assert [c.path for c in fake.calls].count("/oauth/token") == 2


async def test_the_token_is_renewed_a_minute_before_its_hour_by_the_clock(fake, zoom, clock):
    await zoom.create_meeting(VIEWING)
    clock.now = NOW + timedelta(seconds=3539)
    await zoom.create_meeting(VIEWING)
    clock.now = NOW + timedelta(seconds=3540)
    await zoom.create_meeting(VIEWING)
    tokens = [c.status for c in fake.calls if c.path == "/oauth/token"]
    assert (tokens, 401 in [c.status for c in fake.calls]) == ([200, 200], False)
    assert [str(c) for c in fake.calls][-2] == "POST /oauth/token 200"


async def test_delete_removes_the_meeting_and_a_missing_one_is_not_found(fake, zoom):
    meeting = await zoom.create_meeting(VIEWING)
    await zoom.delete_meeting(meeting.id)
    assert fake.meetings == {}
    with pytest.raises(RemoteNotFound, match="Meeting does not exist"):
        await zoom.delete_meeting(meeting.id)
    assert fake.log()[-2:] == [
        f"DELETE /v2/meetings/{meeting.id} 204",
        f"DELETE /v2/meetings/{meeting.id} 404",
    ]


async def test_a_deleted_meeting_is_recovered_and_one_long_gone_is_not_found(fake, zoom):
    meeting = await zoom.create_meeting(VIEWING)
    await zoom.delete_meeting(meeting.id)
    await zoom.recover_meeting(meeting.id)
    assert list(fake.meetings) == [meeting.id]
    await zoom.delete_meeting(meeting.id)
    fake.trash.clear()  # past Zoom's week of grace
    with pytest.raises(RemoteNotFound, match="Meeting does not exist"):
        await zoom.recover_meeting(meeting.id)
    assert fake.log()[-4:] == [
        f"DELETE /v2/meetings/{meeting.id} 204",
        f"PUT /v2/meetings/{meeting.id}/status 204",
        f"DELETE /v2/meetings/{meeting.id} 204",
        f"PUT /v2/meetings/{meeting.id}/status 404",
    ]
    assert fake.violations == []


async def test_move_changes_the_start_and_duration(fake, zoom):
    meeting = await zoom.create_meeting(VIEWING)
    later = VIEWING.start + timedelta(days=1)
    await zoom.move_meeting(meeting.id, start=later, duration_minutes=45, timezone="Asia/Makassar")
    stored = fake.meetings[meeting.id]
    assert (stored["start_time"], stored["duration"], stored["timezone"]) == snapshot(
        ("2026-11-26T03:00:00Z", 45, "Asia/Makassar")
    )
    assert fake.log()[-1] == f"PATCH /v2/meetings/{meeting.id} 204"
    assert fake.violations == []


async def test_a_429_waits_as_long_as_retry_after_says(fake, http, clock):
    waits = FakeClock()
    zoom = make(fake, http, clock, policy=fast(waits))
    fake.fail("/meetings", 429, headers={"Retry-After": "7"})
    await zoom.create_meeting(VIEWING)
    assert waits.waits == [7.0]
    assert [c.status for c in fake.calls] == [200, 429, 201]


async def test_a_429_that_persists_is_rate_limited_with_its_wait(fake, http, clock):
    fake.fail("/meetings", 429, headers={"Retry-After": "7"})
    zoom = make(fake, http, clock, policy=fast(attempts=1))
    with pytest.raises(RateLimited) as raised:
        await zoom.create_meeting(VIEWING)
    assert raised.value.retry_after == 7.0


async def test_503_twice_then_success(fake, zoom):
    fake.fail("/meetings", 503, times=2)
    meeting = await zoom.create_meeting(VIEWING)
    assert meeting.id in fake.meetings
    assert [c.status for c in fake.calls] == [200, 503, 503, 201]


async def test_5xx_every_time_is_unavailable_after_the_policy_attempts(fake, zoom):
    fake.fail("/meetings", 502, times=10)
    with pytest.raises(Unavailable, match="HTTP 502"):
        await zoom.create_meeting(VIEWING)
    assert [c.status for c in fake.calls] == [200, 502, 502, 502]


async def test_a_timeout_is_unavailable_after_bounded_attempts(fake, clock):
    waits = FakeClock()
    fake.gate.close()
    async with httpx.AsyncClient(timeout=0.1) as http:
        zoom = make(fake, http, clock, policy=fast(waits, attempts=2))
        with pytest.raises(Unavailable, match="no answer in time"):
            await zoom.create_meeting(VIEWING)
    await fake.gate.reached(2)
    assert (fake.gate.arrivals, len(waits.waits)) == (2, 1)


async def test_a_400_is_rejected_with_zooms_message_and_not_retried(fake, zoom):
    fake.fail("/meetings", 400, body={"code": 300, "message": "Invalid meeting start time."})
    with pytest.raises(Rejected, match=r"Invalid meeting start time\. \(HTTP 400\)"):
        await zoom.create_meeting(VIEWING)
    assert [c.status for c in fake.calls] == [200, 400]


async def test_wrong_app_credentials_are_auth_failed_and_not_retried(fake, http, clock):
    zoom = make(fake, http, clock, client_secret="wrong")
    with pytest.raises(AuthFailed, match="Invalid client_id or client_secret"):
        await zoom.create_meeting(VIEWING)
    assert fake.log() == ["POST /oauth/token 401"]


async def test_a_start_without_timezone_is_a_programming_error(zoom):
    naive = NewZoomMeeting("Call", datetime(2026, 11, 25, 11, 0), 30, "UTC", ANNA, "Anna")
    with pytest.raises(ValueError, match="timezone"):
        await zoom.create_meeting(naive)
