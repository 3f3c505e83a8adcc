"""A prospect handed from one rep to another: the admin confirms a question showing the
meetings that go along; the old rep is told, and the prep for those meetings goes to the new
rep only (one already queued for the old rep is dropped)."""

from datetime import timedelta

from inline_snapshot import snapshot

from agent.runtime import plan_from
from agent.scheduler import tick
from agent.settings import default_settings
from db.scheduler import drop_void_events
from tests.agent.scripted import ADMIN, sent
from tests.conftest import NOW
from tests.tools.test_overview import ANNA, BORIS, MARIA, team


async def test_handing_a_prospect_over_moves_their_meetings_and_tells_the_old_rep(talk):
    await team(talk)
    pool = talk.runtime.pool
    plan = plan_from(default_settings(admin_telegram_ids=(ADMIN,)))
    before = NOW + timedelta(hours=23, minutes=30)  # the prep for Anna is queued
    await tick(pool, plan, before)
    talk.script.call("assign_prospect", prospect=MARIA, rep="Борис")
    asked = await talk.say(ADMIN, "передай Марию Борису")
    assert sent(asked)[0][1] == snapshot("""\
Передать клиента Мария Козлова другому менеджеру?
От: Анна Смирнова
Кому: Борис Ли
Его предстоящие встречи тоже перейдут к Борис Ли (подготовка и разбор — у нового менеджера; приглашение в календаре и ссылка Zoom остаются прежними): 21.11 18:00\
""")
    talk.script.say("Готово.")
    done = await talk.press(ADMIN, "confirm")
    assert (
        talk.script.last_return()["previous_rep"],
        talk.script.last_return()["meetings_moved"],
    ) == (
        "Анна Смирнова",
        1,
    )
    told = {chat for chat, _, _ in sent(done)}
    assert {ANNA, BORIS} <= told
    about = await pool.fetch(
        "SELECT DISTINCT about FROM outbox WHERE chat_id = ANY($1)", [ANNA, BORIS]
    )
    assert [r["about"] for r in about] == [{"prospect_id": MARIA}]  # a reply is about Maria
    async with pool.acquire() as conn:
        dropped = await drop_void_events(conn, now=before + timedelta(minutes=1))
    assert ("meeting_prep", "meeting_not_theirs") in [(d.event, d.reason) for d in dropped]
    await tick(pool, plan, before + timedelta(minutes=2))
    preps = await pool.fetch(
        "SELECT chat_id, status FROM inbox WHERE payload->>'event' = 'meeting_prep' ORDER BY id"
    )
    assert [tuple(r) for r in preps] == [(ANNA, "dropped"), (BORIS, "pending")]


async def test_a_plain_rep_cannot_hand_a_prospect_over(talk):
    await team(talk)
    talk.script.call("assign_prospect", prospect=MARIA, rep="Борис").say("Не могу.")
    await talk.say(ANNA, "передай Марию Борису")
    async with talk.runtime.pool.acquire() as conn:
        owner = await conn.fetchval(
            "SELECT r.telegram_id FROM prospects p JOIN reps r ON r.id = p.assigned_rep_id WHERE p.id = $1",
            MARIA,
        )
    assert owner == ANNA
