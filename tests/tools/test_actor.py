"""What an actor may do is a set: the head of sales who sells holds the admin's tools and the
rep's, checked the same way when offered and when called, and audited as what they were."""

from inline_snapshot import snapshot

from db.prospects import assign_prospect_to_rep
from db.reps import approve_rep, create_rep, suspend_rep
from tests.agent.scripted import ADMIN
from tests.conftest import NOW
from tools.actor import Actor, Role

IVAN = 501
ALEX = "test_prospect_001"
THURSDAY_15 = "2026-11-26T15:00:00"
ADMIN_TOOLS = {"list_reps", "approve_rep", "assign_prospect"}
REP_TOOLS = {"list_my_prospects", "book_calendar", "find_free_slots"}


async def rep(talk, telegram_id, *, suspended=False):
    async with talk.runtime.pool.acquire() as conn:
        made = await create_rep(
            conn,
            telegram_id=telegram_id,
            name="Анна Head" if telegram_id == ADMIN else "Иван Иванов",
            email=f"rep{telegram_id}@truerealestate.bali",
            now=NOW,
            timezone="Asia/Makassar",
        )
        await approve_rep(conn, rep_id=made.id, now=NOW)
        await assign_prospect_to_rep(conn, prospect_id=ALEX, rep_id=made.id, now=NOW)
        if suspended:
            await suspend_rep(conn, rep_id=made.id, now=NOW)
    return made


async def trail(talk):
    async with talk.runtime.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT tool, actor_role, allowed, outcome FROM audit_log ORDER BY id"
        )
    return [tuple(r) for r in rows]


async def test_an_admin_who_sells_lists_their_prospects_and_books(talk):
    await rep(talk, ADMIN)
    talk.script.call("list_my_prospects").say("Алексей Петров.")
    await talk.say(ADMIN, "мои клиенты?")
    assert talk.script.offered[0] >= ADMIN_TOOLS | REP_TOOLS
    assert [p["name"] for p in talk.script.last_return()["prospects"]] == ["Алексей Петров"]

    talk.script.call("book_calendar", prospect="Алексей Петров", start=THURSDAY_15)
    await talk.say(ADMIN, "назначь Алексею на четверг 15:00")
    talk.script.say("Готово.")
    await talk.press(ADMIN, "confirm")
    assert talk.script.last_return()["status"] == "booked"
    assert await trail(talk) == snapshot(
        [
            ("list_my_prospects", "admin+active", True, "ok"),
            ("book_calendar", "admin+active", True, "confirmation_asked"),
            ("book_calendar", "admin+active", True, "confirmed"),
        ]
    )


async def test_a_plain_rep_is_still_not_offered_and_refused_admin_tools(talk):
    await rep(talk, IVAN)
    talk.script.call("list_reps").say("Не могу.")
    await talk.say(IVAN, "кто ожидает?")
    assert not talk.script.offered[0] & ADMIN_TOOLS
    assert talk.script.offered[0] >= REP_TOOLS
    assert await trail(talk) == snapshot([("list_reps", "active", False, "refused")])


async def test_a_suspended_rep_who_is_an_admin_keeps_only_the_admin_tools(talk):
    await rep(talk, ADMIN, suspended=True)
    talk.script.call("list_my_prospects").say("Нет.")
    await talk.say(ADMIN, "мои клиенты?")
    assert talk.script.offered[0] >= ADMIN_TOOLS
    assert not talk.script.offered[0] & REP_TOOLS
    assert await trail(talk) == snapshot(
        [("list_my_prospects", "admin+suspended", False, "refused")]
    )


def test_capabilities_are_the_admin_and_the_registration_status():
    assert Actor(telegram_id=1, role=Role.ADMIN).capabilities == {Role.ADMIN}
    assert Actor(telegram_id=1, role=Role.ACTIVE).what == "active"
    assert Actor(telegram_id=1, role=Role.PENDING).may(frozenset({Role.ACTIVE})) is False
