"""`analyze_deal` through the whole turn: the scripted model calls it, the coach runs on the
same model (its requests told apart by their output tool), and a rep may analyse only their own
prospects while an admin may analyse anyone's."""

import dataclasses
from datetime import timedelta
from decimal import Decimal

import pytest
from inline_snapshot import snapshot
from pydantic_ai.messages import ModelResponse, ToolCallPart
from pydantic_ai.models.function import FunctionModel

from db.deals import create_deal
from db.meetings import create_meeting
from db.prospects import assign_prospect_to_rep, create_prospect, log_activity, record_contact
from db.reps import approve_rep, create_rep
from tests.agent.scripted import ADMIN
from tests.conftest import NOW

IVAN, OLGA = 501, 502
DAY = timedelta(days=1)
ANALYSIS = {
    "assessment": "4 days without activity and an overdue next step.",
    "strengths": ["A viewing is booked"],
    "concerns": ["4 days without contact"],
    "red_flags": ["The next step is overdue"],
    "priority": "high",
    "actions": [{"text": "Call Ketut today", "urgency": "now", "why": "the next step is overdue"}],
    "suggested_phrases": ["Ketut, I have the contract draft ready"],
    "next_steps": ["Call today", "Send the draft"],
    "conversion_probability": 40,
    "cited_signals": ["days_since_last_activity", "next_step_overdue"],
}


class MainAndCoach:
    """The main agent's requests go to the script; the coach's (it has an output tool for its
    analysis) get `ANALYSIS`, and what it was told is kept."""

    def __init__(self, script):
        self.script, self.told = script, []

    def __call__(self, messages, info):
        if not info.output_tools:
            return self.script(messages, info)
        self.told.append(messages[-1].parts[-1].content)
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, ANALYSIS)])


@pytest.fixture
async def coached(talk):
    model = MainAndCoach(talk.script)
    talk.runtime = dataclasses.replace(talk.runtime, model=FunctionModel(model))
    async with talk.runtime.pool.acquire() as conn:
        ivan = await active_rep(conn, IVAN, "Иван Иванов")
        await active_rep(conn, OLGA, "Olga Smirnova")
        ketut = await create_prospect(
            conn, name="Ketut Wirawan", context="Villa in Canggu", now=NOW - 12 * DAY
        )
        await assign_prospect_to_rep(conn, prospect_id=ketut.id, rep_id=ivan.id, now=NOW - 12 * DAY)
        await record_contact(conn, prospect_id=ketut.id, rep_id=ivan.id, now=NOW - 4 * DAY)
        await create_deal(
            conn,
            prospect_id=ketut.id,
            rep_id=ivan.id,
            name="Villa in Canggu",
            amount=Decimal(420000),
            next_step="Send the contract draft",
            next_step_due=NOW - DAY,
            now=NOW - 10 * DAY,
        )
        await create_meeting(
            conn,
            rep_id=ivan.id,
            prospect_id=ketut.id,
            title="Viewing",
            starts_at=NOW + 2 * DAY,
            ends_at=NOW + 2 * DAY + timedelta(hours=1),
            sandbox=True,
            now=NOW - 4 * DAY,
        )
    return model


async def active_rep(conn, telegram_id, name):
    rep = await create_rep(
        conn,
        telegram_id=telegram_id,
        name=name,
        email=f"{telegram_id}@truerealestate.bali",
        now=NOW,
        timezone="Asia/Makassar",
    )
    return await approve_rep(conn, rep_id=rep.id, now=NOW)


