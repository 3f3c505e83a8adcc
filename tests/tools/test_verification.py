"""Proving an email with a code mailed to it, over the real database and a real SMTP server:
the code arrives, works once, expires, allows few wrong tries, and a changed email is proved
again with the admins told."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from db.reps import approve_rep, get_rep_by_telegram_id, set_calendar_account
from db.verification import mark_verified
from tests.agent.scripted import ADMIN, Dialogue, dialogue
from tests.conftest import NOW
from tests.fakes.clock import no_wait
from tests.fakes.smtp import FakeMailServer
from tools.clients.mail import Mailer, Tls
from tools.clients.retry import RetryPolicy
from tools.services import Services

IVAN = 501
EMAIL = "ivan@truerealestate.bali"
FAST = RetryPolicy(attempts=2, initial_wait=0.01, max_wait=0.02, sleep=no_wait)


@pytest.fixture
async def mailed(db_dsn) -> AsyncIterator[tuple[Dialogue, FakeMailServer]]:
    async with FakeMailServer() as server:
        mail = Mailer(server.host, server.port, "bot@truerealestate.bali", Tls.NONE, policy=FAST)
        talk, pool = await dialogue(db_dsn, services=Services(mail=mail))
        try:
            yield talk, server
        finally:
            await pool.close()


def code_in(server: FakeMailServer, index: int = -1) -> str:
    found = re.search(r"\b(\d{6})\b", server.mail[index].body)
    assert found is not None
    return found.group(1)


async def register(talk: Dialogue, email: str = EMAIL) -> Any:
    talk.script.call("register_rep", name="Иван Иванов", email=email).say("ok")
    return await talk.say(IVAN, f"Иван Иванов, {email}")


async def type_code(talk: Dialogue, code: str) -> Any:
    talk.script.call("verify_my_email", code=code).say("ok")
    await talk.say(IVAN, code)
    return talk.script.last_return()


async def rep(talk: Dialogue) -> Any:
    async with talk.runtime.pool.acquire() as conn:
        return await get_rep_by_telegram_id(conn, telegram_id=IVAN)


async def test_the_code_arrives_proves_the_email_once_and_the_admins_hear(mailed):
    talk, server = mailed
    done = await register(talk)
    (card,) = [m.text for m in done.messages if m.chat_id == ADMIN]
    assert "Проверка email: пока не подтверждён: на адрес отправлен код" in card
    assert talk.script.last_return()["email_verification"]["email_verification"] == "code_sent"
    (mail,) = server.mail
    assert mail.to == [EMAIL]
    code = code_in(server)
    assert code in mail.message["Subject"]
    assert "действует 15 мин." in mail.body
    async with talk.runtime.pool.acquire() as conn:
        stored = await conn.fetchval("SELECT code_hash FROM email_codes")
    assert code not in stored

    assert (await rep(talk)).email_verified_at is None
    assert await type_code(talk, f"{code[:3]} {code[3:]}") == {"verified": True, "email": EMAIL}
    proved = await rep(talk)
    assert (proved.email_verified_at, proved.email_verified_by) == (NOW, "code")
    async with talk.runtime.pool.acquire() as conn:
        told = await conn.fetch("SELECT chat_id, text FROM outbox ORDER BY id")
        spent = await conn.fetchval("SELECT spent_at FROM email_codes")
    assert (ADMIN, f"Иван Иванов (id {IVAN}) подтвердил(а) свой email: {EMAIL}.") in [
        tuple(r) for r in told
    ]
    assert spent == NOW
    talk.script.call("list_reps").say("ok")
    await talk.say(ADMIN, "who's pending?")
    assert [(r["email"], r["email_verified"]) for r in talk.script.last_return()["reps"]] == [
        (EMAIL, True)
    ]
    talk.script.call("approve_rep", rep=EMAIL)
    asked = await talk.say(ADMIN, "одобри Ивана")
    assert "Проверка email: подтверждён кодом из письма" in asked.messages[0].text
    assert await type_code(talk, code) == {"verified": True, "email": EMAIL}  # nothing to redo


async def test_a_wrong_code_is_refused_and_the_tries_are_bounded_even_by_undone_turns(mailed):
    talk, server = mailed
    await register(talk)
    code = code_in(server)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    assert await type_code(talk, wrong) == {
        "verified": False,
        "reason": "wrong code",
        "tries_left": 4,
    }
    # A turn that fails after a wrong try is undone, but the try still counts.
    talk.script.call("verify_my_email", code=wrong).fail(RuntimeError("model down"))
    assert (await talk.say(IVAN, wrong)).failed
    for left in (2, 1):
        assert (await type_code(talk, wrong))["tries_left"] == left
    assert "no code can be typed now" in (await type_code(talk, wrong))["reason"]
    assert "no code can be typed now" in (await type_code(talk, code))["reason"]
    assert (await rep(talk)).email_verified_at is None


async def test_an_expired_code_is_refused_and_a_new_one_replaces_the_old(mailed):
    talk, server = mailed
    await register(talk)
    first = code_in(server)
    talk.clock.advance(minutes=15)
    assert "no code can be typed now" in (await type_code(talk, first))["reason"]

    talk.script.call("send_email_code").say("Отправил новый код.")
    await talk.say(IVAN, "пришли код ещё раз")
    assert talk.script.last_return()["email_verification"] == "code_sent"
    second = code_in(server)
    talk.script.call("send_email_code").say("Отправил ещё один.")
    await talk.say(IVAN, "и ещё")
    third = code_in(server)
    if second != third:  # one in a million they are the same
        assert (await type_code(talk, second))["reason"] == "wrong code"
    assert (await type_code(talk, third))["verified"] is True


async def test_codes_sent_in_a_day_are_bounded(mailed):
    talk, server = mailed
    await register(talk)
    for _ in range(4):
        talk.script.call("send_email_code").say("ok")
        await talk.say(IVAN, "код")
    talk.script.call("send_email_code").say("На сегодня хватит.")
    await talk.say(IVAN, "код")
    assert talk.script.last_return()["email_verification"] == "too_many_codes"
    assert len(server.mail) == 5
    talk.clock.advance(days=1, seconds=1)
    talk.script.call("send_email_code").say("ok")
    await talk.say(IVAN, "код")
    assert talk.script.last_return()["email_verification"] == "code_sent"


async def test_a_mail_server_down_keeps_the_application_and_the_code_comes_later(mailed):
    talk, server = mailed
    await server.stop()
    done = await register(talk)
    assert not done.failed
    (card,) = [m.text for m in done.messages if m.chat_id == ADMIN]
    assert "почтовый сервер не ответил, код не отправлен" in card
    said = talk.script.last_return()["email_verification"]
    assert said["email_verification"] == "mail_failed"
    assert "nothing else is lost" in said["note"]
    assert (await rep(talk)).status == "pending"

    await server.start()
    talk.script.call("send_email_code").say("Отправил.")
    await talk.say(IVAN, "пришли код")
    assert (await type_code(talk, code_in(server)))["verified"] is True


async def test_a_changed_email_is_proved_again_and_the_admins_are_told(mailed):
    talk, server = mailed
    await register(talk)
    async with talk.runtime.pool.acquire() as conn:
        ivan = await get_rep_by_telegram_id(conn, telegram_id=IVAN)
        await approve_rep(conn, rep_id=ivan.id, now=NOW)
        await mark_verified(conn, rep_id=ivan.id, email=EMAIL, by="code", now=NOW)
        await set_calendar_account(conn, rep_id=ivan.id, account=EMAIL, now=NOW)

    new = "ivan.petrov@truerealestate.bali"
    talk.script.call("update_my_email", email=new).say("Поменял, проверьте почту.")
    done = await talk.say(IVAN, f"мой новый email {new}")
    changed = talk.script.last_return()
    assert (changed["email"], changed["previous"], changed["calendar_disconnected"]) == (
        new,
        EMAIL,
        True,
    )
    after = await rep(talk)
    assert (after.email, after.email_verified_at, after.calendar_connected_at) == (new, None, None)
    assert server.mail[-1].to == [new]
    (notice,) = [m.text for m in done.messages if m.chat_id == ADMIN]
    assert notice == (
        f"Иван Иванов (id {IVAN}) сменил(а) email.\n\n"
        f"Был: {EMAIL}\nСтал: {new}\n"
        "Проверка email: пока не подтверждён: на адрес отправлен код"
    )
    # The code mailed to the old address proves nothing about the new one.
    assert (await type_code(talk, code_in(server, 0)))["verified"] is False
    assert (await type_code(talk, code_in(server)))["verified"] is True


async def test_the_card_says_when_there_is_no_mail_server(talk):
    talk.script.call("register_rep", name="John Smith", email="john@truerealestate.bali")
    talk.script.say("Thanks!")
    async with talk.runtime.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO reps (telegram_id, name, email, status, language, timezone, is_admin,"
            " registered_at, status_changed_at, created_at, updated_at)"
            " VALUES ($1, 'Admin Person', 'boss@truerealestate.bali', 'active', 'en',"
            " 'Asia/Makassar', true, $2, $2, $2, $2)",
            ADMIN,
            NOW,
        )
    done = await talk.say(IVAN, "John Smith, john@truerealestate.bali")
    (card,) = [m.text for m in done.messages if m.chat_id == ADMIN]
    assert "Email check: not verified: no mail server" in card
    said = talk.script.last_return()["email_verification"]
    assert said["email_verification"] == "no_mail_server"

    talk.script.call("verify_my_email", code="123456").say("No code was sent.")
    await talk.say(IVAN, "123456")
    assert talk.script.last_return() == {
        "verified": False,
        "reason": "no mail server is configured, so the email cannot be verified by a code",
    }
