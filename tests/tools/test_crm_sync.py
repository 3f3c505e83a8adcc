"""Prospects and owners synced from HubSpot: the real client against the fake HubSpot, into a
real database."""

import asyncio
import contextlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from inline_snapshot import snapshot

from agent.runtime import rules_from
from agent.settings import default_settings
from db import crm_sync, prospects
from db.pool import connect
from tests.agent.scripted import ADMIN
from tests.db.test_prospects import make_rep
from tests.fakes import hubspot_shapes as shapes
from tests.fakes.clock import FakeClock
from tests.fakes.hubspot import FakeHubSpot
from tests.tools.clients.test_hubspot import TOKEN, fast, make, on
from tools.clients.errors import RateLimited
from tools.crm_sync import ahead, sync_crm

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture
async def db(db_dsn):
    conn = await connect(db_dsn)
    yield conn
    await conn.close()


async def synced(db):
    rows = await db.fetch(
        "SELECT p.name, p.email, p.phone, p.telegram_id, p.hubspot_contact_id, p.source,"
        " p.status, p.notes, r.email AS rep FROM prospects p LEFT JOIN reps r"
        " ON r.id = p.assigned_rep_id WHERE p.source <> 'seed' ORDER BY p.name"
    )
    return [tuple(r.values()) for r in rows]


async def test_a_first_sync_brings_owners_and_contacts_in(hubspot_fake, http, db):
    rep = await make_rep(db, 100)
    owner = hubspot_fake.add_owner(rep.email.upper(), "Rep", "Hundred")
    hubspot_fake.add_owner("stranger@example.com", "Str", "Anger")
    hubspot_fake.add_contact(
        "wayan@example.com",
        "Wayan",
        "Sari",
        updated=NOW - DAY,
        lifecyclestage="lead",
        hubspot_owner_id=owner,
        phone="+62 1",
        tg="wayan_s",
    )
    hubspot_fake.add_contact(
        "nyoman@example.com", "Nyoman", updated=NOW - DAY, lifecyclestage="opportunity"
    )
    hubspot_fake.add_contact(
        "buyer@example.com", "Buyer", updated=NOW - DAY, lifecyclestage="customer"
    )
    result = await sync_crm(db, make(hubspot_fake, http), now=NOW, telegram_property="tg")
    assert (result.created, result.updated, result.owners_matched) == (2, 0, 1)
    assert [o.email for o in result.unmatched_owners] == ["stranger@example.com"]
    assert await db.fetchval("SELECT hubspot_owner_id FROM reps WHERE id = $1", rep.id) == owner
    assert await synced(db) == snapshot(
        [
            (
                "Nyoman",
                "nyoman@example.com",
                None,
                None,
                "1004",
                "hubspot",
                "unreached",
                None,
                None,
            ),
            (
                "Wayan Sari",
                "wayan@example.com",
                "+62 1",
                "@wayan_s",
                "1003",
                "hubspot",
                "unreached",
                None,
                "rep100@example.com",
            ),
        ]
    )
    assert await crm_sync.mark(db, object_type="contacts") == NOW - DAY
    unassigned = [p.name for p in await prospects.get_unassigned_unreached(db)]
    assert "Nyoman" in unassigned and "Wayan Sari" not in unassigned


async def test_an_incremental_sync_reads_only_what_changed_and_keeps_our_status_and_notes(
    hubspot_fake, http, db
):
    contact = hubspot_fake.add_contact(
        "wayan@example.com", "Wayan", updated=NOW - 2 * DAY, lifecyclestage="lead"
    )
    hubspot_fake.add_contact(
        "still@example.com", "Still", updated=NOW - 2 * DAY, lifecyclestage="lead"
    )
    await sync_crm(db, make(hubspot_fake, http), now=NOW - DAY)
    await db.execute(
        "UPDATE prospects SET status = 'contacted', notes = 'called twice' WHERE hubspot_contact_id = $1",
        contact,
    )
    hubspot_fake.change(
        "contacts", contact, NOW - DAY / 2, firstname="Wayan", lastname="Putra", phone="+62 2"
    )
    searches = len(hubspot_fake.calls)
    result = await sync_crm(db, make(hubspot_fake, http), now=NOW)
    assert (result.created, result.updated) == (0, 1)
    assert await synced(db) == snapshot(
        [
            ("Still", "still@example.com", None, None, "1002", "hubspot", "unreached", None, None),
            (
                "Wayan Putra",
                "wayan@example.com",
                "+62 2",
                None,
                "1001",
                "hubspot",
                "contacted",
                "called twice",
                None,
            ),
        ]
    )
    since = next(c for c in hubspot_fake.calls[searches:] if c.path.endswith("/search"))
    assert since.body["filterGroups"][0]["filters"][0]["value"] == str(
        int((NOW - 2 * DAY).timestamp() * 1000)
    )


