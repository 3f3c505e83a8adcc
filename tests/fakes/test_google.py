"""The fake Google server on its own: spec checks, auth, state, the token endpoint, faults."""

import json
import time
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from google.auth import crypt
from google.auth import jwt as google_jwt
from inline_snapshot import snapshot

from tests.fakes.google import CALENDAR_SCOPE, FakeGoogle, discovery

EVENTS = "https://www.googleapis.com/auth/calendar.events"
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
EVENT = {
    "summary": "Demo",
    "start": {"dateTime": "2026-11-20T10:00:00+01:00"},
    "end": {"dateTime": "2026-11-20T11:00:00+01:00"},
}


@pytest.fixture
async def fake():
    async with FakeGoogle() as server:
        yield server
    assert server.violations == []


async def api(fake, method, path, *, token=None, query=None, body=None, headers=None):
    headers = dict(headers or {})
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            method, fake.api_endpoint + path, params=query, json=body, headers=headers
        ) as response,
    ):
        text = await response.text()
        return response.status, json.loads(text) if text else None


async def form(url, data):
    async with aiohttp.ClientSession() as session, session.post(url, data=data) as response:
        return response.status, await response.json()


def taken_violations(fake):
    found = list(fake.violations)
    fake.violations.clear()
    return found


def test_the_discovery_document_is_the_one_installed_with_the_client():
    document = discovery()
    assert (document["id"], document["servicePath"]) == ("calendar:v3", "calendar/v3/")
    assert (
        "calendar.events.insert"
        in document["schemas"]["Event"]["properties"]["start"]["annotations"]["required"]
    )


async def test_an_unknown_body_field_is_a_violation(fake):
    token = fake.issue_token("rep@acme.test")
    status, answer = await api(
        fake, "POST", "calendars/primary/events", token=token, body=EVENT | {"colour": "red"}
    )
    assert status == 400
    assert answer["error"]["errors"][0]["reason"] == "invalid"
    assert taken_violations(fake) == ["calendar.events.insert: body.colour is not a field of Event"]
    assert fake.events["rep@acme.test"] == {}


async def test_nested_fields_are_checked_through_refs(fake):
    token = fake.issue_token("rep@acme.test")
    body = EVENT | {"attendees": [{"email": "a@b.test", "name": "A"}], "start": {"dateTime": 5}}
    status, _ = await api(fake, "POST", "calendars/primary/events", token=token, body=body)
    assert status == 400
    assert taken_violations(fake) == [
        "calendar.events.insert: body.start.dateTime must be a string, not int",
        "calendar.events.insert: body.attendees[0].name is not a field of EventAttendee",
    ]


async def test_a_missing_required_field_is_a_violation(fake):
    token = fake.issue_token("rep@acme.test")
    body = {k: v for k, v in EVENT.items() if k != "end"}
    status, _ = await api(fake, "POST", "calendars/primary/events", token=token, body=body)
    assert status == 400
    assert taken_violations(fake) == [
        "calendar.events.insert: body.end is required for calendar.events.insert"
    ]


async def test_null_is_refused(fake):
    token = fake.issue_token("rep@acme.test")
    body = EVENT | {"location": None}
    status, _ = await api(fake, "POST", "calendars/primary/events", token=token, body=body)
    assert status == 400
    assert taken_violations(fake) == [
        "calendar.events.insert: body.location is null (the fake refuses nulls: send nothing instead)"
    ]


async def test_query_parameters_are_checked_by_name_type_and_enum(fake):
    token = fake.issue_token("rep@acme.test")
    query = {"sendUpdates": "bogus", "maxAttendees": "many", "colour": "red", "alt": "json"}
    status, _ = await api(
        fake, "POST", "calendars/primary/events", token=token, query=query, body=EVENT
    )
    assert status == 400
    assert sorted(taken_violations(fake)) == [
        "calendar.events.insert: query parameter maxAttendees='many' is not an integer",
        "calendar.events.insert: query parameter sendUpdates='bogus' is not one of ['all', 'externalOnly', 'none']",
        "calendar.events.insert: unknown query parameter colour",
    ]
    query = {"timeMin": "2026-11-20T10:00:00", "singleEvents": "yes"}
    status, _ = await api(fake, "GET", "calendars/primary/events", token=token, query=query)
    assert status == 400
    assert sorted(taken_violations(fake)) == [
        "calendar.events.list: query parameter singleEvents='yes' is not a boolean",
        "calendar.events.list: query parameter timeMin='2026-11-20T10:00:00' is not an RFC 3339 time with an offset",
    ]


