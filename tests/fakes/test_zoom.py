"""The fake Zoom server over plain HTTP, and its hand-written schema against Zoom's own spec."""

import asyncio
import copy
import json
import os
from pathlib import Path

import httpx
import pytest
from inline_snapshot import snapshot

from tests.fakes import zoom_schema
from tests.fakes.zoom import FakeZoom

REPO = Path(__file__).resolve().parents[2]
# The unlicensed spec stays outside the repo: the shared specs folder beside it, or ZOOM_SPEC.
SPEC = Path(
    os.environ.get("ZOOM_SPEC") or REPO.parent / "shared/specs/zoom/ZoomMeetingAPISpec.json"
)
MEETING = {
    "topic": "Villa viewing",
    "type": 2,
    "start_time": "2026-11-25T03:00:00Z",
    "duration": 30,
    "timezone": "Asia/Makassar",
    "settings": {"join_before_host": False, "waiting_room": True},
}


@pytest.fixture
async def fake():
    async with FakeZoom() as server:
        yield server


@pytest.fixture
async def http(fake):
    async with httpx.AsyncClient(base_url=fake.url) as client:
        yield client


async def token(http, fake, **form):
    form = {"grant_type": "account_credentials", "account_id": fake.account_id} | form
    answer = await http.post("/oauth/token", data=form, auth=(fake.client_id, fake.client_secret))
    return answer


async def bearer(http, fake):
    answer = await token(http, fake)
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def test_a_token_needs_the_app_credentials_and_the_account(fake, http):
    answer = await token(http, fake)
    assert answer.status_code == 200
    assert answer.json() | {"access_token": "..."} == snapshot(
        {
            "access_token": "...",
            "token_type": "bearer",
            "expires_in": 3600,
            "scope": "meeting:write:admin meeting:read:admin",
            "api_url": "https://api.zoom.us",
        }
    )
    query = {"grant_type": "account_credentials", "account_id": fake.account_id}
    in_query = await http.post(
        "/oauth/token", params=query, auth=(fake.client_id, fake.client_secret)
    )
    assert in_query.status_code == 200

    wrong_secret = await http.post("/oauth/token", data=query, auth=(fake.client_id, "nope"))
    wrong_grant = await token(http, fake, grant_type="client_credentials")
    wrong_account = await token(http, fake, account_id="other")
    assert [
        (r.status_code, r.json()["error"]) for r in (wrong_secret, wrong_grant, wrong_account)
    ] == [
        (401, "invalid_client"),
        (400, "unsupported_grant_type"),
        (400, "invalid_request"),
    ]
    assert fake.calls[0].body == {"grant_type": "account_credentials", "account_id": "acc-test"}


async def test_the_api_wants_a_live_token(fake, http):
    now = [0.0]
    fake.clock = lambda: now[0]
    headers = await bearer(http, fake)
    assert (
        await http.post("/v2/users/anna@truerealestate.bali/meetings", json=MEETING)
    ).json() == {
        "code": 124,
        "message": "Invalid access token.",
    }
    assert (
        await http.post(
            "/v2/users/anna@truerealestate.bali/meetings", json=MEETING, headers=headers
        )
    ).status_code == 201

    now[0] = 3600.0
    expired = await http.post(
        "/v2/users/anna@truerealestate.bali/meetings", json=MEETING, headers=headers
    )
    assert (expired.status_code, expired.json()["message"]) == (401, "Access token is expired.")

    headers = await bearer(http, fake)
    fake.expire_tokens()
    assert (await http.get("/v2/meetings/1", headers=headers)).status_code == 401