async def test_a_prospect_with_the_same_email_is_linked_not_duplicated(hubspot_fake, http, db):
    made = await prospects.create_prospect(
        db, name="Ketut", email="Ketut@Example.com", now=NOW - DAY, notes="ours"
    )
    contact = hubspot_fake.add_contact(
        "ketut@example.com", "Ketut", "Widi", updated=NOW - DAY, lifecyclestage="lead"
    )
    result = await sync_crm(db, make(hubspot_fake, http), now=NOW)
    again = await sync_crm(db, make(hubspot_fake, http), now=NOW + DAY)
    assert (result.created, result.updated, again.created, again.updated) == (0, 1, 0, 0)
    linked = await prospects.get_prospect(db, prospect_id=made.id)
    assert linked is not None
    assert (linked.name, linked.hubspot_contact_id, linked.notes) == ("Ketut Widi", contact, "ours")


async def test_a_sync_cut_off_by_the_search_limit_resumes_and_the_limiter_keeps_it(http, db):
    clock = FakeClock()
    async with FakeHubSpot(token=TOKEN, clock=clock) as hubspot_fake:
        hubspot_fake.search_limit = 5
        for i in range(2_100):
            hubspot_fake.add_contact(
                f"c{i}@example.com", updated=NOW - timedelta(seconds=i + 1), lifecyclestage="lead"
            )
        looser = make(
            hubspot_fake, http, search_limit=10, **on(clock), policy=fast(clock, attempts=1)
        )
        with pytest.raises(RateLimited):
            await sync_crm(db, looser, now=NOW)
        kept = await db.fetchval("SELECT count(*) FROM prospects WHERE source = 'hubspot'")
        clock.now += 1.0
        impatient = make(hubspot_fake, http, **on(clock), policy=fast(clock, attempts=1))
        resumed = await sync_crm(db, impatient, now=NOW)
    assert kept == 5 * 200  # five searches a second answered, the sixth refused
    # Seven searches (six of contacts, one of deals): five, a second's wait, two; no 429.
    assert (resumed.created, clock.waits, hubspot_fake.rate_limited) == (2_100 - kept, [1.0], 1)
    assert await db.fetchval("SELECT count(*) FROM prospects WHERE source = 'hubspot'") == 2_100


async def test_merged_contacts_keep_one_prospect_and_an_archived_one_is_unlinked(
    hubspot_fake, http, db
):
    def lead(email, name):
        return hubspot_fake.add_contact(email, name, updated=NOW - 2 * DAY, lifecyclestage="lead")

    ayu, bagus, citra, dewi = (
        lead(f"{n}@example.com", n) for n in ("Ayu", "Bagus", "Citra", "Dewi")
    )
    await sync_crm(db, make(hubspot_fake, http), now=NOW - DAY)
    await db.execute("UPDATE prospects SET notes = 'ours' WHERE hubspot_contact_id = $1", bagus)
    hubspot_fake.merge("contacts", ayu, bagus, NOW - DAY / 2)
    fresh = hubspot_fake.add_contact(
        "dewi.new@example.com", "Dewi", updated=NOW - DAY / 2, lifecyclestage="lead"
    )
    hubspot_fake.merge("contacts", fresh, dewi, NOW - DAY / 2)
    hubspot_fake.archive("contacts", citra, NOW - DAY / 2)
    result = await sync_crm(db, make(hubspot_fake, http), now=NOW)
    again = await sync_crm(db, make(hubspot_fake, http), now=NOW + DAY)
    assert (result.created, result.updated, result.archived) == (0, 1, 2)
    assert (again.created, again.updated, again.archived) == (0, 0, 0)
    rows = await db.fetch(
        "SELECT name, email, hubspot_contact_id AS link, status, notes FROM prospects"
        " WHERE source = 'hubspot' ORDER BY name"
    )
    links = {ayu: "ayu", fresh: "fresh", None: None}
    assert [(r["name"], r["email"], links[r["link"]], r["status"], r["notes"]) for r in rows] == [
        ("Ayu", "ayu@example.com", "ayu", "unreached", None),
        ("Bagus", "bagus@example.com", None, "archived", "ours"),
        ("Citra", "citra@example.com", None, "archived", None),
        ("Dewi", "dewi.new@example.com", "fresh", "unreached", None),
    ]


