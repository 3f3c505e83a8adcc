"""Per-rep Google sign-in: the link the bot sends, Google's consent (played by the fake), the
callback on the bot's web server, the sealed token, its refresh, and revoked access."""

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer
from cryptography.fernet import Fernet
from inline_snapshot import snapshot

from agent.integrations import services_from
from agent.settings import load_settings
from agent.signin import sign_in_routes
from agent.telegram.intake import web_app
from db.integrations import get_token
from db.reps import approve_rep, create_rep, get_rep
from tests.agent.scripted import dialogue
from tests.fakes.clock import no_wait
from tests.fakes.google import FakeGoogle
from tools.clients.retry import RetryPolicy

IVAN = 501
EMAIL = "ivan@truerealestate.bali"
FAST = RetryPolicy(attempts=2, initial_wait=0.01, max_wait=0.02, sleep=no_wait)


@pytest.fixture
async def signin(db_dsn):
    async with FakeGoogle() as google:
        settings = load_settings(
            _env_file=None,
            public_url="https://bot.example.test",
            google_oauth_client_id=google.client_id,
            google_oauth_client_secret=google.client_secret,
            google_oauth_auth_url=google.auth_url,
            google_oauth_token_url=google.token_url,
            google_oauth_revoke_url=google.revoke_url,
            google_calendar_api_url=google.api_endpoint,
            token_encryption_key=Fernet.generate_key().decode(),
        )
        talk, pool = await dialogue(db_dsn)
        talk.clock.now = datetime.now(UTC).replace(
            microsecond=0
        )  # google-auth reads the real clock
        try:
            async with services_from(
                settings, journal=pool, clock=talk.clock, policy=FAST
            ) as services:
                talk.runtime = dataclasses.replace(talk.runtime, services=services)
                app = web_app(pool, wall=talk.clock, routes=sign_in_routes(talk.runtime))
                async with TestClient(TestServer(app)) as web:
                    async with pool.acquire() as conn:
                        rep = await create_rep(
                            conn,
                            telegram_id=IVAN,
                            name="Иван",
                            email=EMAIL,
                            now=talk.clock(),
                            timezone="Asia/Makassar",
                        )
                        await approve_rep(conn, rep_id=rep.id, now=talk.clock())
                    yield talk, google, web, rep
        finally:
            await pool.close()


async def link_sent(talk):
    talk.script.call("connect_calendar").say("Нажмите кнопку в сообщении выше.")
    result = await talk.say(IVAN, "Подключи календарь")
    (button,) = [b for m in result.messages if m.buttons for row in m.buttons for b in row]
    return button["url"]


async def follow(web, redirect: str):
    path = redirect.removeprefix("https://bot.example.test")
    response = await web.get(path)
    return response.status, await response.text()


async def test_a_rep_connects_their_calendar_through_the_link(signin):
    talk, google, web, rep = signin
    result_url = await link_sent(talk)
    assert talk.script.last_return() == snapshot(
        {"status": "sign_in_link_sent", "link_expires_in_minutes": 15}
    )
    status, page = await follow(web, google.consent(result_url, EMAIL))
    assert status == 200
    assert "Your calendar is connected: ivan@truerealestate.bali" in page

    async with talk.runtime.pool.acquire() as conn:
        stored = await get_token(conn, rep_id=rep.id, provider="google")
        connected = await get_rep(conn, rep_id=rep.id)
        told = await conn.fetchval(
            "SELECT text FROM outbox WHERE chat_id = $1 ORDER BY id DESC LIMIT 1", IVAN
        )
    assert connected.calendar_account_name == EMAIL
    grant = talk.runtime.services.sign_in.vault.open(stored.ciphertext)
    for secret in (grant["access_token"], grant["refresh_token"]):
        assert secret.encode() not in stored.ciphertext
    assert told == snapshot(
        "Google Calendar подключён (ivan@truerealestate.bali). Теперь я могу искать свободное время и назначать встречи с клиентами."
    )

    day = (talk.clock() + timedelta(days=2)).date().isoformat()
    talk.script.call("find_free_slots", day=day).say("…")
    await talk.say(IVAN, "Когда я свободен послезавтра?")
    assert talk.script.last_return()["free"] == ["09:00–19:00"]
    assert [c.user for c in google.calendar_calls()][-1] == EMAIL


async def test_an_expired_access_token_is_refreshed_and_the_new_one_kept(signin):
    talk, google, web, rep = signin
    await follow(web, google.consent(await link_sent(talk), EMAIL))
    vault = talk.runtime.services.sign_in.vault
    async with talk.runtime.pool.acquire() as conn:
        before = vault.open((await get_token(conn, rep_id=rep.id, provider="google")).ciphertext)

    google.expire_tokens(EMAIL)
    talk.clock.advance(hours=2)
    day = (talk.clock() + timedelta(days=2)).date().isoformat()
    talk.script.call("find_free_slots", day=day).say("…")
    await talk.say(IVAN, "Когда я свободен?")
    async with talk.runtime.pool.acquire() as conn:
        after = vault.open((await get_token(conn, rep_id=rep.id, provider="google")).ciphertext)
    assert "free" in talk.script.last_return()
    assert after["access_token"] != before["access_token"]
    assert after["refresh_token"] == before["refresh_token"]


