"""Push from Google Calendar over the real database, the real client and the fake Google, which
posts its notifications over HTTP to the bot's own notification path: the scheduler has each
connected calendar watched, a notification with the channel's token queues a sync that the turn
workers run, a forged one is refused and audited and syncs nothing, channels are renewed before
they end, and stopped when the rep leaves, is suspended or their access is revoked."""

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from inline_snapshot import snapshot

from agent.calendar_notifications import notification_routes
from agent.calendar_settings import PUSH_PATH
from agent.runtime import inbox_kinds, plan_from
from agent.scheduler import tick
from agent.settings import default_settings
from agent.workers import TurnWorkers
from tests.agent import test_integrations
from tests.agent.scripted import ADMIN
from tests.agent.test_integrations import IVAN, Wired, rep_with_alex
from tests.conftest import NOW
from tools import calendar_access, calendar_push, leaving
from tools.actor import resolve_actor

wired = test_integrations.wired
EMAIL = "ivan@truerealestate.bali"
PLAN = plan_from(
    default_settings(
        outreach_enabled=False, google_service_account_file="x", public_url="https://bot.test"
    )
)


@pytest.fixture
async def pushed(wired: Wired):
    """The bot's web server with its notification path; Google posts there."""
    talk = wired.talk
    wired.google.channels.now = lambda: talk.clock.now
    app = web.Application()
    handler: list[Callable[[web.Request], Awaitable[web.StreamResponse]]] = []

    async def receive(request: web.Request) -> web.StreamResponse:
        response: web.StreamResponse = await handler[0](request)
        return response

    app.router.add_post(PUSH_PATH, receive)  # the address is known once the server is up
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        rules = talk.runtime.rules
        sync_rules = dataclasses.replace(
            rules.calendar_sync, push_address=str(server.make_url(PUSH_PATH))
        )
        rt = dataclasses.replace(
            talk.runtime, rules=dataclasses.replace(rules, calendar_sync=sync_rules)
        )
        talk.runtime = rt
        (route,) = notification_routes(rt)
        assert isinstance(route, web.RouteDef) and route.path == PUSH_PATH
        handler.append(route.handler)
        await rep_with_alex(talk, IVAN, "Иван Иванов", EMAIL, "ru")
        await rt.pool.execute("UPDATE reps SET calendar_connected_at = $1", NOW)
        yield wired
    finally:
        await server.close()


async def run_due(wired: Wired) -> dict[str, int]:
    """One scheduler tick, then the turn workers run whatever is queued."""
    talk = wired.talk
    queued = await tick(talk.runtime.pool, PLAN, talk.clock.now)
    assert queued is not None
    await run_queued(wired)
    return {k: v for k, v in queued.items() if k.startswith("calendar_")}


async def run_queued(wired: Wired) -> int:
    """Runs what is queued (one at a time per chat) until nothing is; how many ran."""
    talk = wired.talk
    workers = TurnWorkers(talk.runtime, kinds=inbox_kinds(), wall=talk.clock)
    now, ran = talk.clock.now, 0
    while claims := await workers.claim(10, now, now + timedelta(minutes=1)):
        for claim in claims:
            await workers.handle(claim)
        ran += len(claims)
    return ran


async def stored(wired: Wired) -> list[tuple[Any, ...]]:
    rows = await wired.talk.runtime.pool.fetch(
        "SELECT id, token_sha256, expires_at FROM calendar_channels ORDER BY expires_at"
    )
    return [tuple(r) for r in rows]


def put_meeting(wired: Wired, event_id: str) -> None:
    at = NOW + timedelta(days=1)
    wired.google.put_event(
        EMAIL,
        {
            "id": event_id,
            "summary": "Вилла в Чангу",
            "start": {"dateTime": at.isoformat()},
            "end": {"dateTime": (at + timedelta(minutes=30)).isoformat()},
            "attendees": [
                {"email": EMAIL, "self": True, "responseStatus": "accepted"},
                {"email": "alex.petrov@gmail.com"},
            ],
        },
    )


async def meetings(wired: Wired) -> list[tuple[Any, ...]]:
    rows = await wired.talk.runtime.pool.fetch(
        "SELECT calendar_event_id, status, source FROM meetings ORDER BY calendar_event_id"
    )
    return [tuple(r) for r in rows]


