"""The real HubSpot client reading owners and changed contacts and deals from the fake HubSpot."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from inline_snapshot import snapshot

from tests.fakes import hubspot_shapes as shapes
from tests.fakes.clock import FakeClock
from tests.fakes.hubspot import FakeHubSpot
from tests.tools.clients.test_hubspot import TOKEN, fast, make, on
from tools.clients.hubspot_models import CrmContact, CrmDeal, Owner

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
STAGES = ["lead", "opportunity"]


async def everything(hubspot, **kwargs):
    pages = [p async for p in hubspot.changed_contacts(until=NOW, stages=STAGES, **kwargs)]
    return pages


async def test_owners_come_from_every_page_without_archived_ones(hubspot_fake, http):
    for i in range(501):
        hubspot_fake.add_owner(f"o{i}@example.com", "Owner", str(i))
    hubspot_fake.add_owner("gone@example.com", archived=True)
    owners = await make(hubspot_fake, http).owners()
    assert (len(owners), owners[0], len(hubspot_fake.calls)) == (
        501,
        Owner(owners[0].id, "o0@example.com", "Owner 0"),
        2,
    )


async def test_changed_contacts_in_the_stages_oldest_first_with_the_telegram_property(
    hubspot_fake, http
):
    hubspot_fake.add_contact(
        "Made@Example.com",
        "Made",
        "Putu",
        updated=NOW - timedelta(days=2),
        lifecyclestage="lead",
        phone="+62 811",
        hubspot_owner_id="77",
        telegram="t.me/made_putu",
    )
    hubspot_fake.add_contact("", "", updated=NOW - timedelta(days=3), lifecyclestage="opportunity")
    hubspot_fake.add_contact(
        "buyer@example.com", updated=NOW - timedelta(days=1), lifecyclestage="customer"
    )
    archived = hubspot_fake.add_contact("gone@example.com", updated=NOW - timedelta(days=1))
    hubspot_fake.archive("contacts", archived)
    hubspot_fake.add_contact("later@example.com", updated=NOW, lifecyclestage="lead")
    pages = await everything(make(hubspot_fake, http), since=None, telegram_property="telegram")
    assert pages == snapshot(
        [
            [
                CrmContact(
                    id="1002",
                    name="HubSpot 1002",
                    email=None,
                    phone=None,
                    telegram=None,
                    owner_id=None,
                    stage="opportunity",
                    updated_at=datetime(2026, 11, 17, 10, 0, tzinfo=UTC),
                ),
                CrmContact(
                    id="1001",
                    name="Made Putu",
                    email="made@example.com",
                    phone="+62 811",
                    telegram="@made_putu",
                    owner_id="77",
                    stage="lead",
                    updated_at=datetime(2026, 11, 18, 10, 0, tzinfo=UTC),
                ),
            ]
        ]
    )
    since = NOW - timedelta(days=2, seconds=-1)
    assert await everything(make(hubspot_fake, http), since=since) == []


async def test_more_than_10000_changes_are_read_by_halving_the_time_range(hubspot_fake, http):
    start = NOW - timedelta(days=10)
    for i in range(10_050):
        hubspot_fake.add_contact(
            f"c{i}@example.com", updated=start + timedelta(minutes=i), lifecyclestage="lead"
        )
    pages = await everything(make(hubspot_fake, http), since=start)
    seen = [c.updated_at for page in pages for c in page]
    assert (len(seen), len({c.id for page in pages for c in page})) == (10_050, 10_050)
    assert seen == sorted(seen)
    assert all(c.status == 200 for c in hubspot_fake.calls)


async def test_the_search_limit_per_second_is_kept_and_a_429_from_it_is_waited_out(http):
    clock = FakeClock()
    async with FakeHubSpot(token=TOKEN, clock=clock) as hubspot_fake:
        hubspot_fake.search_limit = 5
        for i in range(1_200):
            hubspot_fake.add_contact(
                f"c{i}@example.com", updated=NOW - timedelta(seconds=i + 1), lifecyclestage="lead"
            )
        kept = await everything(make(hubspot_fake, http, **on(clock)), since=None)
        held = (sum(map(len, kept)), clock.waits, hubspot_fake.rate_limited)
        clock.now += 1.0
        clock.waits.clear()
        looser = make(hubspot_fake, http, search_limit=10, **on(clock), policy=fast(clock))
        pages = await everything(looser, since=None)
    assert held == (1_200, [1.0], 0)
    assert (sum(map(len, pages)), clock.waits, hubspot_fake.rate_limited) == (1_200, [1.0], 1)


async def test_changed_deals_come_with_stage_amount_close_state_and_every_contact(
    hubspot_fake, http
):
    day = timedelta(days=1)
    ayu = hubspot_fake.add_contact("ayu@example.com", updated=NOW - 5 * day)
    bagus = hubspot_fake.add_contact("bagus@example.com", updated=NOW - 5 * day)
    won = hubspot_fake.add_deal(
        ayu, "Won", "closedwon", "1200.50", NOW + day, updated=NOW - 2 * day
    )
    hubspot_fake.associate("deals", won, "contacts", bagus)
    hubspot_fake.change(
        "deals", won, NOW - 2 * day, hubspot_owner_id="77", hs_is_closed="true",
        hs_is_closed_won="true", hs_v2_date_entered_current_stage=shapes.stamp(NOW - 3 * day),
    )  # fmt: skip
    hubspot_fake.add_deal(ayu, "Open", updated=NOW - 4 * day)
    hubspot = make(hubspot_fake, http)
    pages = [p async for p in hubspot.changed_deals(since=NOW - 4 * day, until=NOW)]
    assert pages == [
        [
            CrmDeal(
                "1004", "Open", "default", "appointmentscheduled", None, None, None, None, None,
                NOW - 4 * day, ("1001",),
            ),
            CrmDeal(
                "1003", "Won", "default", "closedwon", Decimal("1200.50"), date(2026, 11, 21),
                "77", True, NOW - 3 * day, NOW - 2 * day, ("1001", "1002"),
            ),
        ]
    ]  # fmt: skip
    assert [c.path for c in hubspot_fake.calls] == [
        "/crm/v3/objects/deals/search",
        "/crm/v4/associations/deals/contacts/batch/read",
    ]


async def test_more_than_10000_changed_deals_are_read_by_halving_the_time_range(http):
    start, clock = NOW - timedelta(days=10), FakeClock()
    async with FakeHubSpot(token=TOKEN, clock=clock) as hubspot_fake:
        contact = hubspot_fake.add_contact("ayu@example.com", updated=start)
        for i in range(10_050):
            hubspot_fake.add_deal(contact, f"D{i}", updated=start + timedelta(minutes=i))
        hubspot = make(hubspot_fake, http, **on(clock))
        seen = [
            d.updated_at
            async for page in hubspot.changed_deals(since=start, until=NOW)
            for d in page
        ]
    assert (len(seen), seen == sorted(seen)) == (10_050, True)
    assert all(c.status == 200 for c in hubspot_fake.calls)
    assert hubspot_fake.violations == []