async def test_an_unknown_path_is_a_violation(fake):
    token = fake.issue_token("rep@acme.test")
    assert (await api(fake, "GET", "calendars/primary/meetings", token=token))[0] == 404
    assert taken_violations(fake) == [
        "GET /calendar/v3/calendars/primary/meetings: no such Calendar method"
    ]


async def test_a_missing_token_is_401_and_a_violation(fake):
    status, answer = await api(fake, "GET", "calendars/primary")
    assert status == 401
    assert answer["error"]["errors"][0]["reason"] == "required"
    assert taken_violations(fake) == ["calendar.calendars.get: no Authorization header"]


async def test_an_unknown_expired_or_revoked_token_is_401(fake):
    token = fake.issue_token("rep@acme.test")
    assert (await api(fake, "GET", "calendars/primary", token=token))[0] == 200
    fake.expire_tokens("rep@acme.test")
    status, answer = await api(fake, "GET", "calendars/primary", token=token)
    assert (status, answer["error"]["errors"][0]["reason"]) == (401, "authError")
    assert answer["error"]["status"] == "UNAUTHENTICATED"
    token = fake.issue_token("rep@acme.test")
    fake.revoke("rep@acme.test")
    assert (await api(fake, "GET", "calendars/primary", token=token))[0] == 401
    assert (await api(fake, "GET", "calendars/primary", token="ya29.made-up"))[0] == 401


async def test_a_token_without_a_scope_of_the_method_is_403(fake):
    token = fake.issue_token("rep@acme.test", scopes=(EVENTS,))
    status, answer = await api(fake, "GET", "calendars/primary", token=token)
    assert (status, answer["error"]["errors"][0]["reason"]) == (403, "insufficientPermissions")
    assert (await api(fake, "GET", "calendars/primary/events", token=token))[0] == 200


async def test_events_are_per_user_and_deleted_events_stay_cancelled(fake):
    rep, other = fake.issue_token("rep@acme.test"), fake.issue_token("other@acme.test")
    body = EVENT | {"id": "meeting0001"}
    status, event = await api(fake, "POST", "calendars/primary/events", token=rep, body=body)
    assert (status, event["id"], event["status"]) == (200, "meeting0001", "confirmed")
    status, again = await api(fake, "POST", "calendars/primary/events", token=rep, body=body)
    assert (status, again["error"]["errors"][0]["reason"]) == (409, "duplicate")
    assert (await api(fake, "GET", "calendars/primary/events/meeting0001", token=other))[0] == 404
    _, listed = await api(fake, "GET", "calendars/rep%40acme.test/events", token=rep)
    assert [e["id"] for e in listed["items"]] == ["meeting0001"]

    assert (await api(fake, "DELETE", "calendars/primary/events/meeting0001", token=rep))[0] == 204
    assert (await api(fake, "DELETE", "calendars/primary/events/meeting0001", token=rep))[0] == 410
    _, gone = await api(fake, "GET", "calendars/primary/events/meeting0001", token=rep)
    assert gone["status"] == "cancelled"
    _, listed = await api(fake, "GET", "calendars/primary/events", token=rep)
    assert listed["items"] == []
    assert (await api(fake, "POST", "calendars/primary/events", token=rep, body=body))[0] == 409


