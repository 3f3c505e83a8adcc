"""Deal signals for fixed data: from our records, and from HubSpot (the real client against the
fake) merged with our touches and meetings; a HubSpot that fails falls back to our records."""

from datetime import timedelta
from decimal import Decimal

import pytest
from inline_snapshot import snapshot

from agent.runtime import rules_from
from agent.settings import default_settings
from db.deals import create_deal
from db.integrations import list_records
from db.meetings import create_meeting
from db.models import ProspectStatus
from db.prospects import (
    assign_prospect_to_rep,
    create_prospect,
    get_prospect,
    log_activity,
    set_hubspot_contact,
    update_prospect_status,
)
from db.reps import approve_rep, create_rep
from tests.conftest import NOW
from tests.fakes.clock import no_wait
from tools.actor import Actor, Role
from tools.clients.hubspot import HubSpotClient
from tools.clients.retry import RetryPolicy
from tools.deps import Deps
from tools.services import Services
from tools.signals import DealSignals, days, deal_signals

DAY = timedelta(days=1)
TOKEN = "pat-test-token"
FAST = RetryPolicy(attempts=2, initial_wait=0.001, max_wait=0.01, sleep=no_wait)


def hubspot_at(hubspot_fake, http, token=TOKEN):
    return HubSpotClient(
        token=token, api_url=hubspot_fake.url, http=http, clock=lambda: NOW, policy=FAST
    )


async def rep_with_prospect(conn):
    """Ketut: added 30 days ago, in conversation since yesterday."""
    rep = await create_rep(
        conn,
        telegram_id=501,
        name="Иван Иванов",
        email="ivan@truerealestate.bali",
        now=NOW,
        timezone="Asia/Makassar",
    )
    rep = await approve_rep(conn, rep_id=rep.id, now=NOW - 30 * DAY)
    ketut = await create_prospect(
        conn, name="Ketut Wirawan", email="ketut@example.com", now=NOW - 30 * DAY
    )
    await assign_prospect_to_rep(conn, prospect_id=ketut.id, rep_id=rep.id, now=NOW - 29 * DAY)
    await update_prospect_status(
        conn, prospect_id=ketut.id, status=ProspectStatus.IN_CONVERSATION, now=NOW - DAY
    )
    return rep, await get_prospect(conn, prospect_id=ketut.id)


def deps_of(conn, rep, hubspot=None):
    services = Services(hubspot=hubspot) if hubspot else Services()
    actor = Actor(telegram_id=rep.telegram_id, role=Role.ACTIVE, rep=rep, language="ru")
    return Deps(
        db=conn,
        actor=actor,
        clock=lambda: NOW,
        rules=rules_from(default_settings()),
        services=services,
    )


async def meeting(conn, rep, prospect, starts, status="scheduled"):
    made = await create_meeting(
        conn,
        rep_id=rep.id,
        prospect_id=prospect.id,
        title="Viewing",
        starts_at=starts,
        ends_at=starts + timedelta(minutes=30),
        sandbox=True,
        now=NOW - 20 * DAY,
    )
    await conn.execute("UPDATE meetings SET status = $1 WHERE id = $2", status, made.id)


