"""An admin's HubSpot sync on demand, over a real database and the real client against the fake
HubSpot: what changed, the owners no rep matches, and no sync for a rep or in sandbox mode."""

from datetime import timedelta

import pytest
from inline_snapshot import snapshot
from pydantic_ai import RunContext
from pydantic_ai.models.test import TestModel
from pydantic_ai.usage import RunUsage

from agent.channel import Inbound, Sender
from agent.turn import run_turn
from db.reps import approve_rep, create_rep
from tests.agent.scripted import ADMIN, dialogue
from tests.conftest import NOW
from tests.tools.clients.test_hubspot import make
from tools.actor import resolve_actor
from tools.deps import Deps
from tools.services import Services
from tools.sync import sync_crm

ANNA = 501
DAY = timedelta(days=1)


@pytest.fixture
async def synced(db_dsn, hubspot_fake, http):
    hubspot = make(hubspot_fake, http)
    conversation, pool = await dialogue(db_dsn, services=Services(hubspot=hubspot, crm=hubspot))
    yield conversation
    await pool.close()


async def anna(talk):
    async with talk.runtime.pool.acquire() as conn:
        rep = await create_rep(
            conn,
            telegram_id=ANNA,
            name="Анна",
            email="anna@truerealestate.bali",
            timezone="Asia/Makassar",
            now=NOW - DAY,
        )
        return await approve_rep(conn, rep_id=rep.id, now=NOW - DAY)


async def test_an_admin_syncs_and_hears_what_changed_and_which_owners_match_no_rep(
    synced, hubspot_fake
):
    rep = await anna(synced)
    owner = hubspot_fake.add_owner(rep.email, "Anna", "S")
    hubspot_fake.add_owner("ghost@truerealestate.bali", "Ghost", "Agent")
    wayan = hubspot_fake.add_contact(
        "wayan@example.com", "Wayan", updated=NOW - 2 * DAY, lifecyclestage="lead"
    )
    hubspot_fake.add_contact(
        "nyoman@example.com", "Nyoman", updated=NOW - 2 * DAY, lifecyclestage="lead"
    )
    villa = hubspot_fake.add_deal(wayan, "Villa", "qualifiedtobuy", 250_000, updated=NOW - 2 * DAY)
    hubspot_fake.change("deals", villa, NOW - 2 * DAY, hubspot_owner_id=owner)
    synced.script.call("sync_crm").say("Готово.")
    await synced.say(ADMIN, "синхронизируй HubSpot")
    assert synced.script.last_return() == snapshot(
        {
            "prospects_new": 2,
            "prospects_updated": 0,
            "prospects_unlinked": 0,
            "deals_new": 1,
            "deals_updated": 0,
            "deals_closed": 0,
            "deals_skipped": 0,
            "owners_matched": 1,
            "unmatched_owners": [{"name": "Ghost Agent", "email": "ghost@truerealestate.bali"}],
        }
    )
    hubspot_fake.change("deals", villa, NOW - DAY, dealstage="closedwon", hs_is_closed_won="true")
    synced.clock.advance(hours=1)
    synced.script.call("sync_crm").say("Готово.")
    await synced.say(ADMIN, "ещё раз")
    again = synced.script.last_return()
    assert (again["prospects_new"], again["deals_updated"], again["deals_closed"]) == (0, 1, 1)
    async with synced.runtime.pool.acquire() as conn:
        deal = await conn.fetchrow("SELECT rep_id, stage, won FROM deals WHERE name = 'Villa'")
    assert tuple(deal.values()) == (rep.id, "closedwon", True)


async def test_a_rep_is_not_offered_the_sync_and_is_refused_it(synced, hubspot_fake):
    await anna(synced)
    synced.script.say("Привет.")
    await synced.say(ANNA, "синхронизируй HubSpot")
    assert "sync_crm" not in synced.script.offered[-1]
    async with synced.runtime.pool.acquire() as conn:
        actor = await resolve_actor(conn, telegram_id=ANNA, admin_ids=(ADMIN,))
        deps = Deps(
            conn, actor, synced.clock, synced.runtime.rules, services=synced.runtime.services
        )
        said = await sync_crm(RunContext(deps=deps, model=TestModel(), usage=RunUsage()))
    assert said == snapshot("Refused: sync_crm is not available to this user (active).")
    assert hubspot_fake.calls == []


async def test_in_sandbox_mode_there_is_nothing_to_sync(talk):
    talk.script.call("sync_crm").say("Нечего.").call("sync_crm").say("Nothing.")
    await talk.say(ADMIN, "синхронизируй HubSpot")
    russian = talk.script.last_return()
    sender = Sender(ADMIN, language_code="en")
    await run_turn(talk.runtime, Inbound(ADMIN, sender, text="sync HubSpot"))
    assert (russian, talk.script.last_return()) == snapshot(
        (
            "HubSpot здесь не подключён (режим песочницы), синхронизировать нечего.",
            "HubSpot is not configured here (sandbox mode), so there is nothing to sync.",
        )
    )
