"""Google credentials against the fake Google: the OAuth web flow (URL, code exchange,
refresh during a call, revocation) and a service account acting for a rep."""

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlsplit

import pytest
from dirty_equals import IsStr
from google.auth import jwt as google_jwt
from inline_snapshot import snapshot

from tests.fakes.clock import no_wait
from tests.fakes.google import FakeGoogle
from tools.clients import google_auth
from tools.clients.calendar import GoogleCalendar
from tools.clients.calendar_models import CalendarAccess
from tools.clients.errors import AuthFailed, Unavailable
from tools.clients.google_auth import SCOPES, SIGN_IN_SCOPES, Identity, OAuthClient, TokenGrant
from tools.clients.retry import RetryPolicy
from tools.vault import code_challenge

REP = "rep@acme.test"
REDIRECT = "https://bot.acme.test/oauth2/callback"
FAST = RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.02, sleep=no_wait)


VERIFIER = "a-verifier-of-forty-three-characters-or-more-xx"


@pytest.fixture
async def fake():
    async with FakeGoogle() as server:
        yield server
    assert server.violations == []


@pytest.fixture
def client(fake):
    return OAuthClient(
        fake.client_id,
        fake.client_secret,
        auth_url=fake.auth_url,
        token_url=fake.token_url,
        revoke_url=fake.revoke_url,
    )


@pytest.fixture
def calendar(fake):
    return GoogleCalendar(api_endpoint=fake.api_endpoint, timeout=2.0, policy=FAST)


async def signed_in(fake, client, http, *, now=None):
    """The rep consents and the bot exchanges the code (at `now`, by default the real now)."""
    challenge = code_challenge(VERIFIER)
    url = google_auth.authorization_url(
        client, redirect_uri=REDIRECT, state="st", code_challenge=challenge, login_hint=REP
    )
    code = dict(parse_qsl(urlsplit(fake.consent(url, REP)).query))["code"]
    now = now or datetime.now(UTC)
    return await google_auth.exchange_code(
        client,
        code=code,
        code_verifier=VERIFIER,
        redirect_uri=REDIRECT,
        now=now,
        http=http,
        policy=FAST,
    )


def test_authorization_url_asks_for_offline_consent_to_the_scopes(client):
    url = google_auth.authorization_url(
        client,
        redirect_uri=REDIRECT,
        state="signed.state",
        code_challenge="challenge",
        login_hint=REP,
    )
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == client.auth_url
    assert dict(parse_qsl(parts.query)) == snapshot(
        {
            "client_id": "salesbot-test.apps.googleusercontent.com",
            "redirect_uri": "https://bot.acme.test/oauth2/callback",
            "response_type": "code",
            "scope": "openid email https://www.googleapis.com/auth/calendar.events https://www.googleapis.com/auth/calendar.freebusy https://www.googleapis.com/auth/calendar.calendars.readonly",
            "state": "signed.state",
            "access_type": "offline",
            "prompt": "consent",
            "include_granted_scopes": "true",
            "code_challenge": "challenge",
            "code_challenge_method": "S256",
            "login_hint": "rep@acme.test",
        }
    )
    plain = google_auth.authorization_url(
        client, redirect_uri=REDIRECT, state="s", code_challenge="c"
    )
    assert "login_hint" not in plain


async def test_sign_in_says_who_signed_in_as_google_vouches_for_it(fake, client, http):
    grant = await signed_in(fake, client, http)
    assert google_auth.identity_of(client, grant, datetime.now(UTC)) == Identity(
        email=REP, email_verified=True, hosted_domain="acme.test"
    )
    assert "id_token" not in grant.to_json()  # never stored

    fake.unverified.add(REP)
    fake.personal.add(REP)
    grant = await signed_in(fake, client, http)
    assert google_auth.identity_of(client, grant, datetime.now(UTC)) == Identity(
        email=REP, email_verified=False, hosted_domain=None
    )


async def test_an_id_token_for_another_client_or_expired_or_missing_is_refused(fake, client, http):
    grant = await signed_in(fake, client, http)
    other = OAuthClient("another-client", "secret")
    with pytest.raises(AuthFailed, match="for another client"):
        google_auth.identity_of(other, grant, datetime.now(UTC))
    with pytest.raises(AuthFailed, match="expired"):
        google_auth.identity_of(client, grant, datetime.now(UTC) + timedelta(hours=2))
    bare = TokenGrant("ya29.a", None, None, SCOPES)
    with pytest.raises(AuthFailed, match="no ID token"):
        google_auth.identity_of(client, bare, datetime.now(UTC))
    forged = TokenGrant("ya29.a", None, None, SCOPES, id_token="not.a-token")
    with pytest.raises(AuthFailed, match="malformed"):
        google_auth.identity_of(client, forged, datetime.now(UTC))