async def test_signals_from_our_records(conn):
    rep, ketut = await rep_with_prospect(conn)
    deal = await create_deal(
        conn,
        prospect_id=ketut.id,
        rep_id=rep.id,
        name="Villa in Canggu",
        stage="negotiation",
        amount=Decimal(450000),
        next_step="Send the contract draft",
        next_step_due=NOW - 2 * DAY,
        now=NOW - 20 * DAY,
    )
    await conn.execute(
        "UPDATE deals SET stage_changed_at = $1 WHERE id = $2", NOW - 8 * DAY, deal.id
    )
    for kind, at in [("contact", 10), ("note", 7), ("hubspot_note", 4), ("contact", -1)]:
        await log_activity(conn, prospect_id=ketut.id, kind=kind, now=NOW - at * DAY)
    await meeting(conn, rep, ketut, NOW - 12 * DAY, status="held")
    await meeting(conn, rep, ketut, NOW - 5 * DAY)  # still "scheduled", but over: held
    await meeting(conn, rep, ketut, NOW - 3 * DAY, status="cancelled")
    await meeting(conn, rep, ketut, NOW - timedelta(minutes=10))  # under way: neither
    await meeting(conn, rep, ketut, NOW + 2 * DAY)
    await meeting(conn, rep, ketut, NOW + 3 * DAY, status="cancelled")

    assert await deal_signals(deps_of(conn, rep), ketut) == snapshot(
        DealSignals(
            stage="negotiation",
            amount=Decimal("450000.00"),
            currency="USD",
            days_in_pipeline=20,
            days_in_stage=8,
            days_since_last_activity=4,
            touches=3,
            meetings_held=2,
            meetings_upcoming=1,
            next_step="Send the contract draft",
            next_step_due=NOW - 2 * DAY,
            next_step_overdue=True,
            source="records",
            deal_name="Villa in Canggu",
        )
    )


async def test_without_a_deal_the_prospect_is_the_pipeline_and_nothing_happened_yet(conn):
    rep, ketut = await rep_with_prospect(conn)
    closed = await create_deal(conn, prospect_id=ketut.id, name="Old", now=NOW - 90 * DAY)
    await conn.execute("UPDATE deals SET closed_at = $1 WHERE id = $2", NOW - 60 * DAY, closed.id)
    assert await deal_signals(deps_of(conn, rep), ketut) == snapshot(
        DealSignals(
            stage="in_conversation",
            amount=None,
            currency=None,
            days_in_pipeline=30,
            days_in_stage=1,
            days_since_last_activity=None,
            touches=0,
            meetings_held=0,
            meetings_upcoming=0,
            next_step=None,
            next_step_due=None,
            next_step_overdue=False,
            source="records",
        )
    )


async def test_a_next_step_due_later_is_not_overdue(conn):
    rep, ketut = await rep_with_prospect(conn)
    await create_deal(
        conn, prospect_id=ketut.id, name="Villa", next_step="Call", next_step_due=NOW + DAY, now=NOW
    )
    signals = await deal_signals(deps_of(conn, rep), ketut)
    assert (signals.next_step_overdue, signals.days_in_pipeline, signals.days_in_stage) == (
        False,
        0,
        0,
    )


@pytest.mark.parametrize(
    ("since", "expected"),
    [(NOW - 2 * DAY - timedelta(hours=23), 2), (NOW - timedelta(hours=1), 0), (NOW + DAY, 0)],
)
def test_days_are_whole_and_never_negative(since, expected):
    assert days(since, NOW) == expected