async def test_google_rules_beyond_the_schema_are_answered_400_without_a_violation(fake):
    rep = fake.issue_token("rep@acme.test")
    status, answer = await api(
        fake, "POST", "calendars/primary/events", token=rep, body=EVENT | {"id": "Not_Base32"}
    )
    assert (status, answer["error"]["message"]) == (400, "Invalid resource id value.")
    backwards = EVENT | {"start": EVENT["end"], "end": EVENT["start"]}
    status, answer = await api(fake, "POST", "calendars/primary/events", token=rep, body=backwards)
    assert (status, answer["error"]["errors"][0]["reason"]) == (400, "timeRangeEmpty")
    local = EVENT | {"start": {"dateTime": "2026-11-20T10:00:00"}}
    status, answer = await api(fake, "POST", "calendars/primary/events", token=rep, body=local)
    assert (status, answer["error"]["message"]) == (
        400,
        "Missing time zone definition for start time.",
    )
    query = {"orderBy": "startTime"}
    assert (await api(fake, "GET", "calendars/primary/events", token=rep, query=query))[0] == 400


async def test_freebusy_joins_seeded_and_booked_time_clipped_to_the_window(fake):
    rep = fake.issue_token("rep@acme.test")
    fake.busy["rep@acme.test"] = [
        (T0 - timedelta(hours=1), T0 + timedelta(minutes=30)),
        (T0 + timedelta(hours=3), T0 + timedelta(hours=4)),
    ]
    # 09:00Z..10:00Z, overlapping the first seeded interval's end.
    booked = EVENT | {"start": {"dateTime": "2026-11-20T09:15:00Z"}, "end": {"dateTime": "2026-11-20T10:00:00Z"}}  # fmt: skip
    assert (await api(fake, "POST", "calendars/primary/events", token=rep, body=booked))[0] == 200
    body = {
        "timeMin": "2026-11-20T09:00:00Z",
        "timeMax": "2026-11-20T12:30:00Z",
        "items": [{"id": "primary"}, {"id": "nobody@acme.test"}],
    }
    status, answer = await api(fake, "POST", "freeBusy", token=rep, body=body)
    assert status == 200
    assert answer == snapshot(
        {
            "kind": "calendar#freeBusy",
            "timeMin": "2026-11-20T09:00:00Z",
            "timeMax": "2026-11-20T12:30:00Z",
            "calendars": {
                "primary": {
                    "busy": [
                        {"start": "2026-11-20T09:00:00Z", "end": "2026-11-20T10:00:00Z"},
                        {"start": "2026-11-20T12:00:00Z", "end": "2026-11-20T12:30:00Z"},
                    ]
                },
                "nobody@acme.test": {"errors": [{"domain": "global", "reason": "notFound"}]},
            },
        }
    )
    body |= {"timeMax": body["timeMin"]}
    status, answer = await api(fake, "POST", "freeBusy", token=rep, body=body)
    assert (status, answer["error"]["errors"][0]["reason"]) == (400, "timeRangeEmpty")


async def test_faults_answer_in_googles_shape_and_run_out(fake):
    rep = fake.issue_token("rep@acme.test")
    fake.fail("freeBusy", 429, times=2, headers={"Retry-After": "3"})
    fake.fail("events.insert", 403, reason="userRateLimitExceeded")
    body = {"timeMin": "2026-11-20T09:00:00Z", "timeMax": "2026-11-20T10:00:00Z", "items": []}
    async with aiohttp.ClientSession() as session:
        for expected in (429, 429, 200):
            async with session.post(
                fake.api_endpoint + "freeBusy",
                json=body,
                headers={"Authorization": f"Bearer {rep}"},
            ) as response:
                assert response.status == expected
                if expected == 429:
                    assert response.headers["Retry-After"] == "3"
    status, answer = await api(fake, "POST", "calendars/primary/events", token=rep, body=EVENT)
    assert status == 403
    assert answer["error"]["errors"] == [
        {"message": "Forbidden", "domain": "usageLimits", "reason": "userRateLimitExceeded"}
    ]
    assert [c.status for c in fake.calls] == [429, 429, 200, 403]


async def test_calls_are_recorded_with_the_user(fake):
    rep = fake.issue_token("rep@acme.test")
    await api(fake, "GET", "calendars/primary", token=rep, query={"alt": "json"})
    assert fake.calls[-1].user == "rep@acme.test"
    assert fake.calls[-1].query == {"alt": "json"}
    assert fake.calendar_calls() == fake.calls


