"""A full day replayed from an empty team, on a controlled clock: every ten minutes the real
scheduler ticks, and the inbox (the people's Telegram updates and the scheduler's events) is
served by the turn workers' own code. The model is scripted, the integrations are sandboxed.
What each person received, in order and at what local time, is the snapshot: an event that
fires twice, late or not at all changes it (or runs the script dry, which shows as an
apology)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from inline_snapshot import snapshot
from pydantic_core import to_jsonable_python

from agent.runtime import inbox_kinds, plan_from
from agent.scheduler import tick
from agent.settings import default_settings
from agent.telegram import updates
from agent.workers import TurnWorkers
from db import inbox
from tests.agent.scripted import ADMIN, Dialogue

IVAN = 501
BALI = ZoneInfo("Asia/Makassar")
MONDAY = datetime(2026, 11, 23, tzinfo=BALI)
STEP = timedelta(minutes=10)
PLAN = plan_from(
    default_settings(
        admin_telegram_ids=(ADMIN,),
        unreached_reminder_hours=3,  # a nudge within the day
        stale_deal_days=0.75,  # yesterday's silence is stale by the morning digest
    )
)


class Day:
    """The clock, the scheduler and the workers; people write through the inbox."""

    def __init__(self, talk: Dialogue) -> None:
        self.talk = talk
        self.pool = talk.runtime.pool
        self.workers = TurnWorkers(talk.runtime, kinds=inbox_kinds(), wall=talk.clock)
        self.update_ids = itertools.count(1)
        self.ids: dict[str, str] = {}

    @property
    def model(self) -> Any:
        return self.talk.script

    async def until(self, day: int, hour: int, minute: int = 0) -> None:
        """Ticks every ten minutes up to this local time, serving the inbox after each."""
        end = (MONDAY + timedelta(days=day - 1, hours=hour, minutes=minute)).astimezone(UTC)
        while self.talk.clock.now + STEP <= end:
            self.talk.clock.now += STEP
            await tick(self.pool, PLAN, self.talk.clock.now)
            await self.serve()
        self.talk.clock.now = end

    async def says(self, chat_id: int, text: str) -> None:
        await self._arrive(
            {"message": {"from": _user(chat_id), "chat": _chat(chat_id), "text": text}}
        )

    async def presses(self, chat_id: int, data: str) -> None:
        query = {"id": f"q{chat_id}", "from": _user(chat_id), "data": data}
        await self._arrive({"callback_query": query | {"message": {"chat": _chat(chat_id)}}})

    async def _arrive(self, update: dict[str, Any]) -> None:
        row = updates.to_inbox({"update_id": next(self.update_ids), **update})
        assert row is not None
        await inbox.add_updates(self.pool, updates=[row], now=self.talk.clock.now)
        await self.serve()

    async def serve(self) -> None:
        while True:
            now = self.talk.clock.now
            claims = await self.workers.claim(100, now, now + timedelta(minutes=1))
            if not claims:
                return
            for claim in claims:
                await self.workers.handle(claim)

    async def received(self) -> dict[str, list[str]]:
        """Each person's messages: local time, text, buttons; ids named."""
        rows = await self.pool.fetch(
            "SELECT chat_id, text, buttons, created_at FROM outbox WHERE kind = 'message'"
            " ORDER BY id"
        )
        names = {IVAN: "Иван", ADMIN: "admin"}
        out: dict[str, list[str]] = {}
        for r in rows:
            line = f"{r['created_at'].astimezone(BALI):%a %H:%M} {r['text']}"
            for row in r["buttons"] or []:
                line += "\n" + " ".join(f"[{b['text']} → {b['data']}]" for b in row)
            for name, value in self.ids.items():
                line = line.replace(value, name)
            out.setdefault(names.get(r["chat_id"], str(r["chat_id"])), []).append(line)
        return out


def _user(telegram_id: int) -> dict[str, Any]:
    return {"id": telegram_id, "is_bot": False, "first_name": "x", "language_code": "ru"}


def _chat(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "type": "private"}