async def test_signals_from_hubspot_with_our_touches_and_meetings(conn, hubspot_fake, http):
    rep, ketut = await rep_with_prospect(conn)
    hubspot = hubspot_at(hubspot_fake, http)
    contact = hubspot_fake.add_contact("ketut@example.com", "Ketut")
    villa = hubspot_fake.add_deal(
        contact,
        "Villa Canggu",
        "contractsent",
        350000,
        created=NOW - 15 * DAY,
        updated=NOW - 2 * DAY,
    )
    land = hubspot_fake.add_deal(
        contact, "Land Ubud", "closedlost", created=NOW - 60 * DAY, updated=NOW - DAY
    )
    for at in (9, 3):
        await hubspot.add_note(contact_id=contact, body="Price list", at=NOW - at * DAY)
    await hubspot.log_meeting(
        contact_id=contact,
        title="Viewing",
        body="",
        start=NOW + 2 * DAY,
        end=NOW + 2 * DAY + timedelta(hours=1),
        join_url=None,
    )
    ketut = await set_hubspot_contact(conn, prospect_id=ketut.id, contact_id=contact, now=NOW)
    await create_deal(
        conn,
        prospect_id=ketut.id,
        name="Villa",
        stage="contractsent",
        next_step="Call about the contract",
        next_step_due=NOW + DAY,
        hubspot_deal_id=villa,
        now=NOW - 6 * DAY,
    )
    for kind, at in [("contact", 6), ("hubspot_note", 3), ("meeting", 3)]:
        await log_activity(conn, prospect_id=ketut.id, kind=kind, now=NOW - at * DAY)
    await meeting(conn, rep, ketut, NOW + 2 * DAY)
    hubspot_fake.calls.clear()

    assert await deal_signals(deps_of(conn, rep, hubspot), ketut) == snapshot(
        DealSignals(
            stage="contractsent",
            amount=Decimal("350000"),
            currency="USD",
            days_in_pipeline=15,
            days_in_stage=6,
            days_since_last_activity=3,
            touches=3,
            meetings_held=0,
            meetings_upcoming=1,
            next_step="Call about the contract",
            next_step_due=NOW + DAY,
            next_step_overdue=False,
            source="hubspot",
            deal_name="Villa Canggu",
        )
    )
    assert [(r.operation, r.sandbox, r.response) for r in await list_records(conn)] == [
        ("deals.read", False, {"deals": [land, villa], "engagements": 3})
    ]
    assert hubspot_fake.log() == snapshot(
        [
            "GET /crm/v4/objects/contacts/1001/associations/deals 200",
            "POST /crm/v3/objects/deals/batch/read 200",
            "GET /crm/v4/objects/contacts/1001/associations/notes 200",
            "POST /crm/v3/objects/notes/batch/read 200",
            "GET /crm/v4/objects/contacts/1001/associations/meetings 200",
            "POST /crm/v3/objects/meetings/batch/read 200",
        ]
    )


async def test_a_hubspot_deal_we_have_no_record_of_has_no_stage_time_or_next_step(
    conn, hubspot_fake, http
):
    rep, ketut = await rep_with_prospect(conn)
    contact = hubspot_fake.add_contact("ketut@example.com")
    hubspot_fake.add_deal(contact, "Villa", "qualifiedtobuy", created=NOW - 4 * DAY)
    ketut = await set_hubspot_contact(conn, prospect_id=ketut.id, contact_id=contact, now=NOW)
    signals = await deal_signals(deps_of(conn, rep, hubspot_at(hubspot_fake, http)), ketut)
    assert (signals.stage, signals.days_in_pipeline, signals.days_in_stage) == (
        "qualifiedtobuy",
        4,
        None,
    )
    assert (signals.next_step, signals.currency, signals.touches) == (None, None, 0)


async def test_hubspot_failing_falls_back_to_our_records_and_says_why(conn, hubspot_fake, http):
    rep, ketut = await rep_with_prospect(conn)
    contact = hubspot_fake.add_contact("ketut@example.com")
    ketut = await set_hubspot_contact(conn, prospect_id=ketut.id, contact_id=contact, now=NOW)
    signals = await deal_signals(
        deps_of(conn, rep, hubspot_at(hubspot_fake, http, "pat-revoked")), ketut
    )
    assert (signals.source, signals.stage, signals.hubspot_error) == snapshot(
        ("records", "in_conversation", "Authentication credentials not found.")
    )
    assert [(r.operation, r.response) for r in await list_records(conn)] == snapshot(
        [("deals.read", {"error": "AuthFailed: Authentication credentials not found."})]
    )


async def test_the_hubspot_sandbox_is_not_read(conn):
    rep, ketut = await rep_with_prospect(conn)
    ketut = await set_hubspot_contact(conn, prospect_id=ketut.id, contact_id="123", now=NOW)
    assert (await deal_signals(deps_of(conn, rep), ketut)).source == "records"
    assert await list_records(conn) == []