async def test_authorization_code_grant_works_once_for_the_right_client_and_redirect(fake):
    code = fake.authorize("rep@acme.test", "https://bot.test/cb", scopes=(EVENTS,))
    grant = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
        "redirect_uri": "https://bot.test/cb",
    }
    assert await form(fake.token_url, grant | {"redirect_uri": "https://evil.test/cb"}) == (
        400,
        {"error": "redirect_uri_mismatch", "error_description": "Bad Request"},
    )
    assert (await form(fake.token_url, grant | {"client_secret": "wrong"}))[0] == 401
    status, answer = await form(fake.token_url, grant)
    assert status == 200
    assert answer["scope"] == EVENTS
    assert answer["refresh_token"].startswith("1//")
    assert (answer["token_type"], answer["expires_in"]) == ("Bearer", 3599)
    assert await form(fake.token_url, grant) == (
        400,
        {"error": "invalid_grant", "error_description": "Bad Request"},
    )
    status, _ = await api(fake, "GET", "calendars/primary/events", token=answer["access_token"])
    assert status == 200


async def test_refresh_token_grant_and_revocation(fake):
    code = fake.authorize("rep@acme.test", "https://bot.test/cb")
    first = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": "https://bot.test/cb",
    }
    client = {"client_id": fake.client_id, "client_secret": fake.client_secret}
    _, tokens = await form(fake.token_url, first | client)
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    status, answer = await form(fake.token_url, refresh | client)
    assert status == 200
    assert answer["access_token"] != tokens["access_token"]
    assert "refresh_token" not in answer
    fake.revoke("rep@acme.test")
    assert await form(fake.token_url, refresh | client) == (
        400,
        {"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
    )
    assert [c.user for c in fake.calls] == ["rep@acme.test", "rep@acme.test", None]


async def test_the_revoke_endpoint_ends_the_whole_grant(fake):
    code = fake.authorize("rep@acme.test", "https://bot.test/cb")
    client = {"client_id": fake.client_id, "client_secret": fake.client_secret}
    first = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": "https://bot.test/cb",
    }
    _, tokens = await form(fake.token_url, first | client)
    assert await form(fake.revoke_url, {"token": tokens["access_token"]}) == (200, {})
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    assert (await form(fake.token_url, refresh | client))[0] == 400
    assert await form(fake.revoke_url, {"token": tokens["refresh_token"]}) == (
        400,
        {"error": "invalid_token", "error_description": "Bad Request"},
    )


def assertion(signer, **claims):
    now = int(time.time())
    payload = {
        "iss": "salesbot@salesbot-test.iam.gserviceaccount.com",
        "aud": "https://oauth2.googleapis.com/token",
        "scope": EVENTS,
        "iat": now,
        "exp": now + 3600,
    }
    return google_jwt.encode(signer, payload | claims).decode()


async def test_jwt_bearer_grant_checks_signature_audience_and_delegation(fake, tmp_path):
    signer = crypt.RSASigner.from_service_account_file(fake.service_account_file(tmp_path))
    (tmp_path / "other").mkdir()
    stranger = FakeGoogle().service_account_file(tmp_path / "other")
    forged = crypt.RSASigner.from_string(
        json.loads(stranger.read_text())["private_key"], signer.key_id
    )
    fake.delegation_allowed = {"acme.test", "boss@other.test"}

    async def grant(token):
        data = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": token}
        return await form(fake.token_url, data)

    status, answer = await grant(assertion(signer, sub="rep@acme.test"))
    assert (status, sorted(answer)) == (200, ["access_token", "expires_in", "token_type"])
    assert fake.calls[-1].user == "rep@acme.test"
    assert (await grant(assertion(signer, sub="boss@other.test")))[0] == 200
    assert await grant(assertion(signer, sub="rep@other.test")) == (
        401,
        {
            "error": "unauthorized_client",
            "error_description": "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.",
        },
    )
    assert (await grant(assertion(forged, sub="rep@acme.test")))[1] == {
        "error": "invalid_grant",
        "error_description": "Invalid JWT Signature.",
    }
    key_file = json.loads(next(tmp_path.glob("salesbot-*.json")).read_text())
    unknown_key = crypt.RSASigner.from_string(key_file["private_key"], "0" * 40)
    assert (await grant(assertion(unknown_key, sub="rep@acme.test")))[0] == 400
    wrong_audience = assertion(signer, sub="rep@acme.test", aud=fake.token_url)
    assert (await grant(wrong_audience))[1]["error_description"].startswith(
        "Invalid JWT: Failed audience check"
    )
    stale = assertion(signer, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)
    assert (await grant(stale))[0] == 400
    status, answer = await grant(assertion(signer))
    assert status == 200  # the service account as itself
    assert fake.calls[-1].user == "salesbot@salesbot-test.iam.gserviceaccount.com"