async def test_revoked_access_disconnects_and_asks_to_reconnect(signin):
    talk, google, web, rep = signin
    await follow(web, google.consent(await link_sent(talk), EMAIL))
    google.revoke(EMAIL)
    google.expire_tokens(EMAIL)
    day = (talk.clock() + timedelta(days=2)).date().isoformat()
    talk.script.call("find_free_slots", day=day).say("Доступ отозван, подключите календарь снова.")
    await talk.say(IVAN, "Когда я свободен?")
    assert talk.script.last_return().startswith(
        "Not done: Google refused the rep's calendar access (it was revoked or expired)"
    )
    async with talk.runtime.pool.acquire() as conn:
        assert (await get_rep(conn, rep_id=rep.id)).calendar_connected_at is None
        assert await get_token(conn, rep_id=rep.id, provider="google") is None


async def test_a_forged_an_expired_or_a_replayed_callback_is_refused(signin):
    talk, google, web, _ = signin
    redirect = google.consent(await link_sent(talk), EMAIL)
    forged = redirect.replace("state=", "state=x")
    assert (await follow(web, forged))[0] == 400

    talk.clock.advance(minutes=16)
    status, page = await follow(web, redirect)
    assert (status, "has expired" in page) == (400, True)
    talk.clock.advance(minutes=-16)

    assert (await follow(web, redirect))[0] == 200
    status, page = await follow(web, redirect)
    assert (status, "This link has already been used" in page) == (400, True)

    status, page = await follow(web, "/oauth/google/callback?error=access_denied")
    assert (status, "nothing changed" in page) == (200, True)


async def test_a_link_signs_in_once_and_only_as_the_reps_own_account(signin):
    talk, google, web, rep = signin
    link = await link_sent(talk)
    status, page = await follow(web, google.consent(link, "attacker@gmail.com"))
    assert (status, "You signed in as attacker@gmail.com" in page) == (403, True)
    async with talk.runtime.pool.acquire() as conn:
        assert (await get_rep(conn, rep_id=rep.id)).calendar_connected_at is None
        assert await get_token(conn, rep_id=rep.id, provider="google") is None
        told = await conn.fetchval("SELECT count(*) FROM outbox WHERE text LIKE '%connected%'")
    assert told == 0
    status, page = await follow(web, google.consent(link, EMAIL))
    assert (status, "already been used" in page) == (400, True)


async def test_a_code_without_the_links_own_verifier_is_refused_by_google(signin):
    talk, google, web, rep = signin
    link = await link_sent(talk)
    other = link.replace("code_challenge=", "code_challenge=x")
    status, page = await follow(web, google.consent(other, EMAIL))
    assert (status, "Invalid code verifier" in page) == (400, True)
    async with talk.runtime.pool.acquire() as conn:
        assert await get_token(conn, rep_id=rep.id, provider="google") is None


async def test_a_rep_who_leaves_leaves_no_token_and_no_grant_behind(signin):
    talk, google, web, rep = signin
    await follow(web, google.consent(await link_sent(talk), EMAIL))
    talk.script.call("unregister_me")
    await talk.say(IVAN, "хочу отключиться")
    talk.script.say("Готово, вы отключены.")
    await talk.press(IVAN, "confirm")
    async with talk.runtime.pool.acquire() as conn:
        left = await get_rep(conn, rep_id=rep.id)
        tokens = await conn.fetchval("SELECT count(*) FROM oauth_tokens")
    assert (left.status, left.calendar_connected_at, tokens) == ("removed", None, 0)
    assert [c.path for c in google.calls if c.path.endswith("/revoke")] == ["/revoke"]
    assert all(grant.revoked for grant in google._grants.values())


async def test_signing_in_as_the_reps_own_work_account_proves_their_email(signin):
    talk, google, web, rep = signin
    assert not rep.email_verified
    status, _ = await follow(web, google.consent(await link_sent(talk), EMAIL))
    assert status == 200
    async with talk.runtime.pool.acquire() as conn:
        proved = await get_rep(conn, rep_id=rep.id)
    assert (proved.email_verified_at, proved.email_verified_by) == (talk.clock(), "google")


@pytest.mark.parametrize("doubt", ["unverified", "personal"])
async def test_an_account_google_does_not_vouch_for_connects_nothing(signin, doubt):
    talk, google, web, rep = signin
    getattr(google, doubt).add(EMAIL)
    status, page = await follow(web, google.consent(await link_sent(talk), EMAIL))
    assert status == 403
    assert f"Google has not confirmed that {EMAIL} is a work account of truerealestate.bali" in page
    async with talk.runtime.pool.acquire() as conn:
        after = await get_rep(conn, rep_id=rep.id)
        assert await get_token(conn, rep_id=rep.id, provider="google") is None
    assert (after.calendar_connected_at, after.email_verified_at) == (None, None)


async def test_a_calendar_connected_before_the_email_changed_is_not_used(signin):
    talk, google, web, _ = signin
    await follow(web, google.consent(await link_sent(talk), EMAIL))
    async with talk.runtime.pool.acquire() as conn:
        await conn.execute("UPDATE reps SET email_verified_at = NULL, email_verified_by = NULL")
    calls = len(google.calendar_calls())
    day = (talk.clock() + timedelta(days=2)).date().isoformat()
    talk.script.call("find_free_slots", day=day).say("Сначала подтвердите email.")
    await talk.say(IVAN, "Когда я свободен?")
    assert talk.script.last_return() == (
        f"Not done: the user's email {EMAIL} is not verified yet, and the calendar is used only "
        "for a verified email (so nobody can act as someone else). Tell them to verify it first: "
        "connect_calendar sends a Google sign-in link: signing in as that address proves it"
    )
    assert len(google.calendar_calls()) == calls