async def deals_of(db):
    rows = await db.fetch(
        "SELECT d.name, p.name AS prospect, r.email AS rep, d.pipeline, d.stage, d.amount,"
        " d.close_date, d.won, d.stage_changed_at, d.closed_at FROM deals d"
        " JOIN prospects p ON p.id = d.prospect_id LEFT JOIN reps r ON r.id = d.rep_id"
        " WHERE d.hubspot_deal_id IS NOT NULL ORDER BY d.name"
    )
    return [tuple(r.values()) for r in rows]


async def test_deals_come_with_their_prospect_owner_and_stage_and_close_when_hubspot_closes_them(
    hubspot_fake, http, db
):
    rep = await make_rep(db, 101)
    owner = hubspot_fake.add_owner(rep.email, "Rep", "Hundred-one")
    made = NOW - 3 * DAY
    wayan = hubspot_fake.add_contact(
        "wayan@example.com", "Wayan", updated=made, lifecyclestage="lead"
    )
    buyer = hubspot_fake.add_contact(
        "buyer@example.com", "Buyer", updated=made, lifecyclestage="customer"
    )
    villa = hubspot_fake.add_deal(
        wayan, "Villa", "qualifiedtobuy", 250_000, NOW + 30 * DAY, updated=made
    )
    hubspot_fake.change("deals", villa, made, hubspot_owner_id=owner)
    hubspot_fake.change(
        "deals", villa, made, hs_v2_date_entered_current_stage=shapes.stamp(made - DAY)
    )
    hubspot_fake.add_deal(buyer, "Theirs", updated=made)
    first = await sync_crm(db, make(hubspot_fake, http), now=NOW - 2 * DAY)
    assert (first.deals_created, first.deals_without_prospect) == (1, 1)
    assert [stage for _, stage in first.moved] == ["qualifiedtobuy"]
    hubspot_fake.change(
        "deals", villa, NOW - DAY, dealstage="closedwon", hs_is_closed="true",
        hs_is_closed_won="true", hs_v2_date_entered_current_stage=shapes.stamp(NOW - DAY),
    )  # fmt: skip
    second = await sync_crm(db, make(hubspot_fake, http), now=NOW)
    assert (second.deals_created, second.deals_updated, second.deals_closed) == (0, 1, 1)
    again = await sync_crm(db, make(hubspot_fake, http), now=NOW + DAY)
    assert (again.deals_updated, again.moved) == (0, [])
    assert await deals_of(db) == snapshot(
        [
            (
                "Villa",
                "Wayan",
                "rep101@example.com",
                "default",
                "closedwon",
                Decimal("250000.00"),
                date(2026, 12, 20),
                True,
                datetime(2026, 11, 19, hour=10, tzinfo=UTC),
                datetime(2026, 11, 20, hour=10, tzinfo=UTC),
            )
        ]
    )
    links = [c for c in hubspot_fake.calls if "associations" in c.path]
    assert {c.path for c in links} == {"/crm/v4/associations/deals/contacts/batch/read"}


async def test_a_deal_archived_in_hubspot_closes_ours_once(hubspot_fake, http, db):
    made = NOW - 3 * DAY
    wayan = hubspot_fake.add_contact(
        "wayan@example.com", "Wayan", updated=made, lifecyclestage="lead"
    )
    villa = hubspot_fake.add_deal(wayan, "Villa", "presentationscheduled", 90_000, updated=made)
    hubspot_fake.add_deal(wayan, "Land", updated=made)
    await sync_crm(db, make(hubspot_fake, http), now=NOW - DAY)
    hubspot_fake.archive("deals", villa, NOW - DAY / 2)
    result = await sync_crm(db, make(hubspot_fake, http), now=NOW)
    again = await sync_crm(db, make(hubspot_fake, http), now=NOW + DAY)
    assert (result.deals_archived, again.deals_archived, again.deals_updated) == (1, 0, 0)
    rows = await db.fetch(
        "SELECT name, stage, won, closed_at, hubspot_deal_id IS NULL AS unlinked FROM deals"
        " WHERE prospect_id = (SELECT id FROM prospects WHERE hubspot_contact_id = $1)"
        " ORDER BY name",
        wayan,
    )
    assert [tuple(r.values()) for r in rows] == [
        ("Land", "appointmentscheduled", None, None, False),
        ("Villa", "presentationscheduled", None, NOW, True),
    ]