async def test_a_meeting_is_created_read_and_deleted_with_a_64_bit_id(fake, http):
    headers = await bearer(http, fake)
    created = await http.post(
        "/v2/users/Anna@truerealestate.bali/meetings", json=MEETING, headers=headers
    )
    meeting = created.json()
    assert created.status_code == 201
    assert meeting["id"] > 2**32
    assert meeting["host_email"] == "anna@truerealestate.bali"
    assert (meeting["start_time"], meeting["topic"], meeting["settings"]["waiting_room"]) == (
        "2026-11-25T03:00:00Z",
        "Villa viewing",
        True,
    )
    assert str(meeting["id"]) in meeting["join_url"]
    assert (await http.get(f"/v2/meetings/{meeting['id']}", headers=headers)).json() == meeting

    assert (await http.delete(f"/v2/meetings/{meeting['id']}", headers=headers)).status_code == 204
    gone = await http.delete(f"/v2/meetings/{meeting['id']}", headers=headers)
    assert (gone.status_code, gone.json()["code"]) == (404, 3001)
    assert fake.log()[1:] == snapshot(
        [
            "POST /v2/users/Anna@truerealestate.bali/meetings 201",
            "GET /v2/meetings/85746065001 200",
            "DELETE /v2/meetings/85746065001 204",
            "DELETE /v2/meetings/85746065001 404",
        ]
    )
    assert fake.violations == []


async def test_a_deleted_meeting_is_recovered_by_its_status_and_an_unknown_one_is_not(fake, http):
    headers = await bearer(http, fake)
    created = await http.post(
        "/v2/users/anna@truerealestate.bali/meetings", json=MEETING, headers=headers
    )
    meeting_id = created.json()["id"]
    await http.delete(f"/v2/meetings/{meeting_id}", headers=headers)
    assert (await http.get(f"/v2/meetings/{meeting_id}", headers=headers)).status_code == 404
    recover = {"action": "recover"}
    answers = [
        await http.put(f"/v2/meetings/{meeting_id}/status", json=recover, headers=headers),
        await http.get(f"/v2/meetings/{meeting_id}", headers=headers),
        await http.put(f"/v2/meetings/{meeting_id}/status", json=recover, headers=headers),
        await http.put("/v2/meetings/1/status", json=recover, headers=headers),
        await http.put(
            f"/v2/meetings/{meeting_id}/status", json={"action": "undo"}, headers=headers
        ),
        await http.put(f"/v2/meetings/{meeting_id}/status", json={}, headers=headers),
    ]
    assert [a.status_code for a in answers] == [204, 200, 204, 404, 400, 400]
    assert answers[1].json() == created.json()
    assert (fake.trash, fake.violations) == snapshot(
        (
            {},
            [
                "meetingStatus: body.action: 'undo' is not one of ['end', 'recover']",
                "meetingStatus: body: 'action' is required",
            ],
        )
    )


async def test_a_local_start_time_is_read_in_its_timezone(fake, http):
    local = MEETING | {"start_time": "2026-11-25T11:00:00", "timezone": "Asia/Makassar"}
    created = await http.post(
        "/v2/users/anna@truerealestate.bali/meetings", json=local, headers=await bearer(http, fake)
    )
    assert created.json()["start_time"] == "2026-11-25T03:00:00Z"
    assert fake.violations == []


async def test_a_user_outside_the_account_is_zoom_error_1001(fake, http):
    answer = await http.post(
        "/v2/users/bob@truerealestate.bali/meetings", json=MEETING, headers=await bearer(http, fake)
    )
    assert (answer.status_code, answer.json()) == (
        404,
        {"code": 1001, "message": "User does not exist: bob@truerealestate.bali."},
    )


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"colour": "blue"}, "body: unknown field 'colour'"),
        ({"type": 5}, "body.type: 5 is not one of [1, 2, 3, 8]"),
        ({"duration": "30"}, "body.duration: expected integer, got str"),
        ({"agenda": "x" * 2001}, "body.agenda: longer than 2000 characters"),
        ({"start_time": "25/11/2026 11:00"}, "body.start_time: '25/11/2026 11:00' is neither"),
        ({"settings": {"waiting_room": "yes"}}, "body.settings.waiting_room: expected boolean"),
        ({"settings": {"auto_recording": "tape"}}, "body.settings.auto_recording: 'tape' is not"),
    ],
)
async def test_a_body_outside_the_spec_is_refused_and_recorded(fake, http, change, problem):
    answer = await http.post(
        "/v2/users/anna@truerealestate.bali/meetings",
        json=MEETING | change,
        headers=await bearer(http, fake),
    )
    assert (answer.status_code, answer.json()["code"], answer.json()["message"]) == (
        400,
        300,
        "Validation Failed.",
    )
    assert len(fake.violations) == 1
    assert fake.violations[0].startswith(f"meetingCreate: {problem}")


