"""What a registration stores is what the database takes: a name or an email it would refuse is a
question for the user, never a failed turn."""

from __future__ import annotations

from datetime import timedelta

import pytest
from inline_snapshot import snapshot

from db import reps
from db.reps import get_rep_by_telegram_id
from tests.agent.scripted import ADMIN, dialogue
from tests.conftest import NOW
from tools.names import NAME_MAX

IVAN = 501
EMAIL = "ivan@truerealestate.bali"
ADMIN_EN = 1001


@pytest.mark.parametrize(
    ("name", "email", "told"),
    [
        ("я" * (NAME_MAX + 1), EMAIL, "256 characters; at most 255 fit"),
        ("   ", EMAIL, "name is blank"),
        ("Ivan Petrov", "i" * 240 + "@truerealestate.bali", "at most 255"),
    ],
)
async def test_a_name_or_email_the_schema_refuses_is_asked_again(talk, name, email, told):
    talk.script.call("register_rep", name=name, email=email).say("?")
    result = await talk.say(IVAN, "register me")
    assert told in talk.script.last_return()
    assert not result.failed
    async with talk.runtime.pool.acquire() as conn:
        assert await get_rep_by_telegram_id(conn, telegram_id=IVAN) is None


async def test_the_longest_name_that_fits_is_kept_on_one_line(talk):
    name = "Иван\nПетров " + "я" * (NAME_MAX - len("Иван Петров "))
    talk.script.call("register_rep", name=name, email=EMAIL).say("ok")
    await talk.say(IVAN, "register me")
    async with talk.runtime.pool.acquire() as conn:
        rep = await get_rep_by_telegram_id(conn, telegram_id=IVAN)
    assert rep is not None
    assert rep.name == name.replace("\n", " ")
    assert len(rep.name) == NAME_MAX


async def test_a_correction_in_the_same_turn_corrects_the_pending_application(talk):
    talk.script.call("register_rep", name="Ivan Petrov", email="ivna@truerealestate.bali")
    talk.script.call("register_rep", name="Ivan Petrov", email=EMAIL).say("Corrected and sent.")
    result = await talk.say(IVAN, "Ivan Petrov, ivna@… no, ivan@truerealestate.bali")
    assert not result.failed
    async with talk.runtime.pool.acquire() as conn:
        rep = await get_rep_by_telegram_id(conn, telegram_id=IVAN)
        reps = await conn.fetchval("SELECT count(*) FROM reps")
    assert rep is not None
    assert (rep.email, rep.status, reps) == (EMAIL, "pending", 1)
    cards = [m.text for m in result.messages if m.chat_id != IVAN]
    assert cards and EMAIL in cards[-1]


async def test_a_nul_in_what_the_model_wrote_is_stored_cleaned_and_the_turn_kept(talk):
    talk.script.call("register_rep", name="Ivan\x00 Pe\x00trov", email=EMAIL).say("ok\x00")
    result = await talk.say(IVAN, "register me")
    assert not result.failed
    async with talk.runtime.pool.acquire() as conn:
        rep = await get_rep_by_telegram_id(conn, telegram_id=IVAN)
    assert rep is not None
    assert rep.name == "Ivan Petrov"


async def test_applying_and_leaving_five_times_a_day_is_three_applications_and_three_cards(talk):
    pool = talk.runtime.pool
    cards, refused = 0, []
    for attempt in range(5):
        talk.script.call("register_rep", name="Ivan Petrov", email=EMAIL).say("ok")
        result = await talk.say(IVAN, "register me")
        cards += sum(m.chat_id == ADMIN for m in result.messages)
        refused.append(str(talk.script.last_return()).startswith("Not done"))
        rep = await get_rep_by_telegram_id(pool, telegram_id=IVAN)
        if rep is not None and rep.status == "pending":
            await reps.remove_rep(
                pool, rep_id=rep.id, reason="unregistered", now=talk.clock(), by_telegram_id=IVAN
            )
        talk.clock.advance(minutes=10 + attempt)
    assert (cards, refused) == (3, [False, False, False, True, True])
    assert "applied 3 times in the last day" in talk.script.last_return()
    talk.clock.advance(hours=24)
    talk.script.call("register_rep", name="Ivan Petrov", email=EMAIL).say("ok")
    assert sum(m.chat_id == ADMIN for m in (await talk.say(IVAN, "register me")).messages) == 1


