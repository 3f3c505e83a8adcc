"""The admins' view of the team over a real database: prospects across reps a page at a time,
stale deals on demand, one rep's numbers, the team report; none of it for a rep."""

from datetime import timedelta

from inline_snapshot import snapshot

from db.meetings import create_meeting
from db.prospects import assign_prospect_to_rep, create_prospect, record_contact
from db.reps import approve_rep, create_rep
from tests.agent.scripted import ADMIN
from tests.conftest import NOW

ANNA, BORIS = 501, 502
ALEX, MARIA, IVAN_P = "test_prospect_001", "test_prospect_002", "test_prospect_003"


async def team(talk):
    """Anna has Alex (contacted 9 days ago: stale) and Maria, with a meeting tomorrow; Boris
    has the third."""
    made = {}
    async with talk.runtime.pool.acquire() as conn:
        for tg, name in ((ANNA, "Анна Смирнова"), (BORIS, "Борис Ли")):
            rep = await create_rep(
                conn,
                telegram_id=tg,
                name=name,
                email=f"rep{tg}@truerealestate.bali",
                now=NOW - timedelta(days=20),
                timezone="Asia/Makassar",
            )
            made[tg] = await approve_rep(conn, rep_id=rep.id, now=NOW - timedelta(days=20))
        for prospect, tg in ((ALEX, ANNA), (MARIA, ANNA), (IVAN_P, BORIS)):
            await assign_prospect_to_rep(
                conn, prospect_id=prospect, rep_id=made[tg].id, now=NOW - timedelta(days=10)
            )
        await record_contact(
            conn, prospect_id=ALEX, rep_id=made[ANNA].id, now=NOW - timedelta(days=9)
        )
        await record_contact(conn, prospect_id=MARIA, rep_id=made[ANNA].id, now=NOW)
        await create_meeting(
            conn,
            rep_id=made[ANNA].id,
            prospect_id=MARIA,
            title="Мария — True Real Estate",
            starts_at=NOW + timedelta(days=1),
            ends_at=NOW + timedelta(days=1, minutes=30),
            sandbox=True,
            now=NOW,
        )
    return made


async def test_an_admin_lists_prospects_by_rep_status_or_without_a_rep_a_page_at_a_time(talk):
    await team(talk)
    async with talk.runtime.pool.acquire() as conn:
        for i in range(17):
            await create_prospect(conn, name=f"Client {i:02}", now=NOW - timedelta(minutes=i))
    talk.script.call("list_prospects", rep="Анна").say("У Анны двое.")
    await talk.say(ADMIN, "какие клиенты у Анны?")
    assert talk.script.last_return() == snapshot(
        {
            "prospects": [
                {
                    "id": "test_prospect_002",
                    "name": "Мария Козлова",
                    "status": "contacted",
                    "rep": "Анна Смирнова",
                },
                {
                    "id": "test_prospect_001",
                    "name": "Алексей Петров",
                    "status": "contacted",
                    "rep": "Анна Смирнова",
                },
            ],
            "total": 2,
            "more": 0,
        }
    )
    talk.script.call("list_prospects", unassigned=True).say("…")
    await talk.say(ADMIN, "кто без менеджера?")
    first = talk.script.last_return()
    assert (len(first["prospects"]), first["total"], first["more"]) == (15, 17, 2)
    talk.script.call("list_prospects", unassigned=True, page=2).say("…")
    await talk.say(ADMIN, "покажи ещё")
    second = talk.script.last_return()
    assert [p["name"] for p in second["prospects"]] == ["Client 15", "Client 16"]
    assert second["more"] == 0


async def test_stale_deals_on_demand_and_how_one_rep_is_doing(talk):
    await team(talk)
    talk.script.call("stale_deals").call("stale_deals", days=10, rep="Анна").say("…")
    await talk.say(ADMIN, "какие сделки застряли?")
    assert talk.script.returned(0) == snapshot(
        {
            "silent_days_at_least": 5,
            "deals": [
                {
                    "id": "test_prospect_001",
                    "name": "Алексей Петров",
                    "status": "contacted",
                    "rep_name": "Анна Смирнова",
                    "days_silent": 9,
                }
            ],
            "total": 1,
        }
    )
    assert talk.script.returned(1)["deals"] == []

    talk.script.call("rep_report", rep="Анна").say("…")
    await talk.say(ADMIN, "как дела у Анны?")
    assert talk.script.last_return() == snapshot(
        {
            "numbers_this_week": {
                "name": "Анна Смирнова",
                "status": "active",
                "open": 2,
                "stale": 1,
                "unreached": 0,
                "converted": 0,
                "contacts": 1,
                "meetings_booked": 1,
                "meetings_held": 0,
                "last_activity": "2026-11-20 18:00",
            },
            "stale_deals": [
                {
                    "id": "test_prospect_001",
                    "name": "Алексей Петров",
                    "status": "contacted",
                    "rep_name": "Анна Смирнова",
                    "days_silent": 9,
                }
            ],
            "meetings_to_come": [{"when": "Sat 21.11 18:00", "with": "Мария Козлова"}],
        }
    )


async def test_the_team_report_as_text_in_the_admins_language(talk):
    await team(talk)
    async with talk.runtime.pool.acquire() as conn:
        await create_rep(
            conn,
            telegram_id=503,
            name="Nika New",
            email="nika@truerealestate.bali",
            now=NOW,
            timezone="Asia/Makassar",
        )
    talk.script.call("team_report").say("…")
    await talk.say(ADMIN, "отчёт по команде за неделю")
    assert talk.script.last_return() == snapshot("""\
Команда, за последние 7 дней:
• Анна Смирнова: открытых 2 (застряли 1, без контакта 0); контактов 1; встреч назначено 1, проведено 0; сделок 0; последняя активность 20.11
• Борис Ли: открытых 1 (застряли 0, без контакта 1); контактов 0; встреч назначено 0, проведено 0; сделок 0; последняя активность 10.11
Всего: открытых 3 (застряли 1, без контакта 1); контактов 1; встреч назначено 1, проведено 0; сделок 0
Заявок ждут решения: 1\
""")
    talk.script.call("team_report", period="day").say("…")
    await talk.say(ADMIN, "team report for today")
    assert talk.script.last_return().splitlines()[0] == "The team, last 24 hours:"


async def test_a_rep_gets_none_of_the_team_view(talk):
    await team(talk)
    talk.script.call("team_report").call("list_prospects", rep="Борис").say("Не могу.")
    await talk.say(ANNA, "покажи отчёт по команде и клиентов Бориса")
    assert not talk.script.offered[0] & {"team_report", "list_prospects", "rep_report"}
    async with talk.runtime.pool.acquire() as conn:
        rows = await conn.fetch("SELECT tool, actor_role, allowed FROM audit_log ORDER BY id")
    assert [tuple(r) for r in rows] == [
        ("team_report", "active", False),
        ("list_prospects", "active", False),
    ]