async def test_a_rep_gets_the_analysis_of_their_own_deal_in_russian(talk, coached):
    talk.script.call("analyze_deal", prospect="Ketut").say("(the analysis)")
    await talk.say(IVAN, "Как дела со сделкой с Кетутом?")
    assert "analyze_deal" in talk.script.offered[0]
    assert talk.script.last_return() == snapshot("""\
🔴 АНАЛИЗ СДЕЛКИ

📋 Сделка: Villa in Canggu
👤 Клиент: Ketut Wirawan
🏷 Этап: new
💰 Бюджет: 420,000 USD
📊 Вероятность закрытия: 40%

⏱ В работе: 10 дн., на этапе: 10 дн.
💬 Касаний: 1
📞 Встреч: проведено 0, впереди 1
⚠️ Дней без активности: 4
📌 Следующий шаг: Send the contract draft (до 19.11) — просрочен

📝 ОЦЕНКА:
4 days without activity and an overdue next step.

✅ ЧТО ХОРОШО:
  • A viewing is booked

⚠️ ЧТО ВЫЗЫВАЕТ БЕСПОКОЙСТВО:
  • 4 days without contact

🚨 КРИТИЧНО:
  ⛔️ The next step is overdue

💡 РЕКОМЕНДАЦИИ:

🔥 СРОЧНО
1. Call Ketut today
   Почему: the next step is overdue

💬 ЧТО СКАЗАТЬ КЛИЕНТУ:
  • "Ketut, I have the contract draft ready"

🎯 ПЛАН ДЕЙСТВИЙ (2-3 дня):
  ✓ Call today
  ✓ Send the draft

📂 Данные: наши записи
🤖 Анализ от 20.11.2026 18:00\
""")
    assert coached.told == snapshot(
        [
            """\
Deal with the client Ketut Wirawan (prospect status: contacted).
What the client wants: Villa in Canggu

Signals, computed from our own records:
- stage: new
- amount: 420000.00
- days_in_pipeline: 10
- days_in_stage: 10
- days_since_last_activity: 4
- touches: 1
- meetings_held: 0
- meetings_upcoming: 1
- next_step: Send the contract draft
- next_step_due: 2026-11-19 10:00 UTC
- next_step_overdue: yes
(amount is in USD)

Write every text field in Russian.\
"""
        ]
    )
    async with talk.runtime.pool.acquire() as conn:
        assert await conn.fetchval("SELECT requests FROM turns") == 3  # the coach's included


async def test_a_rep_cannot_analyse_another_reps_prospect(talk, coached):
    talk.script.call("analyze_deal", prospect="Ketut").say("Not among your prospects.")
    await talk.say(OLGA, "How is the deal with Ketut going?")
    assert talk.script.last_return() == snapshot(
        "No prospect matches 'Ketut' among this rep's prospects. Ask the user who they mean."
    )
    assert coached.told == []
    async with talk.runtime.pool.acquire() as conn:
        audited = await conn.fetch("SELECT tool, outcome FROM audit_log")
    assert [tuple(r) for r in audited] == [("analyze_deal", "retry")]


async def test_an_admin_analyses_any_deal_in_english(talk, coached):
    talk.script.call("analyze_deal", prospect="Ketut Wirawan").say("(the analysis)")
    await talk.say(ADMIN, "How is the deal with Ketut going?")
    analysis = talk.script.last_return()
    assert analysis.splitlines()[:3] == ["🔴 DEAL ANALYSIS", "", "📋 Deal: Villa in Canggu"]
    assert "⚠️ Days without activity: 4" in analysis
    assert len(coached.told) == 1


async def test_the_meeting_brief_gives_a_prep_plan_the_signals_and_past_notes(talk, coached):
    async with talk.runtime.pool.acquire() as conn:
        ketut = await conn.fetchval("SELECT id FROM prospects WHERE name = 'Ketut Wirawan'")
        rep = await conn.fetchval("SELECT id FROM reps WHERE telegram_id = $1", IVAN)
        await log_activity(
            conn,
            prospect_id=ketut,
            rep_id=rep,
            kind="note",
            body="Wants a pool; worried about leasehold terms",
            now=NOW - 2 * DAY,
        )
    talk.script.call("meeting_brief", prospect="Ketut").say("(the plan)")
    await talk.say(IVAN, "Подготовь меня к встрече с Кетутом")
    assert talk.script.last_return() == snapshot(
        {
            "prospect": {
                "name": "Ketut Wirawan",
                "status": "contacted",
                "context": "Villa in Canggu",
            },
            "notes": None,
            "signals": {
                "stage": "new",
                "amount": "420,000 USD",
                "days_in_pipeline": 10,
                "days_in_stage": 10,
                "days_since_last_activity": 2,
                "touches": 2,
                "meetings_held": 0,
                "meetings_upcoming": 1,
                "next_step": "Send the contract draft",
                "next_step_due": "2026-11-19 18:00",
                "next_step_overdue": True,
                "source": "records",
            },
            "recent": [
                {
                    "at": "2026-11-18 18:00",
                    "kind": "note",
                    "text": "Wants a pool; worried about leasehold terms",
                },
                {"at": "2026-11-16 18:00", "kind": "contact", "text": None},
            ],
        }
    )
    talk.script.call("meeting_brief", prospect="Ketut").say("Не ваш клиент.")
    await talk.say(OLGA, "Prepare me for Ketut")
    assert talk.script.last_return() == snapshot(
        "No prospect matches 'Ketut' among this rep's prospects. Ask the user who they mean."
    )