def test_google_endpoints_are_the_defaults():
    assert OAuthClient("id", "secret") == snapshot(
        OAuthClient(
            client_id="id",
            client_secret="secret",
            auth_url="https://accounts.google.com/o/oauth2/v2/auth",
            token_url="https://oauth2.googleapis.com/token",
            revoke_url="https://oauth2.googleapis.com/revoke",
        )
    )


async def test_sign_in_gives_a_grant_that_works(fake, client, http, calendar):
    now = datetime.now(UTC)
    grant = await signed_in(fake, client, http, now=now)

    assert grant.access_token.startswith("ya29.")
    assert grant.refresh_token is not None
    assert grant.expires_at == now + timedelta(seconds=3599)
    assert sorted(grant.scopes) == sorted(SIGN_IN_SCOPES)
    assert fake.calls[0].body == snapshot(
        {
            "grant_type": "authorization_code",
            "code": IsStr(regex=r"4/fake-.+"),
            "code_verifier": "a-verifier-of-forty-three-characters-or-more-xx",
            "redirect_uri": "https://bot.acme.test/oauth2/callback",
            "client_id": "salesbot-test.apps.googleusercontent.com",
            "client_secret": "test-client-secret",
        }
    )
    credentials = google_auth.user_credentials(client, grant)
    assert await calendar.primary(CalendarAccess(REP, credentials)) == REP
    assert google_auth.grant_after(credentials, grant) == grant  # nothing was refreshed


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"code": "4/made-up"}, "invalid_grant: Bad Request"),
        ({"redirect_uri": "https://evil.test/cb"}, "redirect_uri_mismatch: Bad Request"),
        ({"client_secret": "wrong"}, "invalid_client: Unauthorized"),
        ({"code_verifier": "someone-elses"}, "invalid_grant: Invalid code verifier."),
        ({"code_verifier": ""}, "invalid_grant: Missing code verifier."),
    ],
)
async def test_a_refused_code_exchange_is_auth_failed_at_once(fake, client, http, change, expected):
    client = dataclasses.replace(
        client, client_secret=change.pop("client_secret", client.client_secret)
    )
    code = fake.authorize(REP, REDIRECT, challenge=code_challenge(VERIFIER))
    arguments = {"code": code, "redirect_uri": REDIRECT, "code_verifier": VERIFIER} | change
    with pytest.raises(AuthFailed) as caught:
        await google_auth.exchange_code(
            client, **arguments, now=datetime.now(UTC), http=http, policy=FAST
        )
    assert caught.value.message == expected
    assert len(fake.calls) == 1


async def test_code_exchange_retries_a_5xx_and_gives_up_after_the_attempts(fake, client, http):
    fake.fail("/token", 503)
    grant = await signed_in(fake, client, http)
    assert grant.refresh_token is not None
    assert [c.status for c in fake.calls] == [503, 200]

    fake.fail("/token", 500, times=10)
    with pytest.raises(Unavailable, match="server_error"):
        await signed_in(fake, client, http)
    assert len(fake.calls) == 2 + FAST.attempts


async def test_an_expired_grant_is_refreshed_and_the_new_one_is_to_be_stored(
    fake, client, http, calendar
):
    grant = await signed_in(fake, client, http, now=datetime.now(UTC) - timedelta(hours=2))
    credentials = google_auth.user_credentials(client, grant)

    assert await calendar.primary(CalendarAccess(REP, credentials)) == REP

    fresh = google_auth.grant_after(credentials, grant)
    assert fresh.access_token != grant.access_token
    assert fresh.refresh_token == grant.refresh_token
    assert fresh.expires_at is not None
    assert fresh.expires_at - datetime.now(UTC) > timedelta(minutes=55)
    assert sorted(fresh.scopes) == sorted(SIGN_IN_SCOPES)
    assert [(c.path, c.body.get("grant_type") if c.body else None) for c in fake.calls] == [
        ("/token", "authorization_code"),
        ("/token", "refresh_token"),
        ("/calendar/v3/calendars/primary", None),
    ]
    assert TokenGrant.from_json(fresh.to_json()) == fresh


async def test_a_token_google_ends_early_is_refreshed_after_the_401(fake, client, http, calendar):
    grant = await signed_in(fake, client, http)
    credentials = google_auth.user_credentials(client, grant)
    fake.expire_tokens(REP)

    assert await calendar.primary(CalendarAccess(REP, credentials)) == REP

    assert google_auth.grant_after(credentials, grant).access_token != grant.access_token
    assert [(c.path, c.status) for c in fake.calls[1:]] == [
        ("/calendar/v3/calendars/primary", 401),
        ("/token", 200),
        ("/calendar/v3/calendars/primary", 200),
    ]


async def test_revoked_access_is_auth_failed_and_says_reconnect(fake, client, http, calendar):
    grant = await signed_in(fake, client, http)
    credentials = google_auth.user_credentials(client, grant)
    fake.revoke(REP)

    with pytest.raises(AuthFailed) as caught:
        await calendar.busy(
            CalendarAccess(REP, credentials),
            start=datetime.now(UTC),
            end=datetime.now(UTC) + timedelta(hours=1),
        )
    assert caught.value.message == (
        "access was revoked; reconnect (invalid_grant: Token has been expired or revoked.)"
    )
    assert [(c.path, c.status) for c in fake.calls[1:]] == [
        ("/calendar/v3/freeBusy", 401),
        ("/token", 400),
    ]