async def test_an_unsupported_grant_type_is_refused(fake):
    status, answer = await form(fake.token_url, {"grant_type": "password"})
    assert (status, answer["error"]) == (400, "unsupported_grant_type")


async def test_consent_checks_the_authorization_url(fake):
    with pytest.raises(ValueError, match="missing redirect_uri"):
        fake.consent(f"{fake.auth_url}?client_id=x&response_type=code&scope={EVENTS}", "a@b.test")
    assert taken_violations(fake) == ["authorization URL: missing redirect_uri"]
    url = (
        f"{fake.auth_url}?client_id={fake.client_id}&response_type=code&state=s"
        f"&redirect_uri=https://bot.test/cb&scope={CALENDAR_SCOPE}&access_type=offline"
    )
    back = fake.consent(url, "rep@acme.test")
    assert back.startswith("https://bot.test/cb?code=4%2Ffake-")
    assert back.endswith("&state=s")


async def test_the_primary_calendar_is_the_users_own(fake):
    token = fake.issue_token("rep@acme.test")
    fake.time_zones["rep@acme.test"] = "Europe/Berlin"
    _, calendar = await api(fake, "GET", "calendars/primary", token=token)
    _, entry = await api(fake, "GET", "users/me/calendarList/primary", token=token)
    assert (calendar["id"], calendar["timeZone"]) == ("rep@acme.test", "Europe/Berlin")
    assert (entry["id"], entry["primary"], entry["accessRole"]) == ("rep@acme.test", True, "owner")
    assert (await api(fake, "GET", "calendars/boss%40acme.test", token=token))[0] == 404


def seeded(fake, email, event_id, start, minutes=30, **fields):
    end = start + timedelta(minutes=minutes)
    return fake.put_event(
        email,
        {"id": event_id, "summary": event_id, "start": {"dateTime": start.isoformat()}}
        | {"end": {"dateTime": end.isoformat()}}
        | fields,
    )


async def test_events_list_filters_by_window_and_expands_recurring_events(fake):
    rep = fake.issue_token("rep@acme.test")
    seeded(fake, "rep@acme.test", "once00001", T0)
    seeded(fake, "rep@acme.test", "later0001", T0 + timedelta(days=30))
    weekly = {
        "id": "weekly001",
        "start": {"dateTime": "2026-11-20T11:00:00+01:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2026-11-20T11:30:00+01:00", "timeZone": "Europe/Berlin"},
        "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3"],
    }
    fake.put_event("rep@acme.test", weekly)
    window = {"timeMin": "2026-11-20T00:00:00Z", "timeMax": "2026-12-10T00:00:00Z"}
    query = window | {"singleEvents": "true", "orderBy": "startTime"}
    _, listed = await api(fake, "GET", "calendars/primary/events", token=rep, query=query)
    assert [(e["id"], e["start"]["dateTime"]) for e in listed["items"]] == snapshot(
        [
            ("once00001", "2026-11-20T09:00:00+00:00"),
            ("weekly001_20261120T100000Z", "2026-11-20T11:00:00+01:00"),
            ("weekly001_20261127T100000Z", "2026-11-27T11:00:00+01:00"),
            ("weekly001_20261204T100000Z", "2026-12-04T11:00:00+01:00"),
        ]
    )
    assert {e.get("recurringEventId") for e in listed["items"][1:]} == {"weekly001"}
    assert "nextSyncToken" in listed and "nextPageToken" not in listed
    _, masters = await api(fake, "GET", "calendars/primary/events", token=rep, query=window)
    assert [e["id"] for e in masters["items"]] == ["once00001", "weekly001"]


