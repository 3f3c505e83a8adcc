"""A prospect's rep written back to HubSpot as its contact's owner: the real client against the
fake HubSpot, a real database, the scheduler's queries and the task the workers run."""

from datetime import UTC, datetime, time, timedelta

import pytest

from agent.runtime import plan_from, rules_from
from agent.settings import default_settings
from db import prospects
from db import scheduler as due
from db.chats import TEAM_CHAT
from db.pool import connect
from tests.db.test_prospects import make_rep
from tests.tools.clients.test_hubspot import make
from tools.actor import TEAM
from tools.crm_sync import sync_crm
from tools.deps import Deps
from tools.services import Services
from tools.tasks import run_task

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
HOUR, EVERY = timedelta(hours=1), timedelta(minutes=30)
QUIET = due.Quiet(time(22), time(8), "Asia/Makassar")
RULES = rules_from(default_settings())


@pytest.fixture
async def db(db_dsn):
    conn = await connect(db_dsn)
    await conn.execute("UPDATE prospects SET status = 'archived' WHERE source = 'seed'")
    yield conn
    await conn.close()


async def tasks_queued(db, at: datetime) -> list[str]:
    """The owner writes the scheduler queues at `at` (in the team's background chat), their
    prospects."""
    before = await db.fetchval("SELECT coalesce(max(id), 0) FROM inbox")
    await due.owed_owners(db, now=at, every=EVERY)
    rows = await db.fetch(
        "SELECT payload->'data'->>'prospect_id' AS id FROM inbox"
        " WHERE payload->>'task' = 'hubspot_owner' AND chat_id = $1 AND id > $2",
        TEAM_CHAT,
        before,
    )
    return [r["id"] for r in rows]


async def write(db, crm, prospect_id: str, at: datetime) -> str | None:
    deps = Deps(db=db, actor=TEAM, clock=lambda: at, rules=RULES, services=Services(crm=crm))
    return await run_task(deps, "hubspot_owner", {"prospect_id": prospect_id})


def patches(hubspot_fake) -> list[str]:
    return [c for c in hubspot_fake.log() if c.startswith("PATCH")]


async def unowned_prospect(db, hubspot_fake, http):
    """A rep matched to an owner, and an unowned HubSpot contact synced as a waiting prospect."""
    rep = await make_rep(db, 100)
    owner = hubspot_fake.add_owner(rep.email)
    contact = hubspot_fake.add_contact(
        "wayan@example.com", "Wayan", lifecyclestage="lead", updated=NOW
    )
    crm = make(hubspot_fake, http)
    await sync_crm(db, crm, now=NOW + HOUR)
    (prospect,) = await db.fetch("SELECT id FROM prospects WHERE hubspot_contact_id = $1", contact)
    return rep, owner, contact, crm, prospect["id"]


def owner_of(hubspot_fake, contact: str) -> str | None:
    owner: str | None = hubspot_fake.objects["contacts"][contact]["properties"].get(
        "hubspot_owner_id"
    )
    return owner


async def test_a_round_robin_assignment_is_written_to_hubspot_once(hubspot_fake, http, db):
    rep, owner, contact, crm, prospect = await unowned_prospect(db, hubspot_fake, http)
    assert await tasks_queued(db, NOW + HOUR) == []
    assert await due.assign_waiting(db, now=NOW + HOUR, quiet=QUIET) == 1
    assert await tasks_queued(db, NOW + HOUR) == [prospect]
    assert await tasks_queued(db, NOW + HOUR) == []  # one task per attempt

    assert await write(db, crm, prospect, NOW + HOUR) is None
    assert owner_of(hubspot_fake, contact) == owner
    assert await write(db, crm, prospect, NOW + HOUR) is None  # the task retried: nothing
    assert await tasks_queued(db, NOW + 3 * HOUR) == []
    assert patches(hubspot_fake) == [f"PATCH /crm/v3/objects/contacts/{contact} 200"]

    hubspot_fake.change("contacts", contact, NOW + 2 * HOUR, phone="+62 811 000")
    result = await sync_crm(db, crm, now=NOW + 4 * HOUR)
    assert result.updated == 1
    row = await db.fetchrow("SELECT assigned_rep_id, phone FROM prospects WHERE id = $1", prospect)
    assert tuple(row) == (rep.id, "+62 811 000")
    assert await tasks_queued(db, NOW + 5 * HOUR) == []
    assert owner_of(hubspot_fake, contact) == owner
    assert len(patches(hubspot_fake)) == 1


async def test_a_failed_write_is_tried_again_and_a_sync_meanwhile_keeps_our_rep(
    hubspot_fake, http, db
):
    _, owner, contact, crm, prospect = await unowned_prospect(db, hubspot_fake, http)
    await due.assign_waiting(db, now=NOW + HOUR, quiet=QUIET)
    await write(db, crm, prospect, NOW + HOUR)
    other = await make_rep(db, 101)
    other_owner = hubspot_fake.add_owner(other.email)
    await sync_crm(db, crm, now=NOW + HOUR)
    moved = NOW + 2 * HOUR
    await prospects.assign_prospect_to_rep(db, prospect_id=prospect, rep_id=other.id, now=moved)
    assert await tasks_queued(db, moved) == [prospect]
    hubspot_fake.fail(f"/crm/v3/objects/contacts/{contact}", 500, times=3)
    outcome = await write(db, crm, prospect, moved)
    assert outcome is not None and "tried again later" in outcome
    assert owner_of(hubspot_fake, contact) == owner

    hubspot_fake.change("contacts", contact, moved + HOUR / 2, phone="+62 811 001")
    await sync_crm(db, crm, now=moved + HOUR)
    row = await prospects.get_prospect(db, prospect_id=prospect)
    assert row is not None and row.assigned_rep_id == other.id
    assert await tasks_queued(db, moved + EVERY / 2) == []  # the same attempt: queued already
    assert await tasks_queued(db, moved + EVERY) == [prospect]
    assert await write(db, crm, prospect, moved + EVERY) is None
    assert owner_of(hubspot_fake, contact) == other_owner
    assert await tasks_queued(db, moved + 3 * EVERY) == []


async def test_a_rep_with_no_hubspot_owner_owes_nothing(hubspot_fake, http, db):
    contact = hubspot_fake.add_contact(
        "ketut@example.com", "Ketut", lifecyclestage="lead", updated=NOW
    )
    await sync_crm(db, make(hubspot_fake, http), now=NOW + HOUR)
    await make_rep(db, 100)
    assert await due.assign_waiting(db, now=NOW + HOUR, quiet=QUIET) == 1
    for at in (NOW + HOUR, NOW + 5 * HOUR, NOW + 100 * HOUR):
        assert await tasks_queued(db, at) == []
    assert owner_of(hubspot_fake, contact) is None
    assert patches(hubspot_fake) == []


def test_owners_are_written_only_when_an_admin_turned_it_on():
    token = {"hubspot_access_token": "pat-x"}
    assert plan_from(default_settings(**token)).owner_write_every is None
    assert plan_from(default_settings(hubspot_write_owners=True)).owner_write_every is None
    on = plan_from(default_settings(**token, hubspot_write_owners=True))
    assert on.owner_write_every == timedelta(minutes=default_settings().owed_retry_minutes)
