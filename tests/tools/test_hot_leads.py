"""The hot lead alert over the real database: one line to every admin but the one who did it,
once per client (or deal) and event, held for each admin's quiet hours and sent when they end;
a synced deal alerts only on moving into a hot stage."""

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from inline_snapshot import snapshot

from agent.runtime import rules_from
from agent.settings import default_settings
from db import outbox, turns
from db.deals import create_deal
from db.meetings import create_meeting
from db.prospects import assign_prospect_to_rep, get_prospect
from db.reps import approve_rep, create_rep
from tests.agent.scripted import ADMIN
from tools import hot_leads
from tools.actor import resolve_actor
from tools.deps import Deps

IVAN, ANNA = 501, 502
ALEX = "test_prospect_001"
DAY = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)  # 14:00 in Bali
LATE = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)  # 22:30 in Bali
MORNING = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)  # 09:00 in Bali
RULES = rules_from(default_settings(admin_telegram_ids=(ADMIN,)))


async def team(conn):
    """Ivan, a rep with Alex; Anna, a rep made admin, who reads English and lives in Moscow."""
    made = {}
    for telegram_id, name, language, zone in (
        (IVAN, "Иван Иванов", "ru", "Asia/Makassar"),
        (ANNA, "Anna Smith", "en", "Europe/Moscow"),
    ):
        rep = await create_rep(
            conn,
            telegram_id=telegram_id,
            name=name,
            email=f"rep{telegram_id}@truerealestate.bali",
            language=language,
            now=DAY - timedelta(days=1),
            timezone=zone,
        )
        made[telegram_id] = await approve_rep(conn, rep_id=rep.id, now=DAY - timedelta(days=1))
    await conn.execute("UPDATE reps SET is_admin = true WHERE telegram_id = $1", ANNA)
    await assign_prospect_to_rep(conn, prospect_id=ALEX, rep_id=made[IVAN].id, now=DAY)
    return made


async def alex_of(conn):
    alex = await get_prospect(conn, prospect_id=ALEX)
    assert alex is not None
    return alex


async def deps_of(conn, actor_id, *, at=DAY):
    _, turn_id = await turns.begin_turn(
        conn, chat_id=actor_id, actor_telegram_id=actor_id, model="m", now=at
    )
    actor = await resolve_actor(conn, telegram_id=actor_id, admin_ids=RULES.admin_ids)
    return Deps(db=conn, actor=actor, clock=lambda: at, rules=RULES, turn_id=turn_id)


async def alerts(conn):
    rows = await conn.fetch(
        "SELECT chat_id, text, held_until FROM outbox WHERE dedupe_key LIKE 'hot:%' ORDER BY id"
    )
    return [(r["chat_id"], r["text"], r["held_until"]) for r in rows]


async def meeting_with_alex(conn, rep, starts_at):
    return await create_meeting(
        conn,
        rep_id=rep.id,
        prospect_id=ALEX,
        title="Алексей Петров — True Real Estate",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=30),
        sandbox=True,
        now=DAY,
    )


async def test_a_booked_meeting_alerts_every_admin_once_in_their_language(conn):
    reps = await team(conn)
    deps = await deps_of(conn, IVAN)
    alex = await alex_of(conn)
    meeting = await meeting_with_alex(conn, reps[IVAN], datetime(2026, 11, 26, 7, tzinfo=UTC))
    assert await hot_leads.meeting_booked(deps, alex, meeting) == 2
    # the turn retried, and a second meeting with the same client: no news
    assert await hot_leads.meeting_booked(deps, alex, meeting) == 0
    later = await meeting_with_alex(conn, reps[IVAN], datetime(2026, 11, 27, 7, tzinfo=UTC))
    assert await hot_leads.meeting_booked(deps, alex, later) == 0
    assert await alerts(conn) == snapshot(
        [
            (
                502,
                """\
🔥 Hot lead: Иван Иванов booked a meeting with Алексей Петров (@test_buyer_alex) for 26.11 10:00 (Moscow time).
Looking for: Интересуется виллой в Чангу, бюджет $300-500k\
""",
                None,
            ),
            (
                1000,
                """\
🔥 Горячий клиент: Алексей Петров (@test_buyer_alex) — Иван Иванов назначает встречу на 26.11 15:00 (время Бали).
Ищет: Интересуется виллой в Чангу, бюджет $300-500k\
""",
                None,
            ),
        ]
    )