async def test_revoke_ends_the_grant_and_repeating_it_is_harmless(fake, client, http, calendar):
    grant = await signed_in(fake, client, http)
    assert grant.refresh_token is not None
    await google_auth.revoke(client, grant.refresh_token, http=http, policy=FAST)
    await google_auth.revoke(client, grant.refresh_token, http=http, policy=FAST)

    credentials = google_auth.user_credentials(client, grant)
    with pytest.raises(AuthFailed, match="revoked"):
        await calendar.primary(CalendarAccess(REP, credentials))
    assert [c.body for c in fake.calls if c.path == "/revoke"] == 2 * [
        {"token": grant.refresh_token}
    ]


def test_user_credentials_carry_the_grant_with_a_naive_utc_expiry(client):
    expires = datetime(2026, 11, 20, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    grant = TokenGrant("ya29.a", "1//r", expires, SCOPES)
    credentials = google_auth.user_credentials(client, grant)
    assert credentials.expiry == datetime(2026, 11, 20, 10, 0)
    assert (credentials.token, credentials.refresh_token) == ("ya29.a", "1//r")
    assert (credentials.token_uri, credentials.client_id) == (client.token_url, client.client_id)
    assert credentials.client_secret == client.client_secret
    assert tuple(credentials.scopes) == SCOPES
    assert google_auth.grant_after(credentials, grant) == TokenGrant(
        "ya29.a", "1//r", datetime(2026, 11, 20, 10, 0, tzinfo=UTC), SCOPES
    )


def test_a_grant_round_trips_through_json():
    grant = TokenGrant("ya29.a", None, None, ())
    assert grant.to_json() == {
        "access_token": "ya29.a",
        "refresh_token": None,
        "expires_at": None,
        "scopes": [],
    }
    assert TokenGrant.from_json(grant.to_json()) == grant
    dated = TokenGrant("ya29.b", "1//r", datetime(2026, 11, 20, 10, tzinfo=UTC), SCOPES)
    assert TokenGrant.from_json(dated.to_json()) == dated


async def test_a_service_account_acts_as_the_rep(fake, calendar, tmp_path):
    fake.delegation_allowed = {"acme.test"}
    credentials = google_auth.delegated(fake.service_account_file(tmp_path), REP)

    assert await calendar.primary(CalendarAccess(REP, credentials)) == REP

    token_call, api_call = fake.calls
    claims = google_jwt.decode(token_call.body["assertion"], verify=False)
    assert {k: v for k, v in claims.items() if k not in ("iat", "exp")} == snapshot(
        {
            "iss": "salesbot@salesbot-test.iam.gserviceaccount.com",
            "aud": "https://oauth2.googleapis.com/token",
            "scope": "https://www.googleapis.com/auth/calendar.events https://www.googleapis.com/auth/calendar.freebusy https://www.googleapis.com/auth/calendar.calendars.readonly",
            "sub": "rep@acme.test",
        }
    )
    assert (token_call.user, api_call.user) == (REP, REP)


async def test_delegation_keeps_each_reps_token_until_it_is_about_to_expire(
    fake, calendar, tmp_path
):
    fake.delegation_allowed = {"acme.test"}
    delegation = google_auth.Delegation(fake.service_account_file(tmp_path))
    other = "other@acme.test"

    for email in (REP, other, REP, other):
        assert await calendar.primary(CalendarAccess(email, delegation.credentials(email))) == email
    assert delegation.credentials(REP) is delegation.credentials(REP)
    assert [(c.path, c.user) for c in fake.calls if c.path == "/token"] == [
        ("/token", REP),
        ("/token", other),
    ]

    fake.calls.clear()
    fake.token_seconds = 60  # within google-auth's margin: taken as expiring at once
    brief = "brief@acme.test"
    for _ in range(2):
        await calendar.primary(CalendarAccess(brief, delegation.credentials(brief)))
    assert [c.path for c in fake.calls] == [
        "/token",
        "/calendar/v3/calendars/primary",
        "/token",
        "/calendar/v3/calendars/primary",
    ]
    assert {c.user for c in fake.calls} == {brief}


async def test_a_rep_outside_the_delegated_domain_is_auth_failed(fake, calendar, tmp_path):
    fake.delegation_allowed = {"acme.test"}
    credentials = google_auth.delegated(fake.service_account_file(tmp_path), "rep@other.test")
    with pytest.raises(AuthFailed, match="unauthorized_client"):
        await calendar.primary(CalendarAccess("rep@other.test", credentials))
    assert [(c.path, c.status) for c in fake.calls] == [("/token", 401)]