async def test_a_rep_who_was_suspended_and_left_comes_back_with_that_history_on_the_card(db_dsn):
    talk, pool = await dialogue(db_dsn, admins=(ADMIN, ADMIN_EN))
    try:
        await pool.execute(
            "INSERT INTO chats (chat_id, language, created_at, updated_at) VALUES ($1, 'en', $2, $2)",
            ADMIN_EN,
            NOW,
        )
        olga = await reps.create_rep(
            pool,
            telegram_id=ADMIN,
            name="Olga Smirnova",
            email="olga@truerealestate.bali",
            now=NOW,
            timezone="Asia/Makassar",
            telegram_username="olga_admin",
        )
        await reps.approve_rep(pool, rep_id=olga.id, now=NOW)
        talk.script.call("register_rep", name="Ivan Petrov", email=EMAIL).say("ok")
        first = await talk.say(IVAN, "register me", username="ivan_sales")
        assert "Not a first application" not in first.messages[-1].text
        rep = await get_rep_by_telegram_id(pool, telegram_id=IVAN)
        assert rep is not None
        day = timedelta(days=1)
        await reps.approve_rep(pool, rep_id=rep.id, now=NOW + day, by_telegram_id=ADMIN)
        await reps.suspend_rep(
            pool, rep_id=rep.id, now=NOW + 2 * day, reason="missed\nmeetings", by_telegram_id=ADMIN
        )
        await reps.remove_rep(
            pool, rep_id=rep.id, now=NOW + 3 * day, reason="unregistered", by_telegram_id=IVAN
        )
        talk.clock.advance(days=4)
        talk.script.call("register_rep", name="Ivan Petrov", email=EMAIL).say("ok")
        again = await talk.say(IVAN, "register me", username="ivan_sales")
        cards = {m.chat_id: m.text for m in again.messages if m.chat_id != IVAN}
        assert cards == snapshot(
            {
                1000: """\
Новая заявка на регистрацию!

Имя: Ivan Petrov
Email: ivan@truerealestate.bali
Проверка email: не подтверждён: нет почтового сервера
Telegram: @ivan_sales

Заявка не первая: этот Telegram-аккаунт уже был у нас.
• 2026-11-23 18:00: ушёл(ушла) из команды сам(а)
• 2026-11-22 18:00: приостановлен(а) — Olga Smirnova (@olga_admin) («missed meetings»)
• 2026-11-21 18:00: одобрен(а) — Olga Smirnova (@olga_admin)

Одобрить или отклонить?\
""",
                1001: """\
New registration request!

Name: Ivan Petrov
Email: ivan@truerealestate.bali
Email check: not verified: no mail server
Telegram: @ivan_sales

Not a first application: this Telegram account was here before.
• 2026-11-23 18:00: left the team, by themselves
• 2026-11-22 18:00: suspended, by Olga Smirnova (@olga_admin) («missed meetings»)
• 2026-11-21 18:00: approved, by Olga Smirnova (@olga_admin)

Approve or reject?\
""",
            }
        )
    finally:
        await pool.close()


async def test_leaving_asked_twice_at_once_leaves_once_and_keeps_the_turn(talk):
    talk.script.call("register_rep", name="Ivan Petrov", email=EMAIL).say("Sent.")
    await talk.say(IVAN, "Ivan Petrov, ivan@truerealestate.bali")
    talk.script.steps.append([("unregister_me", {}), ("unregister_me", {})])
    await talk.say(IVAN, "cancel my application")
    talk.script.say("Done, you are off the list.")
    result = await talk.press(IVAN, "confirm")
    assert not result.failed
    assert "cannot become removed" in talk.script.last_return()
    async with talk.runtime.pool.acquire() as conn:
        rep = await get_rep_by_telegram_id(conn, telegram_id=IVAN)
    assert rep is not None and rep.status == "removed"