async def test_a_day_from_registration_to_the_stale_deal_digest(talk):
    day = Day(talk)
    start = (MONDAY + timedelta(hours=8)).astimezone(UTC)
    await day.pool.execute(
        "UPDATE prospects SET created_at = $1, status_changed_at = $1, updated_at = $1,"
        " status = CASE id WHEN 'test_prospect_003' THEN 'archived' ELSE status END",
        start,
    )
    talk.clock.now = start
    model = day.model

    await day.until(1, 9, 0)  # an empty team: nothing is due
    model.say("Здравствуйте! Я регистрирую менеджеров True Real Estate. Как вас зовут?")
    await day.says(IVAN, "Здравствуйте! Хочу зарегистрироваться")
    model.say("Спасибо! Ваш корпоративный email?")
    await day.says(IVAN, "Иван Иванов")
    model.call("register_rep", name="Иван Иванов", email="ivan@truerealestate.bali")
    model.say("Заявка отправлена администратору, я напишу, когда её рассмотрят.")
    await day.says(IVAN, "ivan@truerealestate.bali")
    day.ids["REP"] = str(await day.pool.fetchval("SELECT id FROM reps"))

    await day.until(1, 9, 5)
    model.call("approve_rep", rep=day.ids["REP"]).say("Одобрил Ивана Иванова, он уведомлён.")
    await day.presses(ADMIN, f"approve:{day.ids['REP']}")

    model.say(
        "Вам назначен Алексей Петров: вилла в Чангу, $300-500k. Черновик: «Алексей, "
        "здравствуйте! …» — https://t.me/test_buyer_alex. Напишите, когда отправите."
    )
    model.say(
        "Вам назначена Мария Козлова: инвестор, апартаменты под аренду. Черновик: «Мария, "
        "добрый день! …» — https://t.me/test_investor_maria."
    )
    model.say("Сводка команды: Иван Иванов — 2 клиента, оба ещё не связались. Заявок нет.")
    await day.until(1, 10, 0)
    model.call(
        "update_prospect_status",
        prospect="Алексей Петров",
        status="contacted",
        note="написал в Telegram",
    )
    model.say("Отметил: Алексею написали.")
    await day.says(IVAN, "Написал Алексею")

    model.say("Алексей ответил? Если нет — черновик: «Алексей, удобно ли созвониться?»")
    model.say("Напоминаю про Марию Козлову: она ждёт первого сообщения. Черновик: «Мария, …»")
    await day.until(1, 12, 30)
    model.call("update_prospect_status", prospect="Мария Козлова", status="contacted")
    model.say("Отметил: Марии написали.")
    await day.says(IVAN, "Написал Марии")

    await day.until(1, 13, 0)
    model.call("book_calendar", prospect="Алексей Петров", start="2026-11-23T16:00:00")
    await day.says(IVAN, "Алексей ответил, созвон сегодня в 16:00")
    model.say("Готово: встреча с Алексеем сегодня в 16:00 (песочница: без реальных приглашений).")
    await day.presses(IVAN, "confirm")

    model.say("Мария ответила? Черновик: «Мария, удобно ли обсудить варианты?»")
    model.call("meeting_brief", prospect="test_prospect_001")
    model.say("Через час встреча с Алексеем. Ситуация: … Три шага: … Возражения: …")
    model.say("Как прошла встреча с Алексеем Петровым?")
    await day.until(1, 16, 40)
    model.call(
        "log_hubspot",
        prospect="Алексей Петров",
        summary="Показал виллы в Чангу.",
        outcome="заинтересован",
        next_step="просмотр в субботу",
    )
    await day.says(IVAN, "Хорошо! Ему понравились виллы в Чангу, в субботу просмотр")
    model.say("Записал в HubSpot (песочница).")
    await day.presses(IVAN, "confirm")

    model.say("Напоминаю: подключите Google Calendar — просто напишите «подключи календарь».")
    model.say("Без движения со вчера: Мария Козлова. Следующий шаг: короткий вопрос о сроках.")
    model.say("Сводка команды: Иван Иванов — 2 клиента, 1 без движения.")
    await day.until(2, 10, 0)

    assert list(model.steps) == []
    assert await day.received() == snapshot(
        {
            "Иван": [
                "Mon 09:00 Здравствуйте! Я регистрирую менеджеров True Real Estate. Как вас зовут?",
                "Mon 09:00 Спасибо! Ваш корпоративный email?",
                "Mon 09:00 Заявка отправлена администратору, я напишу, когда её рассмотрят.",
                """\
Mon 09:05 Отличные новости! Ваша заявка одобрена, вы в команде.

Следующий шаг — подключить Google Calendar, чтобы я мог назначать встречи с клиентами. Напишите «подключи календарь», и я всё сделаю.\
""",
                "Mon 09:15 Вам назначен Алексей Петров: вилла в Чангу, $300-500k. Черновик: «Алексей, здравствуйте! …» — https://t.me/test_buyer_alex. Напишите, когда отправите.",
                "Mon 09:15 Вам назначена Мария Козлова: инвестор, апартаменты под аренду. Черновик: «Мария, добрый день! …» — https://t.me/test_investor_maria.",
                "Mon 10:00 Отметил: Алексею написали.",
                "Mon 12:00 Алексей ответил? Если нет — черновик: «Алексей, удобно ли созвониться?»",
                "Mon 12:20 Напоминаю про Марию Козлову: она ждёт первого сообщения. Черновик: «Мария, …»",
                "Mon 12:30 Отметил: Марии написали.",
                """\
Mon 13:00 Назначить встречу?
Клиент: Алексей Петров
Когда: 23.11 16:00–16:30 (время Бали), в Zoom
Приглашение получит: alex.petrov@gmail.com
[✅ Подтвердить → confirm] [✖️ Отмена → cancel]\
""",
                "Mon 13:00 Готово: встреча с Алексеем сегодня в 16:00 (песочница: без реальных приглашений).",
                "Mon 14:30 Мария ответила? Черновик: «Мария, удобно ли обсудить варианты?»",
                "Mon 15:00 Через час встреча с Алексеем. Ситуация: … Три шага: … Возражения: …",
                "Mon 16:30 Как прошла встреча с Алексеем Петровым?",
                """\
Mon 16:40 Записать заметку в HubSpot?
Клиент: Алексей Петров

Показал виллы в Чангу.
Итог: заинтересован
Следующий шаг: просмотр в субботу
[✅ Подтвердить → confirm] [✖️ Отмена → cancel]\
""",
                "Mon 16:40 Записал в HubSpot (песочница).",
                "Tue 09:10 Напоминаю: подключите Google Calendar — просто напишите «подключи календарь».",
                "Tue 09:30 Без движения со вчера: Мария Козлова. Следующий шаг: короткий вопрос о сроках.",
            ],
            "admin": [
                """\
Mon 09:00 Новая заявка на регистрацию!

Имя: Иван Иванов
Email: ivan@truerealestate.bali
Проверка email: не подтверждён: нет почтового сервера
Telegram: id 501

Одобрить или отклонить?
[✅ Одобрить → approve:REP] [❌ Отклонить → reject:REP]\
""",
                "Mon 09:05 Одобрил Ивана Иванова, он уведомлён.",
                "Mon 09:35 Сводка команды: Иван Иванов — 2 клиента, оба ещё не связались. Заявок нет.",
                """\
Mon 13:00 🔥 Горячий клиент: Алексей Петров (@test_buyer_alex) — Иван Иванов назначает встречу на 23.11 16:00 (время Бали).
Ищет: Интересуется виллой в Чангу, бюджет $300-500k\
""",
                "Tue 09:30 Сводка команды: Иван Иванов — 2 клиента, 1 без движения.",
            ],
        }
    )
    kinds = await day.pool.fetch(
        "SELECT payload->>'event', count(*) FROM inbox WHERE kind = 'event' GROUP BY 1 ORDER BY 1"
    )
    assert {r[0]: r[1] for r in kinds} == snapshot(
        {
            "calendar_reminder": 1,
            "follow_up": 2,
            "meeting_debrief": 1,
            "meeting_prep": 1,
            "prospect_assigned": 2,
            "stale_digest": 1,
            "team_digest": 2,
            "unreached_reminder": 1,
        }
    )
    assert await day.pool.fetchval("SELECT count(*) FROM inbox WHERE status <> 'done'") == 0
    (brief,) = [
        to_jsonable_python(r.content) for r in model.returns if r.tool_name == "meeting_brief"
    ]
    assert brief == snapshot(
        {
            "prospect": {
                "name": "Алексей Петров",
                "status": "in_conversation",
                "context": "Интересуется виллой в Чангу, бюджет $300-500k",
            },
            "notes": "Видел рекламу в Instagram",
            "signals": {
                "stage": "in_conversation",
                "amount": None,
                "days_in_pipeline": 0,
                "days_in_stage": 0,
                "days_since_last_activity": 0,
                "touches": 2,
                "meetings_held": 0,
                "meetings_upcoming": 1,
                "next_step": None,
                "next_step_due": None,
                "next_step_overdue": False,
                "source": "records",
            },
            "recent": [
                {
                    "at": "2026-11-23 13:00",
                    "kind": "meeting",
                    "text": "Алексей Петров — True Real Estate",
                },
                {
                    "at": "2026-11-23 13:00",
                    "kind": "status",
                    "text": "meeting booked for 2026-11-23 16:00 (Asia/Makassar)",
                },
                {"at": "2026-11-23 10:00", "kind": "contact", "text": "написал в Telegram"},
            ],
        }
    )
    events = [p.split("»")[0][18:] for p in model.prompts if p.startswith("[Scheduler event")]
    assert events == snapshot(
        [
            "prospect_assigned",
            "prospect_assigned",
            "team_digest",
            "follow_up",
            "unreached_reminder",
            "follow_up",
            "meeting_prep",
            "meeting_debrief",
            "calendar_reminder",
            "stale_digest",
            "team_digest",
        ]
    )