async def test_pages_end_with_a_sync_token_that_answers_only_changes(fake):
    rep = fake.issue_token("rep@acme.test")
    for n in range(3):
        seeded(fake, "rep@acme.test", f"event0000{n}", T0 + timedelta(hours=n))
    path, query = "calendars/primary/events", {"maxResults": "2", "singleEvents": "true"}
    _, first = await api(fake, "GET", path, token=rep, query=query)
    assert ([e["id"] for e in first["items"]], "nextSyncToken" in first) == (
        ["event00000", "event00001"],
        False,
    )
    page = query | {"pageToken": first["nextPageToken"]}
    _, last = await api(fake, "GET", path, token=rep, query=page)
    assert ([e["id"] for e in last["items"]], "nextPageToken" in last) == (["event00002"], False)

    token = last["nextSyncToken"]
    _, nothing = await api(fake, "GET", path, token=rep, query={"syncToken": token})
    assert nothing["items"] == []
    fake.change_event("rep@acme.test", "event00001", summary="moved")
    assert (await api(fake, "DELETE", f"{path}/event00002", token=rep))[0] == 204
    seeded(fake, "rep@acme.test", "event00003", T0 + timedelta(days=90))
    _, changes = await api(fake, "GET", path, token=rep, query={"syncToken": token})
    assert changes["items"][0] == snapshot(
        {
            "kind": "calendar#event",
            "etag": changes["items"][0]["etag"],
            "id": "event00002",
            "status": "cancelled",
            "updated": changes["items"][0]["updated"],
        }
    )
    assert [e["id"] for e in changes["items"][1:]] == ["event00001", "event00003"]
    _, again = await api(
        fake, "GET", path, token=rep, query={"syncToken": changes["nextSyncToken"]}
    )
    assert again["items"] == []


async def test_an_expired_sync_token_is_410_full_sync_required(fake):
    rep = fake.issue_token("rep@acme.test")
    path = "calendars/primary/events"
    _, full = await api(fake, "GET", path, token=rep)
    fake.feed.expire_sync_tokens("rep@acme.test")
    status, answer = await api(
        fake, "GET", path, token=rep, query={"syncToken": full["nextSyncToken"]}
    )
    assert (status, answer["error"]["errors"][0]["reason"]) == (410, "fullSyncRequired")
    _, fresh = await api(fake, "GET", path, token=rep)
    query = {"syncToken": fresh["nextSyncToken"]}
    assert (await api(fake, "GET", path, token=rep, query=query))[0] == 200
    with_window = query | {"timeMin": "2026-11-20T00:00:00Z"}
    assert (await api(fake, "GET", path, token=rep, query=with_window))[0] == 400
    other = fake.issue_token("other@acme.test")
    assert (await api(fake, "GET", path, token=other, query=query))[0] == 410


async def test_watch_and_stop_are_checked_against_the_channel_schema(fake):
    fake.channels.now = lambda: T0
    ann, bob = fake.issue_token("ann@acme.test"), fake.issue_token("bob@acme.test")
    channel = {"id": "c1", "type": "web_hook", "address": "https://bot.test/push", "token": "t"}
    status, _ = await api(
        fake, "POST", "calendars/primary/events/watch", token=ann, body=channel | {"ttl": 60}
    )
    assert status == 400
    assert taken_violations(fake) == ["calendar.events.watch: body.ttl is not a field of Channel"]
    status, _ = await api(
        fake, "POST", "calendars/primary/events/watch", token=ann, body=channel | {"type": "x"}
    )
    assert status == 400  # Google's rule beyond the schema: no violation
    status, opened = await api(
        fake,
        "POST",
        "calendars/primary/events/watch",
        token=ann,
        body=channel | {"params": {"ttl": "3600"}},
    )
    assert status == 200
    assert opened["expiration"] == str(int((T0 + timedelta(hours=1)).timestamp() * 1000))
    stop = {"id": "c1", "resourceId": opened["resourceId"]}
    assert (await api(fake, "POST", "channels/stop", token=bob, body=stop))[0] == 404
    assert (await api(fake, "POST", "channels/stop", token=ann, body=stop)) == (204, None)
    assert (await api(fake, "POST", "channels/stop", token=ann, body=stop))[0] == 404
