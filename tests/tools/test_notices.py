"""Notices the tools send to other people wait for the end of the recipient's quiet hours, as
the scheduler's events do, unless they answer what the recipient is doing in this very turn.
A held notice does not hold up the other messages to that chat, and goes out when it is due."""

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

from agent.runtime import rules_from
from agent.settings import default_settings
from db import outbox, turns
from db.reps import approve_rep, create_rep
from tests.agent.scripted import ADMIN
from tools import notices
from tools.actor import resolve_actor
from tools.deps import Deps

IVAN, OLGA = 501, 502
LATE = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)  # 22:30 in Bali, 17:30 in Moscow
MORNING = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)  # 09:00 in Bali
RULES = rules_from(default_settings(admin_telegram_ids=(ADMIN,)))


async def reps(conn):
    ivan = await create_rep(
        conn,
        telegram_id=IVAN,
        name="Иван",
        email="ivan@truerealestate.bali",
        now=LATE - timedelta(days=1),
        timezone="Asia/Makassar",
    )
    olga = await create_rep(
        conn,
        telegram_id=OLGA,
        name="Olga",
        email="olga@truerealestate.bali",
        now=LATE - timedelta(days=1),
        timezone="Europe/Moscow",
    )
    for rep in (ivan, olga):
        await approve_rep(conn, rep_id=rep.id, now=LATE - timedelta(days=1))


async def deps_of(conn, actor_id, *, in_turn=True, at=LATE):
    """What a tool has when `actor_id` acts: in their own turn, or in a task (no turn)."""
    turn_id = None
    if in_turn:
        _, turn_id = await turns.begin_turn(
            conn, chat_id=actor_id, actor_telegram_id=actor_id, model="m", now=at
        )
    actor = await resolve_actor(conn, telegram_id=actor_id, admin_ids=RULES.admin_ids)
    return Deps(db=conn, actor=actor, clock=lambda: at, rules=RULES, turn_id=turn_id)


async def olga_quiet_from_five_to_eight(conn):
    await conn.execute(
        "UPDATE reps SET quiet_hours_start = $1, quiet_hours_end = $2 WHERE telegram_id = $3",
        time(17),
        time(8),
        OLGA,
    )


async def held(conn, chat_id):
    rows = await conn.fetch(
        "SELECT held_until, not_before FROM outbox WHERE chat_id = $1 ORDER BY id", chat_id
    )
    assert all(r["not_before"] == (r["held_until"] or LATE) for r in rows)
    return [r["held_until"] for r in rows]


async def test_a_notice_to_a_rep_in_their_quiet_hours_waits_for_their_morning(conn):
    await reps(conn)
    admin = await deps_of(conn, ADMIN)
    await notices.send(admin, IVAN, "Вам назначен клиент")
    await notices.send(admin, OLGA, "A prospect is yours")  # 17:30 in Moscow: at once
    assert await held(conn, IVAN) == [MORNING]
    assert await held(conn, OLGA) == [None]


async def test_a_reps_own_quiet_hours_hold_their_notices(conn):
    await reps(conn)
    await olga_quiet_from_five_to_eight(conn)
    await notices.send(await deps_of(conn, ADMIN), OLGA, "A prospect is yours")
    assert await held(conn, OLGA) == [datetime(2026, 11, 21, 5, 0, tzinfo=UTC)]  # 08:00 Moscow


async def test_admins_are_told_after_the_default_quiet_hours(conn):
    await reps(conn)
    await notices.send(await deps_of(conn, IVAN), ADMIN, "New application")
    assert await held(conn, ADMIN) == [MORNING]


async def test_an_admin_who_set_quiet_hours_as_a_rep_is_told_after_their_own(conn):
    await reps(conn)
    await olga_quiet_from_five_to_eight(conn)
    rules = rules_from(default_settings(admin_telegram_ids=(ADMIN, OLGA)))
    ivan = await deps_of(conn, IVAN)
    await notices.send(replace(ivan, rules=rules), OLGA, "New application")
    assert await held(conn, OLGA) == [datetime(2026, 11, 21, 5, 0, tzinfo=UTC)]  # 08:00 Moscow


async def test_a_notice_answering_what_the_recipient_does_now_is_not_held(conn):
    await reps(conn)
    await notices.send(await deps_of(conn, IVAN), IVAN, "Ваша ссылка для входа")
    assert await held(conn, IVAN) == [None]


async def test_a_notice_from_a_task_waits_even_for_the_chats_own_rep(conn):
    await reps(conn)
    await notices.send(await deps_of(conn, IVAN, in_turn=False), IVAN, "Встреча записана")
    assert await held(conn, IVAN) == [MORNING]


async def test_a_held_notice_holds_up_nothing_else_and_goes_out_in_the_morning(conn):
    await reps(conn)
    await notices.send(await deps_of(conn, ADMIN), IVAN, "Вам назначен клиент")
    await outbox.enqueue(conn, chat_id=IVAN, text="Ответ Ивану", now=LATE + timedelta(minutes=30))

    async def sendable(at):
        claimed = await outbox.claim(conn, worker="s", limit=10, now=at, until=at)
        for c in claimed:
            await outbox.settle(conn, claim=c, status="sent", now=at)
        return [c.message.text for c in claimed]

    assert await sendable(LATE + timedelta(minutes=31)) == ["Ответ Ивану"]
    assert await sendable(MORNING - timedelta(seconds=1)) == []
    assert await outbox.next_due(conn) == MORNING
    assert await sendable(MORNING) == ["Вам назначен клиент"]


async def test_a_message_waiting_for_a_retry_still_keeps_its_chats_order(conn):
    await reps(conn)
    await outbox.enqueue(conn, chat_id=IVAN, text="first", now=LATE)
    await outbox.enqueue(conn, chat_id=IVAN, text="second", now=LATE)
    (first,) = await outbox.claim(conn, worker="s", limit=10, now=LATE, until=LATE)
    await outbox.release(conn, claim=first, not_before=LATE + timedelta(minutes=5))
    assert await outbox.claim(conn, worker="s", limit=10, now=LATE, until=LATE) == []
