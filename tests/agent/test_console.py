import io

from inline_snapshot import snapshot
from rich.console import Console

from agent.console import converse
from tests.agent.scripted import ADMIN


async def lines(*typed: str):
    for line in typed:
        yield line


async def test_a_registration_and_its_approval_in_the_terminal(talk):
    talk.script.call("register_rep", name="Иван Иванов", email="ivan@truerealestate.bali")
    talk.script.say("Спасибо! Заявка отправлена.")
    talk.script.call("approve_rep", rep="user501").say("Иван одобрен.")
    screen = io.StringIO()
    out = Console(file=screen, width=120, color_system=None)

    await converse(
        talk.runtime,
        lines(
            "Иван Иванов, ivan@truerealestate.bali",
            f"/as {ADMIN}",
            "/press nothing",
            "/press approve",
            "/quit",
            "never read",
        ),
        out,
        as_id=501,
    )
    transcript = screen.getvalue()
    assert transcript == snapshot("""\
Type a message as the current user. Commands: /as ID (speak as another Telegram id), /press BUTTON (press a button of \n\
the last message with buttons: confirm, cancel, approve, reject, or its text), /help, /quit.
You are Telegram id 501.
bot → chat 1000: Новая заявка на регистрацию!

Имя: Иван Иванов
Email: ivan@truerealestate.bali
Telegram: @user501

Одобрить или отклонить?
    [✅ Одобрить] (/press approve)  [❌ Отклонить] (/press reject)
bot: Спасибо! Заявка отправлена.
You are Telegram id 1000.
No button 'nothing' here (buttons: approve, reject).
bot → chat 501: Отличные новости! Ваша заявка одобрена, вы в команде.

Следующий шаг — подключить Google Calendar, чтобы я мог назначать встречи с клиентами. Напишите «подключи календарь», и \n\
я всё сделаю.
bot: Иван одобрен.
""")
    async with talk.runtime.pool.acquire() as conn:
        statuses = await conn.fetch("SELECT status, count(*) FROM outbox GROUP BY status")
    assert [tuple(r) for r in statuses] == [("sent", 4)]
