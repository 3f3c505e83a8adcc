from inline_snapshot import snapshot

from db.reps import get_rep_by_telegram_id
from tests.agent.scripted import ADMIN, sent

IVAN = 501


async def test_registration_in_russian_from_the_first_hello(talk):
    talk.script.say("Привет! Я регистрирую менеджеров True Real Estate. Хотите зарегистрироваться?")
    first = await talk.say(IVAN, "привет", username="ivan_sales")
    assert talk.script.offered[-1] == {"register_rep", "my_status"}
    assert [m.text for m in first.messages] == [
        "Привет! Я регистрирую менеджеров True Real Estate. Хотите зарегистрироваться?"
    ]

    talk.script.say("Отлично! Как вас зовут?")
    await talk.say(IVAN, "да", username="ivan_sales")
    talk.script.say("Какой ваш корпоративный email?")
    await talk.say(IVAN, "Иван Иванов", username="ivan_sales")

    talk.script.call("register_rep", name="Иван Иванов", email="ivan@gmail.com")
    talk.script.say("Нужен корпоративный адрес @truerealestate.bali.")
    await talk.say(IVAN, "ivan@gmail.com", username="ivan_sales")
    assert "is not a corporate address" in talk.script.last_return()
    async with talk.runtime.pool.acquire() as conn:
        assert await get_rep_by_telegram_id(conn, telegram_id=IVAN) is None

    talk.script.call("register_rep", name="Иван Иванов", email="Ivan@TrueRealEstate.bali")
    talk.script.say("Спасибо! Заявка отправлена администратору.")
    done = await talk.say(IVAN, "ivan@truerealestate.bali", username="ivan_sales")

    async with talk.runtime.pool.acquire() as conn:
        rep = await get_rep_by_telegram_id(conn, telegram_id=IVAN)
        audit = await conn.fetch("SELECT tool, allowed, outcome FROM audit_log ORDER BY id")
        card = await conn.fetchval("SELECT about FROM outbox WHERE chat_id = $1", ADMIN)
    assert rep is not None
    assert card == {"rep_id": str(rep.id)}  # a reply to the card is about this applicant
    assert (rep.name, rep.email, rep.status, rep.language, rep.telegram_username) == (
        "Иван Иванов",
        "ivan@truerealestate.bali",
        "pending",
        "ru",
        "ivan_sales",
    )
    assert sent(done, REP=rep.id) == snapshot(
        [
            (
                1000,
                """\
Новая заявка на регистрацию!

Имя: Иван Иванов
Email: ivan@truerealestate.bali
Проверка email: не подтверждён: нет почтового сервера
Telegram: @ivan_sales

Одобрить или отклонить?\
""",
                [
                    [
                        {"data": "approve:REP", "text": "✅ Одобрить"},
                        {"data": "reject:REP", "text": "❌ Отклонить"},
                    ]
                ],
            ),
            (501, "Спасибо! Заявка отправлена администратору.", None),
        ]
    )
    assert [tuple(r) for r in audit] == snapshot(
        [("register_rep", True, "retry"), ("register_rep", True, "ok")]
    )


async def test_registration_in_english(talk):
    talk.script.say("Hi! Want to register as a sales rep?")
    await talk.say(IVAN, "hello")
    talk.script.say("Great, what's your full name?")
    await talk.say(IVAN, "yes please")
    talk.script.say("And your corporate email?")
    await talk.say(IVAN, "John Smith")
    talk.script.call("register_rep", name="John Smith", email="john@truerealestate.bali")
    talk.script.say("Thanks! Your application is with the admins.")
    done = await talk.say(IVAN, "john@truerealestate.bali")

    async with talk.runtime.pool.acquire() as conn:
        rep = await get_rep_by_telegram_id(conn, telegram_id=IVAN)
    assert rep is not None
    assert (rep.status, rep.language) == ("pending", "en")
    admin_note = next(m for m in done.messages if m.chat_id == ADMIN)
    assert "John Smith" in admin_note.text and "id 501" in admin_note.text


async def test_registering_twice_is_not_offered_and_refused(talk):
    talk.script.call("register_rep", name="Иван Иванов", email="ivan@truerealestate.bali")
    talk.script.say("Заявка отправлена.")
    await talk.say(IVAN, "Иван Иванов, ivan@truerealestate.bali")

    talk.script.call("register_rep", name="Иван Другой", email="other@truerealestate.bali")
    talk.script.say("Вы уже зарегистрированы.")
    await talk.say(IVAN, "зарегистрируй меня ещё раз как Иван Другой")
    assert "register_rep" not in talk.script.offered[-1]

    async with talk.runtime.pool.acquire() as conn:
        rep = await get_rep_by_telegram_id(conn, telegram_id=IVAN)
        refused = await conn.fetch(
            "SELECT tool, actor_role, outcome, detail FROM audit_log WHERE NOT allowed"
        )
    assert rep is not None
    assert (rep.name, rep.email) == ("Иван Иванов", "ivan@truerealestate.bali")
    assert [tuple(r) for r in refused] == [
        ("register_rep", "pending", "refused", "not offered to role pending")
    ]


async def test_a_removed_rep_comes_back_as_pending(talk):
    talk.script.call("register_rep", name="Иван Иванов", email="ivan@truerealestate.bali")
    talk.script.say("Заявка отправлена.")
    await talk.say(IVAN, "Иван Иванов, ivan@truerealestate.bali")
    async with talk.runtime.pool.acquire() as conn:
        first = await get_rep_by_telegram_id(conn, telegram_id=IVAN)
        await conn.execute("UPDATE reps SET status = 'removed' WHERE telegram_id = $1", IVAN)

    talk.script.call("register_rep", name="Иван Иванов", email="ivan.new@truerealestate.bali")
    talk.script.say("С возвращением! Заявка отправлена.")
    await talk.say(IVAN, "хочу вернуться, ivan.new@truerealestate.bali")
    async with talk.runtime.pool.acquire() as conn:
        again = await get_rep_by_telegram_id(conn, telegram_id=IVAN)
    assert first is not None and again is not None
    assert (again.id, again.status, again.email) == (
        first.id,
        "pending",
        "ivan.new@truerealestate.bali",
    )


async def test_a_call_whose_arguments_do_not_fit_is_audited(talk):
    talk.script.call("register_rep", name="Иван Иванов")
    talk.script.say("Какой у вас корпоративный email?")
    await talk.say(IVAN, "Иван Иванов")
    async with talk.runtime.pool.acquire() as conn:
        audit = await conn.fetch("SELECT tool, args, allowed, outcome, detail FROM audit_log")
        assert await get_rep_by_telegram_id(conn, telegram_id=IVAN) is None
    assert [(r["tool"], r["args"], r["allowed"], r["outcome"]) for r in audit] == [
        ("register_rep", {"name": "Иван Иванов"}, True, "invalid")
    ]
    assert "'loc': ['email']" in audit[0]["detail"]