async def test_a_deal_moving_into_a_hot_stage_in_hubspot_alerts_the_admins_once(
    hubspot_fake, http, db
):
    """The first sync is no news; later, a move into a hot stage, or a deal new in one, is."""
    rules = rules_from(default_settings(admin_telegram_ids=(ADMIN,)))
    made = NOW - 3 * DAY
    wayan = hubspot_fake.add_contact(
        "wayan@example.com", "Wayan", updated=made, lifecyclestage="lead"
    )
    villa = hubspot_fake.add_deal(
        wayan, "Villa", "qualifiedtobuy", 250_000, NOW + 30 * DAY, updated=made
    )
    hubspot_fake.add_deal(wayan, "Old contract", "contractsent", updated=made)
    await sync_crm(db, make(hubspot_fake, http), now=NOW - 2 * DAY, alerts=rules)
    hubspot_fake.change("deals", villa, NOW - DAY, dealstage="contractsent")
    hubspot_fake.add_deal(wayan, "Pool house", "contractsent", 90_000, updated=NOW - DAY)
    await sync_crm(db, make(hubspot_fake, http), now=NOW, alerts=rules)
    hubspot_fake.change("deals", villa, NOW + DAY / 2, amount="260000")
    await sync_crm(db, make(hubspot_fake, http), now=NOW + DAY, alerts=rules)
    sent = await db.fetch(
        "SELECT chat_id, text FROM outbox WHERE dedupe_key LIKE 'hot:%' ORDER BY text"
    )
    assert [(r["chat_id"], r["text"]) for r in sent] == snapshot(
        [
            (
                1000,
                "🔥 Горячая сделка: «Pool house» (Wayan) перешла на этап contractsent, 90,000 USD. Менеджер: —.",
            ),
            (
                1000,
                "🔥 Горячая сделка: «Villa» (Wayan) перешла на этап contractsent, 250,000 USD. Менеджер: —.",
            ),
        ]
    )


async def test_merged_deals_leave_one_deal_the_survivor_taking_over_ours(hubspot_fake, http, db):
    made = NOW - 3 * DAY
    wayan = hubspot_fake.add_contact(
        "wayan@example.com", "Wayan", updated=made, lifecyclestage="lead"
    )
    old = hubspot_fake.add_deal(wayan, "Villa old", "qualifiedtobuy", 90_000, updated=made)
    land = hubspot_fake.add_deal(wayan, "Land", updated=made)
    plot = hubspot_fake.add_deal(wayan, "Plot", updated=made)
    await sync_crm(db, make(hubspot_fake, http), now=NOW - 2 * DAY)
    (ours,) = await db.fetch("SELECT id FROM deals WHERE hubspot_deal_id = $1", old)
    new = hubspot_fake.add_deal(wayan, "Villa", "qualifiedtobuy", 95_000, updated=NOW - DAY)
    hubspot_fake.merge("deals", new, old, NOW - DAY)
    hubspot_fake.merge("deals", land, plot, NOW - DAY)
    result = await sync_crm(db, make(hubspot_fake, http), now=NOW)
    assert (result.deals_created, result.deals_updated, result.deals_archived) == (0, 1, 1)
    assert await db.fetchval("SELECT id FROM deals WHERE hubspot_deal_id = $1", new) == ours["id"]
    rows = await db.fetch(
        "SELECT name, amount, hubspot_deal_id IS NULL AS unlinked, closed_at FROM deals"
        " ORDER BY name"
    )
    assert [tuple(r.values()) for r in rows] == [
        ("Land", None, False, None),
        ("Plot", None, True, NOW),
        ("Villa", Decimal("95000.00"), False, None),
    ]
    again = await sync_crm(db, make(hubspot_fake, http), now=NOW + DAY)
    assert (again.deals_created, again.deals_updated, again.deals_archived) == (0, 0, 0)


async def test_the_next_page_is_fetched_while_one_is_written_and_its_error_comes_after():
    seen: list[str] = []
    writing = asyncio.Event()

    async def pages():
        yield [1]
        await writing.wait()  # the second page is asked for before the first is written
        seen.append("fetching 2")
        yield [2]
        raise RateLimited("HubSpot", "the search limit")

    written = []

    async def write_all():
        async for page in ahead(pages()):
            writing.set()
            await asyncio.sleep(0)
            seen.append(f"writing {page[0]}")
            written.extend(page)

    with pytest.raises(RateLimited):
        await write_all()
    assert (seen, written) == (["fetching 2", "writing 1", "writing 2"], [1, 2])


async def test_a_page_that_fails_to_be_written_leaves_no_fetch_behind():
    fetched = asyncio.Event()
    cancelled = []

    async def pages():
        yield [1]
        try:
            fetched.set()
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    async def fail_to_write():
        async with contextlib.aclosing(ahead(pages())) as paged:
            async for _ in paged:
                await fetched.wait()
                raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        await fail_to_write()
    assert cancelled == [True]
