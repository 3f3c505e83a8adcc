from inline_snapshot import snapshot

from db.reps import approve_rep, create_rep, get_rep_by_telegram_id
from tests.agent.scripted import ADMIN, sent
from tests.conftest import NOW

IVAN = 501


async def registered(talk, *, active: bool = True):
    async with talk.runtime.pool.acquire() as conn:
        rep = await create_rep(
            conn, telegram_id=IVAN, name="Иван Иванов", email="ivan@truerealestate.bali", now=NOW
        )
        if active:
            rep = await approve_rep(conn, rep_id=rep.id, now=NOW)
    return rep


async def status(talk) -> str:
    async with talk.runtime.pool.acquire() as conn:
        rep = await get_rep_by_telegram_id(conn, telegram_id=IVAN)
    assert rep is not None
    return rep.status


async def test_unregistering_asks_first_and_the_confirm_button_does_it(talk):
    await registered(talk)
    talk.script.call("unregister_me")
    asked = await talk.say(IVAN, "хочу отключиться")
    assert sent(asked) == snapshot(
        [
            (
                501,
                "Вы уверены, что хотите отключиться от системы? Это отменит вашу регистрацию.",
                [
                    [
                        {"data": "confirm", "text": "✅ Подтвердить"},
                        {"data": "cancel", "text": "✖️ Отмена"},
                    ]
                ],
            )
        ]
    )
    assert await status(talk) == "active"

    talk.script.say("Хорошо, ваша регистрация отменена. Если захотите вернуться — просто напишите.")
    done = await talk.press(IVAN, "confirm")
    assert await status(talk) == "removed"
    assert sent(done) == snapshot(
        [
            (
                501,
                "Хорошо, ваша регистрация отменена. Если захотите вернуться — просто напишите.",
                None,
            )
        ]
    )
    assert talk.script.returns[-1].outcome == "success"


async def test_a_typed_no_cancels(talk):
    await registered(talk)
    talk.script.call("unregister_me")
    await talk.say(IVAN, "unregister me")
    talk.script.say("OK, nothing changed.")
    await talk.say(IVAN, "no")
    assert await status(talk) == "active"
    assert "The user cancelled" in talk.script.last_return()


async def test_a_typed_yes_in_russian_confirms(talk):
    await registered(talk, active=False)
    talk.script.call("unregister_me")
    await talk.say(IVAN, "отмени мою заявку")
    talk.script.say("Заявка отменена.")
    await talk.say(IVAN, "Да!")
    assert await status(talk) == "removed"


async def test_an_ignored_confirmation_expires(talk):
    await registered(talk)
    talk.script.call("unregister_me")
    await talk.say(IVAN, "хочу отключиться")
    talk.clock.advance(minutes=16)
    talk.script.say("Время подтверждения истекло, я ничего не менял.")
    late = await talk.press(IVAN, "confirm")
    assert await status(talk) == "active"
    assert "expired" in talk.script.last_return()
    assert [m.text for m in late.messages] == ["Время подтверждения истекло, я ничего не менял."]


async def test_writing_something_else_leaves_it_undone_and_goes_on(talk):
    await registered(talk)
    talk.script.call("unregister_me")
    await talk.say(IVAN, "хочу отключиться")
    talk.script.call("my_status").say("Вы активный менеджер.")
    await talk.say(IVAN, "а какой у меня статус?")
    assert await status(talk) == "active"
    assert talk.script.prompts[-1] == "а какой у меня статус?"
    assert "instead of confirming" in talk.script.returns[-2].content


async def test_an_admin_confirms_a_suspension_and_the_rep_is_told(talk):
    await registered(talk)
    talk.script.call("suspend_rep", rep="Иван Иванов")
    asked = await talk.say(ADMIN, "suspend Ivan Ivanov")
    assert sent(asked) == snapshot(
        [
            (
                1000,
                "Suspend Иван Иванов (ivan@truerealestate.bali)?",
                [
                    [
                        {"data": "confirm", "text": "✅ Confirm"},
                        {"data": "cancel", "text": "✖️ Cancel"},
                    ]
                ],
            )
        ]
    )
    talk.script.say("Done: Ivan is suspended and has been told.")
    done = await talk.press(ADMIN, "confirm")
    assert await status(talk) == "suspended"
    assert [m.chat_id for m in done.messages] == [IVAN, ADMIN]
    async with talk.runtime.pool.acquire() as conn:
        outcomes = await conn.fetch("SELECT tool, outcome FROM audit_log ORDER BY id")
    assert [tuple(r) for r in outcomes] == [
        ("suspend_rep", "confirmation_asked"),
        ("suspend_rep", "confirmed"),
    ]


async def test_a_confirmation_whose_history_was_lost_does_not_block_the_chat(talk):
    await registered(talk)
    talk.script.call("unregister_me")
    await talk.say(IVAN, "хочу отключиться")
    async with talk.runtime.pool.acquire() as conn:
        await conn.execute('UPDATE chats SET history = \'{"v": 1, "messages": [{"kind": "?"}]}\'')
    talk.script.say("Привет! Чем помочь?")
    result = await talk.say(IVAN, "да")
    assert not result.failed
    assert await status(talk) == "active"
    assert talk.script.prompts[-1] == "да"
