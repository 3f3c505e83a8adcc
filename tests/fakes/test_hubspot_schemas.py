"""The fake HubSpot against HubSpot's published models: what drifts is caught."""

import importlib
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from inline_snapshot import snapshot

from tests.fakes import hubspot_schemas
from tests.fakes.hubspot import FakeHubSpot

TOKEN = "pat-test-token"
ROOT = str(Path(__file__).resolve().parents[2])


@pytest.fixture
async def fake():
    async with FakeHubSpot(token=TOKEN) as server:
        yield server


@pytest.fixture
async def http(fake):
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(base_url=fake.url, headers=headers) as client:
        yield client


@pytest.mark.parametrize("point", hubspot_schemas.ENDPOINTS, ids=lambda p: f"{p.method} {p.path}")
def test_every_model_the_table_names_is_in_hubspots_package(point):
    packages = [point.package] if point.package else list(hubspot_schemas.PACKAGES.values())
    for package in packages:
        models = importlib.import_module(f"{package}.models")
        for name in [point.request, *point.responses.values(), "Error"]:
            assert name is None or hasattr(models, name), (package, name)


def test_a_request_finds_its_endpoint_by_method_path_and_object_type():
    search = hubspot_schemas.endpoint("POST", "/crm/v3/objects/0-3/search")
    assert search is not None
    assert (search[0].request, search[1]) == ("PublicObjectSearchRequest", "hubspot.crm.deals")
    read = hubspot_schemas.endpoint("GET", "/crm/v3/objects/notes/7")
    assert read is not None
    assert read[1] == "hubspot.crm.objects.notes"
    assert hubspot_schemas.endpoint("DELETE", "/crm/v3/objects/notes/7") is None
    assert hubspot_schemas.endpoint("GET", "/crm/v3/objects/widgets") is None


def owner_with(**change):
    def drift(fake):
        fake.add_owner("ann@example.com", "Ann")
        fake.owners[0] |= change

    return drift


def deal_with(**change):
    def drift(fake):
        deal = fake.objects["deals"][fake.add_deal(fake.add_contact("a@b.c"), "Villa")]
        deal |= change

    return drift


def deal_amount_as_number(fake):
    deal = fake.objects["deals"][fake.add_deal(fake.add_contact("a@b.c"), "Villa")]
    deal["properties"]["amount"] = 350000


def deal_without(key):
    def drift(fake):
        del fake.objects["deals"][fake.add_deal(fake.add_contact("a@b.c"), "Villa")][key]

    return drift


@pytest.mark.parametrize(
    ("drift", "path", "problem"),
    [
        (
            owner_with(team="Sales"),
            "/crm/v3/owners",
            "CollectionResponsePublicOwnerForwardPaging.results[0] (PublicOwner) has no team",
        ),
        (
            owner_with(type="ROBOT"),
            "/crm/v3/owners",
            "CollectionResponsePublicOwnerForwardPaging: Invalid value for `type` (ROBOT), must be one of ['PERSON', 'QUEUE']",
        ),
        (
            owner_with(userId="5001"),
            "/crm/v3/owners",
            "CollectionResponsePublicOwnerForwardPaging.results[0].userId: '5001' is str, not int",
        ),
        (
            deal_amount_as_number,
            "/crm/v3/objects/deals",
            "CollectionResponseSimplePublicObjectWithAssociationsForwardPaging.results[0].properties.amount: 350000 is int, not str",
        ),
        (
            deal_with(updatedAt="yesterday"),
            "/crm/v3/objects/deals",
            "CollectionResponseSimplePublicObjectWithAssociationsForwardPaging.results[0].updatedAt: 'yesterday' is not an ISO-8601 datetime",
        ),
        (
            deal_without("createdAt"),
            "/crm/v3/objects/deals",
            "CollectionResponseSimplePublicObjectWithAssociationsForwardPaging: Invalid value for `created_at`, must not be `None`",
        ),
    ],
    ids=["unknown key", "enum", "type", "property type", "date-time", "required"],
)
async def test_an_answer_that_drifted_from_the_models_fails_the_test(
    fake, http, hubspot_drift, drift, path, problem
):
    drift(fake)
    await http.get(path)
    expected = f"GET {path} 200: {problem}"
    assert fake.schemas.drift == [expected]
    # The suite's fixture fails every test whose fake drifted; this one expects it.
    assert hubspot_drift == [expected]
    hubspot_drift.clear()