async def test_a_notification_with_the_channels_token_syncs_and_a_forged_one_does_not(pushed):
    wired = pushed
    google, pool = wired.google, wired.talk.runtime.pool
    assert await run_due(wired) == snapshot({"calendar_sync": 1, "calendar_watch": 1})
    (channel,) = google.channels.live(EMAIL)
    assert [(c[0], c[2]) for c in await stored(wired)] == [(channel.id, NOW + timedelta(days=7))]
    assert channel.token is not None and channel.token not in str(await stored(wired))
    assert await google.channels.deliver() == [200]  # Google's first message: nothing to sync
    assert await pool.fetchval("SELECT count(*) FROM inbox WHERE status = 'pending'") == 0

    put_meeting(wired, "alexcall1")
    assert await google.channels.deliver(forged_token="guessed") == [403]
    assert await run_queued(wired) == 0
    assert await meetings(wired) == []
    refused = await pool.fetch(
        "SELECT tool, allowed, outcome, actor_role, detail FROM audit_log"
        " WHERE tool = 'calendar_notification'"
    )
    assert [tuple(r) for r in refused] == snapshot(
        [("calendar_notification", False, "refused", "google", "wrong token")]
    )

    put_meeting(wired, "alexcall2")
    assert await google.channels.deliver() == [200]
    assert await run_queued(wired) == 1
    assert await meetings(wired) == snapshot(
        [("alexcall1", "scheduled", "calendar"), ("alexcall2", "scheduled", "calendar")]
    )
    # Watched, the calendar is polled hourly as a safety net, not every ten minutes.
    due = await pool.fetchval("SELECT next_attempt_at FROM calendar_syncs")
    assert due == wired.talk.clock.now + timedelta(hours=1)


async def test_a_notification_for_an_unknown_channel_is_refused(pushed):
    wired = pushed
    await run_due(wired)
    (channel,) = wired.google.channels.live(EMAIL)
    channel.id = "not-ours"
    assert await wired.google.channels.deliver() == [403]
    assert await run_queued(wired) == 0


async def test_a_channel_is_renewed_a_day_before_it_ends_and_the_old_one_stopped(pushed):
    wired = pushed
    talk, google = wired.talk, wired.google
    await run_due(wired)
    (first,) = google.channels.live(EMAIL)
    talk.clock.now = NOW + timedelta(days=5, hours=23)
    assert (await run_due(wired)).get("calendar_watch") == 0
    talk.clock.now = NOW + timedelta(days=6, minutes=1)
    assert (await run_due(wired)).get("calendar_watch") == 1
    (second,) = google.channels.live(EMAIL)
    assert second.id != first.id and first.id not in google.channels.open
    assert [c[0] for c in await stored(wired)] == [second.id]
    assert second.expiration == talk.clock.now + timedelta(days=7)
    assert (await run_due(wired)).get("calendar_watch") == 0


async def test_channels_stop_when_the_rep_leaves_is_suspended_or_is_revoked(pushed):
    wired = pushed
    talk, google = wired.talk, wired.google
    rt = talk.runtime

    async def deps_of_ivan(conn: Any) -> Any:
        actor = await resolve_actor(conn, telegram_id=IVAN, admin_ids=rt.rules.admin_ids)
        assert actor.rep is not None
        return rt.deps(conn, actor), actor.rep

    await run_due(wired)
    async with rt.pool.acquire() as conn:
        deps, rep = await deps_of_ivan(conn)
        assert await calendar_push.stop_all(deps, rep) == 1  # as when suspended
    assert google.channels.live(EMAIL) == [] and await stored(wired) == []

    talk.clock.now = NOW + timedelta(hours=1)
    await run_due(wired)
    assert len(google.channels.live(EMAIL)) == 1
    async with rt.pool.acquire() as conn:
        deps, rep = await deps_of_ivan(conn)
        await calendar_access.disconnect(deps, rep)  # Google revoked the access
    assert await stored(wired) == []

    talk.clock.now = NOW + timedelta(hours=2)
    await rt.pool.execute("UPDATE reps SET calendar_connected_at = $1", talk.clock.now)
    await run_due(wired)
    # The channel opened before the revocation lives on at Google until it ends; ours is new.
    assert len(google.channels.live(EMAIL)) == 2
    ((last, *_),) = await stored(wired)
    async with rt.pool.acquire() as conn:
        deps, rep = await deps_of_ivan(conn)
        await leaving.wind_up(deps, rep)
    assert last not in google.channels.open and await stored(wired) == []
    stops = [c.status for c in google.calendar_calls() if c.path.endswith("/channels/stop")]
    assert stops == [204, 204]


async def test_an_admin_suspending_the_rep_stops_their_channel(pushed):
    wired = pushed
    talk = wired.talk
    await run_due(wired)
    (channel,) = wired.google.channels.live(EMAIL)
    talk.script.call("suspend_rep", rep=EMAIL)
    await talk.say(ADMIN, "приостанови Ивана")
    talk.script.say("Иван приостановлен.")
    await talk.press(ADMIN, "confirm")
    assert channel.id not in wired.google.channels.open and await stored(wired) == []
    talk.clock.now = NOW + timedelta(hours=1)
    assert (await run_due(wired)).get("calendar_watch") == 0