async def test_an_alert_rolled_back_with_its_turn_is_written_once_when_the_turn_is_retried(conn):
    await team(conn)
    alex = await alex_of(conn)
    deps = await deps_of(conn, IVAN)

    class Broke(Exception):
        pass

    try:
        async with conn.transaction():
            await hot_leads.prospect_converted(deps, alex)
            raise Broke
    except Broke:
        pass
    assert await alerts(conn) == []
    assert await hot_leads.prospect_converted(deps, alex) == 2
    assert await hot_leads.prospect_converted(deps, alex) == 0
    assert [chat for chat, _, _ in await alerts(conn)] == [ANNA, ADMIN]


async def test_an_admin_who_did_it_is_not_told_of_it(conn):
    await team(conn)
    alex = await alex_of(conn)
    assert await hot_leads.prospect_converted(await deps_of(conn, ANNA), alex) == 1
    assert await alerts(conn) == snapshot(
        [
            (
                1000,
                """\
🔥 Горячий клиент: Алексей Петров (@test_buyer_alex) — сделка, отметил(а) Anna Smith.
Ищет: Интересуется виллой в Чангу, бюджет $300-500k\
""",
                None,
            )
        ]
    )


async def test_in_quiet_hours_an_alert_waits_for_each_admins_morning_and_then_goes(conn):
    await team(conn)
    await conn.execute(
        "UPDATE reps SET quiet_hours_start = $1, quiet_hours_end = $2 WHERE telegram_id = $3",
        time(17),
        time(8),
        ANNA,
    )
    alex = await alex_of(conn)
    await hot_leads.prospect_converted(await deps_of(conn, IVAN, at=LATE), alex)
    anna_morning = datetime(2026, 11, 21, 5, 0, tzinfo=UTC)  # 08:00 in Moscow, her own hours
    assert [(chat, held) for chat, _, held in await alerts(conn)] == [
        (ANNA, anna_morning),
        (ADMIN, MORNING),
    ]

    async def sendable(at):
        claimed = await outbox.claim(conn, worker="s", limit=10, now=at, until=at)
        for c in claimed:
            await outbox.settle(conn, claim=c, status="sent", now=at)
        return [c.message.chat_id for c in claimed if c.message.text.startswith("🔥")]

    assert await sendable(LATE) == []
    assert await sendable(MORNING - timedelta(seconds=1)) == []
    assert await sendable(MORNING) == [ADMIN]
    assert await sendable(anna_morning) == [ANNA]


async def hubspot_deal(conn, reps, stage="appointmentscheduled"):
    await create_deal(
        conn,
        prospect_id=ALEX,
        name="Villa in Canggu",
        rep_id=reps[IVAN].id,
        stage=stage,
        amount=Decimal("450000"),
        hubspot_deal_id="9001",
        now=DAY,
    )


async def test_a_deal_moving_into_a_hot_stage_alerts_the_admins_once(conn):
    await hubspot_deal(conn, await team(conn))

    async def moved(stage, previous):
        return await hot_leads.deal_stage_changed(
            conn, RULES, deal_id="9001", stage=stage, previous=previous, now=DAY
        )

    assert await moved("qualifiedtobuy", "appointmentscheduled") == 0  # not a hot stage
    assert await moved("contractsent", None) == 0  # first seen: the first sync is no news
    assert await moved("contractsent", "contractsent") == 0  # no move
    assert await moved("contractsent", "qualifiedtobuy") == 2
    assert await moved("contractsent", "decisionmakerboughtin") == 0  # out and back in
    assert await alerts(conn) == snapshot(
        [
            (
                502,
                "🔥 Hot deal: «Villa in Canggu» (Алексей Петров) moved to stage contractsent, 450,000 USD. Rep: Иван Иванов.",
                None,
            ),
            (
                1000,
                "🔥 Горячая сделка: «Villa in Canggu» (Алексей Петров) перешла на этап contractsent, 450,000 USD. Менеджер: Иван Иванов.",
                None,
            ),
        ]
    )


async def test_the_hot_stages_are_a_setting_and_a_deals_own_rep_is_not_told(conn):
    reps = await team(conn)
    await hubspot_deal(conn, reps)
    await conn.execute("UPDATE deals SET rep_id = $1", reps[ANNA].id)
    rules = rules_from(
        default_settings(
            admin_telegram_ids=(ADMIN,), hubspot_hot_stages="closedwon, presentationscheduled"
        )
    )

    async def moved(stage):
        return await hot_leads.deal_stage_changed(
            conn, rules, deal_id="9001", stage=stage, previous="appointmentscheduled", now=DAY
        )

    assert await moved("contractsent") == 0
    assert await moved("presentationscheduled") == 1
    assert [chat for chat, _, _ in await alerts(conn)] == [ADMIN]
    unknown = await hot_leads.deal_stage_changed(
        conn, rules, deal_id="404", stage="closedwon", previous="contractsent", now=DAY
    )
    assert unknown == 0
