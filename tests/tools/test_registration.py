"""What a registration stores is what the database takes: a name or an email it would refuse is a
question for the user, never a failed turn."""

from __future__ import annotations

import pytest

from db.reps import get_rep_by_telegram_id
from tools.names import NAME_MAX

IVAN = 501
EMAIL = "ivan@truerealestate.bali"


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