async def test_an_answer_with_a_status_the_specs_do_not_list_is_drift(fake, hubspot_drift):
    fake.schemas.response("GET", "/crm/v3/owners", 202, {"results": []})
    assert hubspot_drift == snapshot(
        ["GET /crm/v3/owners 202: status 202 is not among the answers HubSpot's specs list"]
    )
    hubspot_drift.clear()


@pytest.mark.parametrize(
    ("path", "body", "problem"),
    [
        (
            "/crm/v3/objects/contacts/search",
            {
                "filterGroups": [
                    {
                        "filters": [
                            {
                                "propertyName": "email",
                                "operator": "EQ",
                                "value": "a@b.c",
                                "colour": "blue",
                            }
                        ]
                    }
                ],
                "properties": [],
                "sorts": [],
                "limit": 1,
                "after": "0",
            },
            "PublicObjectSearchRequest.filterGroups[0].filters[0] (Filter) has no colour",
        ),
        (
            "/crm/v3/objects/contacts/search",
            {
                "filterGroups": [{"filters": [{"propertyName": "email", "operator": "LIKE"}]}],
                "properties": [],
                "sorts": [],
                "limit": 1,
                "after": "0",
            },
            "PublicObjectSearchRequest: Invalid value for `operator` (LIKE), must be one of",
        ),
        (
            "/crm/v3/objects/deals",
            {"properties": {"amount": 1500}, "associations": []},
            "SimplePublicObjectInputForCreate.properties.amount: 1500 is int, not str",
        ),
        (
            "/crm/v3/objects/notes",
            {
                "properties": {"hs_timestamp": "2026-11-20T10:00:00Z"},
                "associations": [{"to": {"id": "1"}}],
            },
            "SimplePublicObjectInputForCreate: Invalid value for `types`, must not be `None`",
        ),
    ],
    ids=["nested unknown key", "enum", "type", "required"],
)
async def test_a_request_that_is_not_the_model_is_400_and_a_violation(
    fake, http, path, body, problem
):
    answer = await http.post(path, json=body)
    assert (answer.status_code, answer.json()["category"]) == (400, "VALIDATION_ERROR")
    assert fake.violations == [answer.json()["message"]]
    assert fake.violations[0].startswith(f"POST {path}: {problem}")
    assert fake.schemas.drift == []


async def test_a_fake_told_not_to_check_does_not(hubspot_drift):
    async with FakeHubSpot(token=TOKEN, schemas=False) as fake:
        fake.add_owner("ann@example.com")
        fake.owners[0]["team"] = "Sales"
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with httpx.AsyncClient(base_url=fake.url, headers=headers) as http:
            assert (await http.get("/crm/v3/owners")).status_code == 200
    assert fake.schemas.drift == hubspot_drift == []


DRIFTING_TEST = """
import httpx

from tests.fakes.hubspot import FakeHubSpot


async def test_owners_are_listed():
    async with FakeHubSpot(token="t") as fake:
        fake.add_owner("ann@example.com")
        fake.owners[0]["team"] = "Sales"
        headers = {"Authorization": "Bearer t"}
        async with httpx.AsyncClient(base_url=fake.url, headers=headers) as http:
            assert (await http.get("/crm/v3/owners")).status_code == 200
"""


def test_the_suite_fails_a_test_whose_fake_drifted(tmp_path):
    """The same test run as the suite runs it: it passes its own asserts, and errors."""
    (tmp_path / "test_drifting.py").write_text(DRIFTING_TEST)
    options = ["-q", "-p", "no:cacheprovider", "-p", "tests.conftest", "-o", "asyncio_mode=auto"]
    options += ["-o", "asyncio_default_fixture_loop_scope=function"]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", *options, str(tmp_path)],
        env={**os.environ, "PYTHONPATH": ROOT},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 passed, 1 error" in run.stdout
    assert "PublicOwner) has no team" in run.stdout
