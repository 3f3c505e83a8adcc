"""The fake HubSpot server over plain HTTP."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from dirty_equals import IsStr
from inline_snapshot import snapshot

from tests.fakes.hubspot import FakeHubSpot

TOKEN = "pat-test-token"
WHEN = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def search_body(email):
    filters = [{"propertyName": "email", "operator": "EQ", "value": email}]
    return {
        "filterGroups": [{"filters": filters}],
        "properties": ["email"],
        "sorts": [],
        "limit": 10,
        "after": "0",
    }


def note_body(contact_id, type_id=202):
    types = [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}]
    return {
        "properties": {"hs_timestamp": "2026-11-20T10:00:00.000Z", "hs_note_body": "Called"},
        "associations": [{"to": {"id": contact_id}, "types": types}],
    }


@pytest.fixture
async def fake():
    async with FakeHubSpot(token=TOKEN) as server:
        yield server
    assert server.violations == []


@pytest.fixture
async def http(fake):
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(base_url=fake.url, headers=headers) as client:
        yield client


async def test_a_request_without_the_token_is_401_with_hubspots_error_body(fake):
    async with httpx.AsyncClient(base_url=fake.url) as anonymous:
        answer = await anonymous.post("/crm/v3/objects/contacts/search", json=search_body("a@b.c"))
    assert answer.status_code == 401
    assert answer.json() == {
        "status": "error",
        "message": "Authentication credentials not found.",
        "correlationId": IsStr(min_length=36),
        "category": "INVALID_AUTHENTICATION",
    }


async def test_contacts_are_created_once_per_email_and_found_by_search(fake, http):
    created = await http.post(
        "/crm/v3/objects/contacts",
        json={
            "properties": {"email": "Ketut@Example.com", "firstname": "Ketut"},
            "associations": [],
        },
    )
    contact = created.json()
    assert created.status_code == 201
    assert contact["properties"] | {"createdate": "-", "lastmodifieddate": "-"} == snapshot(
        {
            "hs_object_id": "1001",
            "hs_createdate": IsStr(),
            "hs_lastmodifieddate": IsStr(),
            "createdate": "-",
            "lastmodifieddate": "-",
            "email": "ketut@example.com",
            "firstname": "Ketut",
        }
    )
    again = await http.post(
        "/crm/v3/objects/contacts",
        json={"properties": {"email": "ketut@example.com"}, "associations": []},
    )
    assert (again.status_code, again.json()["category"], again.json()["message"]) == (
        409,
        "CONFLICT",
        "Contact already exists. Existing ID: 1001",
    )
    found = (
        await http.post("/crm/v3/objects/contacts/search", json=search_body("KETUT@example.com"))
    ).json()
    assert (found["total"], found["results"][0]["id"]) == (1, "1001")
    assert found["results"][0]["properties"] == {
        "email": "ketut@example.com",
        "hs_object_id": "1001",
    }


async def test_a_contact_not_yet_indexed_is_missed_by_search_but_read_by_email(fake, http):
    contact_id = fake.add_contact("new@example.com", "New", searchable=False)
    found = await http.post("/crm/v3/objects/contacts/search", json=search_body("new@example.com"))
    assert found.json() == {"total": 0, "results": []}
    read = await http.get(
        "/crm/v3/objects/contacts/new@example.com", params={"idProperty": "email"}
    )
    assert read.json()["id"] == contact_id
    missing = await http.get(
        "/crm/v3/objects/contacts/nobody@example.com", params={"idProperty": "email"}
    )
    assert (missing.status_code, missing.json()["category"]) == (404, "OBJECT_NOT_FOUND")


@pytest.mark.parametrize(
    ("path", "body", "problem"),
    [
        (
            "/crm/v3/objects/contacts/search",
            search_body("a@b.c") | {"colour": "blue"},
            "search: unknown fields ['colour']",
        ),
        (
            "/crm/v3/objects/contacts/search",
            {"filterGroups": [], "limit": 1},
            "search: missing required fields ['after', 'properties', 'sorts']",
        ),
        (
            "/crm/v3/objects/contacts/search",
            search_body("a@b.c") | {"after": 0},
            "search: after 0 is not a string",
        ),
        (
            "/crm/v3/objects/contacts",
            {"properties": {"email": "a@b.c"}},
            "create: missing required fields ['associations']",
        ),
        (
            "/crm/v3/objects/contacts",
            {"properties": {"age": "30"}, "associations": []},
            'contacts: Property "age" does not exist',
        ),
        (
            "/crm/v3/objects/deals",
            {"properties": {"amount": 1500}, "associations": []},
            "deals: property amount is int, not a string",
        ),
        (
            "/crm/v3/objects/notes",
            {"properties": {"hs_note_body": "x"}, "associations": []},
            "notes: hs_timestamp is required",
        ),
        (
            "/crm/v3/objects/widgets",
            {"properties": {}, "associations": []},
            "Unable to infer object type from: widgets",
        ),
        (
            "/crm/v3/objects/deals/batch/read",
            {"inputs": [{"id": 1}], "properties": [], "propertiesWithHistory": []},
            "batch read: every input is {id: string}",
        ),
    ],
)
async def test_a_malformed_request_is_400_validation_error_and_a_violation(
    fake, http, path, body, problem
):
    answer = await http.post(path, json=body)
    assert (answer.status_code, answer.json()["category"]) == (400, "VALIDATION_ERROR")
    assert answer.json()["message"].startswith(problem)
    assert [v.startswith(problem) for v in fake.violations] == [True]
    fake.violations.clear()


async def test_a_note_is_associated_both_ways_with_the_defined_types(fake, http):
    contact_id = fake.add_contact("ketut@example.com")
    note = await http.post("/crm/v3/objects/notes", json=note_body(contact_id))
    note_id = note.json()["id"]
    assert note.status_code == 201
    to_notes = await http.get(f"/crm/v4/objects/contacts/{contact_id}/associations/notes")
    to_contact = await http.get(f"/crm/v4/objects/0-46/{note_id}/associations/0-1")
    assert to_notes.json() == {
        "results": [
            {
                "toObjectId": int(note_id),
                "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 201, "label": None}],
            }
        ]
    }
    assert to_contact.json()["results"][0]["associationTypes"][0]["typeId"] == 202

    wrong_type = await http.post("/crm/v3/objects/notes", json=note_body(contact_id, type_id=200))
    assert wrong_type.status_code == 400
    assert fake.violations == ["notes: no HUBSPOT_DEFINED association type 200 from notes"]
    fake.violations.clear()
    no_contact = await http.post("/crm/v3/objects/notes", json=note_body("999"))
    assert (no_contact.status_code, fake.violations) == (400, [])


async def test_deals_are_read_by_name_or_type_id_in_batches_and_singly(fake, http):
    contact_id = fake.add_contact("ketut@example.com")
    deal_id = fake.add_deal(contact_id, "Villa Canggu", "contractsent", 350000, WHEN, created=WHEN)
    bare_id = fake.add_deal(contact_id, "Land Ubud")
    wanted = ["dealname", "amount", "closedate", "createdate"]
    body = {
        "inputs": [{"id": deal_id}, {"id": bare_id}],
        "properties": wanted,
        "propertiesWithHistory": [],
    }
    by_name = await http.post("/crm/v3/objects/deals/batch/read", json=body)
    by_id = await http.post("/crm/v3/objects/0-3/batch/read", json=body)
    assert by_name.status_code == by_id.status_code == 200
    assert by_name.json()["results"] == by_id.json()["results"]
    assert [r["properties"] for r in by_name.json()["results"]] == [
        {
            "dealname": "Villa Canggu",
            "amount": "350000",
            "closedate": "2026-11-01T09:00:00.000Z",
            "createdate": "2026-11-01T09:00:00.000Z",
            "hs_object_id": deal_id,
        },
        {
            "dealname": "Land Ubud",
            "amount": None,
            "closedate": None,
            "createdate": IsStr(),
            "hs_object_id": bare_id,
        },
    ]
    partly = await http.post(
        "/crm/v3/objects/deals/batch/read", json=body | {"inputs": [{"id": deal_id}, {"id": "42"}]}
    )
    assert partly.status_code == 207
    assert (len(partly.json()["results"]), partly.json()["errors"][0]["context"]) == (
        1,
        {"ids": ["42"]},
    )
    single = await http.get(f"/crm/v3/objects/0-3/{deal_id}", params={"properties": "dealstage"})
    assert single.json()["properties"] == {"dealstage": "contractsent", "hs_object_id": deal_id}


async def test_associations_come_in_pages(fake, http):
    fake.max_page = 2
    contact_id = fake.add_contact("ketut@example.com")
    deals = [fake.add_deal(contact_id, f"Deal {n}") for n in range(3)]
    first = (await http.get(f"/crm/v4/objects/contacts/{contact_id}/associations/deals")).json()
    after = first["paging"]["next"]["after"]
    second = (
        await http.get(
            f"/crm/v4/objects/contacts/{contact_id}/associations/deals", params={"after": after}
        )
    ).json()
    assert "paging" not in second
    assert [str(r["toObjectId"]) for r in first["results"] + second["results"]] == deals


async def test_associations_are_read_in_a_batch_leaving_out_deals_without_any(fake, http):
    ayu, bagus = fake.add_contact("ayu@example.com"), fake.add_contact("bagus@example.com")
    deal = fake.add_deal(ayu, "Villa")
    fake.associate("deals", deal, "contacts", bagus)
    path = "/crm/v4/associations/deals/contacts/batch/read"
    answer = await http.post(path, json={"inputs": [{"id": deal}, {"id": "999"}]})
    assert answer.json()["results"] == [
        {
            "from": {"id": deal},
            "to": [
                {
                    "toObjectId": c,
                    "associationTypes": [
                        {"category": "HUBSPOT_DEFINED", "typeId": 3, "label": None}
                    ],
                }
                for c in (ayu, bagus)
            ],
        }
    ]
    refused = await http.post(path, json={"inputs": [deal]})
    assert (refused.status_code, len(fake.violations)) == (400, 1)
    fake.violations.clear()


async def test_the_fake_enforces_100_requests_per_10_seconds_of_its_clock(fake, http):
    now = [0.0]
    fake.clock = lambda: now[0]
    for _ in range(100):
        assert (await http.get("/crm/v3/objects/contacts/1")).status_code == 404
    limited = await http.get("/crm/v3/objects/contacts/1")
    assert limited.status_code == 429
    assert limited.json() | {"correlationId": "-"} == snapshot(
        {
            "status": "error",
            "message": "You have reached your ten_secondly_rolling limit.",
            "correlationId": "-",
            "category": "RATE_LIMITS",
            "errorType": "RATE_LIMIT",
            "policyName": "TEN_SECONDLY_ROLLING",
        }
    )
    now[0] = 9.99
    assert (await http.get("/crm/v3/objects/contacts/1")).status_code == 429
    now[0] = 10.0
    assert (await http.get("/crm/v3/objects/contacts/1")).status_code == 404
    assert fake.rate_limited == 2


async def test_faults_come_first_then_the_real_answer(fake, http):
    fake.fail("/search", 502, times=2)
    statuses = [
        (await http.post("/crm/v3/objects/contacts/search", json=search_body("a@b.c"))).status_code
        for _ in range(3)
    ]
    assert statuses == [502, 502, 200]
    assert fake.log() == snapshot(
        [
            "POST /crm/v3/objects/contacts/search 502",
            "POST /crm/v3/objects/contacts/search 502",
            "POST /crm/v3/objects/contacts/search 200",
        ]
    )


def changed_body(since_ms, until_ms, stages, after="0", limit=2):
    filters = [
        {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": str(since_ms)},
        {"propertyName": "hs_lastmodifieddate", "operator": "LT", "value": str(until_ms)},
        {"propertyName": "lifecyclestage", "operator": "IN", "values": stages},
    ]
    return {
        "filterGroups": [{"filters": filters}],
        "properties": ["email", "lifecyclestage"],
        "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
        "limit": limit,
        "after": after,
    }


def ms(at):
    return int(at.timestamp() * 1000)


async def test_search_filters_by_time_range_and_stage_sorts_pages_and_skips_archived(fake, http):
    at = [WHEN + timedelta(hours=h) for h in range(6)]
    fake.add_contact("late@example.com", updated=at[4], lifecyclestage="lead")
    fake.add_contact("early@example.com", updated=at[1], lifecyclestage="lead")
    fake.add_contact("customer@example.com", updated=at[2], lifecyclestage="customer")
    gone = fake.add_contact("gone@example.com", updated=at[2], lifecyclestage="lead")
    fake.archive("contacts", gone)
    fake.add_contact("mid@example.com", updated=at[3], lifecyclestage="opportunity")
    fake.add_contact("after@example.com", updated=at[5], lifecyclestage="lead")
    body = changed_body(ms(at[1]), ms(at[5]), ["lead", "opportunity"])
    first = (await http.post("/crm/v3/objects/contacts/search", json=body)).json()
    body["after"] = first["paging"]["next"]["after"]
    second = (await http.post("/crm/v3/objects/contacts/search", json=body)).json()
    emails = [r["properties"]["email"] for r in first["results"] + second["results"]]
    assert (first["total"], emails, "paging" in second) == snapshot(
        (3, ["early@example.com", "mid@example.com", "late@example.com"], False)
    )


async def test_search_refuses_to_page_past_10000_results(fake, http):
    body = changed_body(0, ms(WHEN), ["lead"], after="10000")
    answer = await http.post("/crm/v3/objects/contacts/search", json=body)
    assert (answer.status_code, answer.json()["category"]) == (400, "VALIDATION_ERROR")
    assert fake.violations == []


async def test_search_has_its_own_limit_per_second(http):
    clock = [0.0]
    async with FakeHubSpot(token=TOKEN, clock=lambda: clock[0]) as fake:
        fake.search_limit = 5
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with httpx.AsyncClient(base_url=fake.url, headers=headers) as client:
            body = search_body("a@b.c")
            statuses = [
                (await client.post("/crm/v3/objects/contacts/search", json=body)).status_code
                for _ in range(6)
            ]
            refused = await client.post("/crm/v3/objects/contacts/search", json=body)
            clock[0] = 1.0
            again = await client.post("/crm/v3/objects/contacts/search", json=body)
    assert statuses == [200] * 5 + [429]
    assert refused.json()["policyName"] == "SECONDLY"
    assert again.status_code == 200


async def test_owners_page_with_after_and_leave_out_archived_ones(fake, http):
    made = [fake.add_owner(f"o{i}@example.com", f"Owner{i}") for i in range(3)]
    fake.add_owner("left@example.com", archived=True)
    first = (await http.get("/crm/v3/owners", params={"limit": 2})).json()
    after = first["paging"]["next"]["after"]
    second = (await http.get("/crm/v3/owners", params={"limit": 2, "after": after})).json()
    assert [o["id"] for o in first["results"] + second["results"]] == made
    assert "paging" not in second
    bad = await http.get("/crm/v3/owners", params={"limit": 1000})
    assert bad.status_code == 400
    fake.violations.clear()


@pytest.mark.parametrize(
    "sort",
    [{"propertyName": "email", "direction": "UP"}, 7],
)
async def test_a_malformed_sort_is_refused(fake, http, sort):
    body = search_body("a@b.c") | {"sorts": [sort]}
    answer = await http.post("/crm/v3/objects/contacts/search", json=body)
    assert answer.status_code == 400
    assert len(fake.violations) == 1
    fake.violations.clear()
