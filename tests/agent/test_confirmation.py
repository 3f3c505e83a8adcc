from datetime import timedelta

from inline_snapshot import snapshot
from pydantic_ai import DeferredToolRequests, ToolDenied
from pydantic_ai.messages import ToolCallPart

from agent import confirmation
from agent.channel import Inbound, Sender
from db.chats import ChatState
from db.reps import approve_rep, create_rep, get_rep_by_telegram_id
from tests.agent.scripted import ADMIN, sent
from tests.conftest import NOW

IVAN = 501


async def registered(talk, *, active: bool = True):
    async with talk.runtime.pool.acquire() as conn:
        rep = await create_rep(
            conn,
            telegram_id=IVAN,
            name="Иван Иванов",
            email="ivan@truerealestate.bali",
            now=NOW,
            timezone="Asia/Makassar",
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
                """\
Suspend access?
Name: Иван Иванов
Email: ivan@truerealestate.bali
Telegram: id 501\
""",
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


# The protocol itself, one answer at a time.

PAUSED = ChatState(
    chat_id=IVAN,
    language="ru",
    history="[]",
    pending_approval={"approvals": ["call-1"]},
    pending_expires_at=NOW + timedelta(minutes=15),
)


def answer(inbound: Inbound, *, at=NOW, paused: bool = True) -> tuple[str | None, object]:
    resumed = confirmation.resume(PAUSED, inbound, at, paused=paused)
    if resumed.answers is None:
        return resumed.prompt, None
    verdict = resumed.answers.approvals["call-1"]
    return resumed.prompt, verdict.message if isinstance(verdict, ToolDenied) else verdict


def said(text: str) -> Inbound:
    return Inbound(IVAN, Sender(IVAN), text=text)


def pressed(data: str) -> Inbound:
    return Inbound(IVAN, Sender(IVAN), press=data)


def test_a_press_or_a_typed_yes_confirms_and_is_not_a_new_prompt():
    assert answer(pressed("confirm")) == (None, True)
    assert answer(said("Да, конечно!")) == (None, True)


def test_a_press_or_a_typed_no_cancels():
    assert answer(pressed("cancel")) == (None, confirmation.CANCELLED)
    assert answer(said("нет")) == (None, confirmation.CANCELLED)


def test_something_else_leaves_the_call_undone_and_is_heard():
    assert answer(said("а сколько стоит вилла?")) == ("а сколько стоит вилла?", confirmation.OTHER)


def test_a_press_on_an_expired_confirmation_does_nothing_and_says_so():
    late = NOW + timedelta(minutes=15)
    assert answer(pressed("confirm"), at=late) == snapshot(
        (
            "[The user pressed «confirm», but nothing is waiting for confirmation any more]",
            "The confirmation expired unanswered; nothing was done. If the user still wants it, call the tool again.",
        )
    )


def test_without_the_paused_run_in_history_nothing_waits():
    assert answer(pressed("confirm"), paused=False) == (
        "[The user pressed «confirm», but nothing is waiting for confirmation any more]",
        None,
    )


def test_a_note_goes_before_what_was_said():
    inbound = Inbound(IVAN, Sender(IVAN), text="привет", note="[The user edited a message]")
    assert answer(inbound, paused=False) == ("[The user edited a message]\nпривет", None)


def test_an_applicants_card_button_is_told_as_a_press_on_that_application():
    assert confirmation.pressed("approve:42") == snapshot(
        "[The user pressed the button «approve» on the application of rep id 42]"
    )


def test_a_paused_run_asks_its_questions_with_buttons_in_the_users_language():
    calls = [ToolCallPart("suspend_rep", {"rep": "Olga"}, tool_call_id="c1")]
    output = DeferredToolRequests(approvals=calls, metadata={"c1": {"question": "Suspend Olga?"}})
    asked = confirmation.ask(output, "en")
    assert (asked.pending, asked.text) == ({"approvals": ["c1"]}, "Suspend Olga?")
    assert asked.buttons == snapshot(
        [[{"text": "✅ Confirm", "data": "confirm"}, {"text": "✖️ Cancel", "data": "cancel"}]]
    )
    assert confirmation.ask("Готово.", "ru") == confirmation.Asked(None, "Готово.")