async def test_an_answer_outside_the_spec_is_a_violation_too(fake, http):
    await http.post(
        "/v2/users/anna@truerealestate.bali/meetings",
        json=MEETING | {"topic": "t" * 201},
        headers=await bearer(http, fake),
    )
    assert fake.violations == ["meetingCreate answer.topic: longer than 200 characters"]


async def test_faults_are_served_in_order_then_the_real_answer(fake, http):
    fake.fail("/meetings", 429, times=2, headers={"Retry-After": "3"})
    fake.fail("/oauth", 503)
    assert (await token(http, fake)).status_code == 503
    headers = await bearer(http, fake)
    statuses = []
    for _ in range(3):
        answer = await http.post(
            "/v2/users/anna@truerealestate.bali/meetings", json=MEETING, headers=headers
        )
        statuses.append((answer.status_code, answer.headers.get("Retry-After")))
    assert statuses == [(429, "3"), (429, "3"), (201, None)]
    assert fake.calls[2].body == MEETING


async def test_a_closed_gate_holds_every_answer_until_it_opens(fake, http):
    fake.gate.close()
    answering = asyncio.create_task(token(http, fake))
    await fake.gate.reached(1)
    assert (answering.done(), fake.calls) == (False, [])
    fake.gate.open()
    assert (await answering).status_code == 200
    assert fake.log() == ["POST /oauth/token 200"]


def mismatches(spec, ours, theirs, where):
    """Where our extract says something the published spec does not."""
    if theirs is None:
        return [f"{where}: not in the published spec"]
    while "$ref" in theirs:
        target = spec
        for part in theirs["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        theirs = target
    problems = [
        f"{where}.{key}: ours {ours.get(key)!r}, published {theirs.get(key)!r}"
        for key in ("type", "format", "enum", "maxLength")
        if ours.get(key) != theirs.get(key)
    ]
    for name, field in ours.get("properties", {}).items():
        published = theirs.get("properties", {}).get(name)
        problems += mismatches(spec, field, published, f"{where}.{name}")
    if "items" in ours:
        problems += mismatches(spec, ours["items"], theirs.get("items"), f"{where}[]")
    return problems


@pytest.mark.skipif(not SPEC.is_file(), reason="Zoom's spec is not beside the repo (set ZOOM_SPEC)")
def test_schema_matches_published_spec():
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    create = spec["paths"]["/users/{userId}/meetings"]["post"]
    request = create["requestBody"]["content"]["application/json"]["schema"]
    created = create["responses"]["201"]["content"]["application/json"]["schema"]
    got = spec["paths"]["/meetings/{meetingId}"]["get"]["responses"]["200"]
    meeting = got["content"]["application/json"]["schema"]
    status = spec["paths"]["/meetings/{meetingId}/status"]["put"]["requestBody"]

    assert mismatches(spec, zoom_schema.MEETING_CREATE, request, "request") == []
    assert mismatches(spec, zoom_schema.MEETING_CREATED, created, "201") == []
    assert mismatches(spec, zoom_schema.MEETING_EXTRA, meeting, "GET") == []
    status_request = status["content"]["application/json"]["schema"]
    assert mismatches(spec, zoom_schema.MEETING_STATUS, status_request, "status") == []

    # The comparison itself notices a difference.
    wrong = copy.deepcopy(zoom_schema.MEETING_CREATE)
    wrong["properties"]["agenda"]["maxLength"] = 200
    wrong["properties"]["settings"]["properties"]["audio"]["enum"] = ["both"]
    wrong["properties"]["colour"] = {"type": "string"}
    assert mismatches(spec, wrong, request, "request") == [
        "request.agenda.maxLength: ours 200, published 2000",
        "request.settings.audio.enum: ours ['both'], published ['both', 'telephony', 'voip']",
        "request.colour: not in the published spec",
    ]
