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
Проверка email: не подтверждён: нет почтового сервера
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


async def test_a_rep_books_a_meeting_in_the_sandbox_from_the_terminal(talk):
    from db.prospects import assign_prospect_to_rep
    from db.reps import approve_rep, create_rep
    from tests.conftest import NOW

    async with talk.runtime.pool.acquire() as conn:
        rep = await create_rep(
            conn,
            telegram_id=501,
            name="Иван",
            email="ivan@truerealestate.bali",
            now=NOW,
            timezone="Asia/Makassar",
        )
        await approve_rep(conn, rep_id=rep.id, now=NOW)
        await assign_prospect_to_rep(conn, prospect_id="test_prospect_001", rep_id=rep.id, now=NOW)
    talk.script.call("connect_calendar").say("Календарь подключён (песочница).")
    talk.script.call("book_calendar", prospect="Алексей Петров", start="2026-11-26T15:00:00")
    talk.script.say("Встреча назначена (в режиме песочницы).")
    screen = io.StringIO()
    out = Console(file=screen, width=120, color_system=None)

    await converse(
        talk.runtime,
        lines("подключи календарь", "назначь Алексею четверг 15:00", "/press confirm", "/quit"),
        out,
        as_id=501,
    )
    assert screen.getvalue().split("You are Telegram id 501.\n")[1] == snapshot("""\
bot: Календарь подключён (песочница).
bot: Назначить встречу?
Клиент: Алексей Петров
Когда: 26.11 15:00–15:30 (время Бали), в Zoom
Приглашение получит: alex.petrov@gmail.com
    [✅ Подтвердить] (/press confirm)  [✖️ Отмена] (/press cancel)
bot → chat 1000: 🔥 Горячий клиент: Алексей Петров (@test_buyer_alex) — Иван назначает встречу на 26.11 15:00 (время \n\
Бали).
Ищет: Интересуется виллой в Чангу, бюджет $300-500k
bot: Встреча назначена (в режиме песочницы).
""")
    async with talk.runtime.pool.acquire() as conn:
        booked = await conn.fetchval("SELECT count(*) FROM meetings WHERE sandbox")
    assert booked == 1
