"""The coach: its structured analysis must cite real signals (a retry otherwise), what it is
told, and its analysis rendered for Telegram in Russian and English."""

from collections import deque
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from inline_snapshot import snapshot
from pydantic_ai.messages import ModelRequest, ModelResponse, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import FunctionModel
from pydantic_ai.usage import RunUsage

from db.models import Prospect, ProspectStatus
from tests.conftest import NOW
from tools.access import NotDone
from tools.coaching import DealAnalysis, brief, coach, render
from tools.signals import DealSignals

BALI = ZoneInfo("Asia/Makassar")
KETUT = Prospect(
    id="p_ketut",
    telegram_id="@ketut",
    name="Ketut Wirawan",
    context="Villa in Canggu, $400-500k",
    status=ProspectStatus.IN_CONVERSATION,
    assigned_rep_id=None,
    email="ketut@example.com",
    notes="Came from Instagram",
    language="en",
    hubspot_contact_id=None,
    last_contact_at=None,
    assigned_at=None,
    status_changed_at=NOW,
    created_at=NOW,
    updated_at=NOW,
)
SIGNALS = DealSignals(
    stage="negotiation",
    amount=Decimal("450000.00"),
    currency="USD",
    days_in_pipeline=20,
    days_in_stage=8,
    days_since_last_activity=4,
    touches=3,
    meetings_held=2,
    meetings_upcoming=0,
    next_step="Send the contract draft",
    next_step_due=NOW - timedelta(days=2),
    next_step_overdue=True,
    source="records",
    deal_name="Villa in Canggu",
)
RU = {
    "assessment": "Сделка на переговорах 8 дней, 4 дня без активности, следующий шаг просрочен.",
    "strengths": ["Две встречи уже проведены"],
    "concerns": ["4 дня без контакта", "Нет запланированной встречи"],
    "red_flags": ["Следующий шаг просрочен на 2 дня"],
    "priority": "high",
    "actions": [
        {"text": "Отправить проект договора", "urgency": "now", "why": "шаг просрочен"},
        {"text": "Назначить встречу", "urgency": "this_week", "why": "встреч впереди нет"},
        {"text": "Обновить этап в CRM", "urgency": "later", "why": "8 дней на этапе"},
    ],
    "suggested_phrases": ["Кетут, отправляю проект договора — удобно обсудить завтра?"],
    "next_steps": ["Сегодня отправить договор", "Договориться о встрече"],
    "conversion_probability": 55,
    "cited_signals": ["next_step_overdue", "days_since_last_activity", "meetings_upcoming"],
}
EN = {
    "assessment": "Eight days in negotiation and four without activity; the next step is overdue.",
    "strengths": ["Two meetings held"],
    "concerns": ["Four days without contact"],
    "red_flags": [],
    "priority": "medium",
    "actions": [
        {"text": "Send the contract draft", "urgency": "now", "why": "the next step is overdue"},
        {"text": "Book a follow-up meeting", "urgency": "this_week", "why": "none upcoming"},
    ],
    "suggested_phrases": ['"Ketut, here is the draft — shall we go through it tomorrow?"'],
    "next_steps": ["Send the draft today"],
    "conversion_probability": 60,
    "cited_signals": ["next_step_overdue", "days_since_last_activity"],
}


class Coach:
    """A model that answers with the given analyses in turn, keeping what it was sent."""

    def __init__(self, *outputs):
        self.outputs, self.requests, self.instructions = deque(outputs), [], []

    def __call__(self, messages, info):
        self.requests.append(messages[-1])
        self.instructions.append(info.instructions)
        (output_tool,) = info.output_tools
        return ModelResponse(parts=[ToolCallPart(output_tool.name, self.outputs.popleft())])

    def retries(self):
        """What was sent back: in pydantic-ai 2, a tool return with the outcome "retried"."""
        parts = (p for r in self.requests for p in r.parts)
        return [
            p.content for p in parts if isinstance(p, ToolReturnPart) and p.outcome == "retried"
        ]


@pytest.mark.parametrize(
    ("cited", "told"),
    [
        ([], "Base the analysis on the signals and cite at least two of them in cited_signals."),
        (
            ["touches", "touches"],
            "Base the analysis on the signals and cite at least two of them in cited_signals.",
        ),
        (
            ["touches", "client_mood", "budget"],
            "cited_signals has names that are not signals: client_mood, budget. Cite only these: stage, amount, days_in_pipeline, days_in_stage, days_since_last_activity, touches, meetings_held, meetings_upcoming, next_step, next_step_due, next_step_overdue.",
        ),
    ],
    ids=["none", "one", "unknown"],
)
async def test_an_analysis_without_two_real_signals_is_sent_back(cited, told):
    model = Coach(EN | {"cited_signals": cited}, EN)
    usage = RunUsage()
    analysis = await coach(FunctionModel(model), SIGNALS, KETUT, "en", usage=usage)
    assert analysis == DealAnalysis.model_validate(EN)
    assert model.retries() == [told]
    assert usage.requests == 2
    assert model.instructions[0].startswith("You are an experienced sales coach")


async def test_a_coach_that_never_cites_gives_up_as_not_done():
    model = Coach(*[EN | {"cited_signals": []}] * 3)
    with pytest.raises(NotDone, match="the coach gave no valid analysis"):
        await coach(FunctionModel(model), SIGNALS, KETUT, "en")
    assert len(model.requests) == 3


async def test_the_coach_is_told_the_signals_and_the_language():
    model = Coach(RU)
    await coach(FunctionModel(model), SIGNALS, KETUT, "ru")
    (request,) = model.requests
    assert isinstance(request, ModelRequest)
    assert request.parts[-1].content == brief(SIGNALS, KETUT, "ru")
    assert brief(SIGNALS, KETUT, "ru") == snapshot("""\
Deal with the client Ketut Wirawan (prospect status: in_conversation).
What the client wants: Villa in Canggu, $400-500k
Notes: Came from Instagram

Signals, computed from our own records:
- stage: negotiation
- amount: 450000.00
- days_in_pipeline: 20
- days_in_stage: 8
- days_since_last_activity: 4
- touches: 3
- meetings_held: 2
- meetings_upcoming: 0
- next_step: Send the contract draft
- next_step_due: 2026-11-18 10:00 UTC
- next_step_overdue: yes
(amount is in USD)

Write every text field in Russian.\
""")


def test_the_analysis_in_russian():
    analysis = DealAnalysis.model_validate(RU)
    assert render(analysis, SIGNALS, "Ketut Wirawan", "ru", at=NOW.astimezone(BALI)) == snapshot("""\
🔴 АНАЛИЗ СДЕЛКИ

📋 Сделка: Villa in Canggu
👤 Клиент: Ketut Wirawan
🏷 Этап: negotiation
💰 Бюджет: 450,000 USD
📊 Вероятность закрытия: 55%

⏱ В работе: 20 дн., на этапе: 8 дн.
💬 Касаний: 3
📞 Встреч: проведено 2, впереди 0
⚠️ Дней без активности: 4
📌 Следующий шаг: Send the contract draft (до 18.11) — просрочен

📝 ОЦЕНКА:
Сделка на переговорах 8 дней, 4 дня без активности, следующий шаг просрочен.

✅ ЧТО ХОРОШО:
  • Две встречи уже проведены

⚠️ ЧТО ВЫЗЫВАЕТ БЕСПОКОЙСТВО:
  • 4 дня без контакта
  • Нет запланированной встречи

🚨 КРИТИЧНО:
  ⛔️ Следующий шаг просрочен на 2 дня

💡 РЕКОМЕНДАЦИИ:

🔥 СРОЧНО
1. Отправить проект договора
   Почему: шаг просрочен

⏰ НА ЭТОЙ НЕДЕЛЕ
2. Назначить встречу
   Почему: встреч впереди нет

📅 ЗАПЛАНИРОВАТЬ
3. Обновить этап в CRM
   Почему: 8 дней на этапе

💬 ЧТО СКАЗАТЬ КЛИЕНТУ:
  • "Кетут, отправляю проект договора — удобно обсудить завтра?"

🎯 ПЛАН ДЕЙСТВИЙ (2-3 дня):
  ✓ Сегодня отправить договор
  ✓ Договориться о встрече

📂 Данные: наши записи
🤖 Анализ от 20.11.2026 18:00\
""")


def test_the_analysis_in_english():
    analysis = DealAnalysis.model_validate(EN)
    assert render(analysis, SIGNALS, "Ketut Wirawan", "en", at=NOW.astimezone(BALI)) == snapshot("""\
🟡 DEAL ANALYSIS

📋 Deal: Villa in Canggu
👤 Client: Ketut Wirawan
🏷 Stage: negotiation
💰 Budget: 450,000 USD
📊 Chance to close: 60%

⏱ In the pipeline: 20 d, in this stage: 8 d
💬 Touches: 3
📞 Meetings: 2 held, 0 upcoming
⚠️ Days without activity: 4
📌 Next step: Send the contract draft (due 18.11) — overdue

📝 ASSESSMENT:
Eight days in negotiation and four without activity; the next step is overdue.

✅ GOING WELL:
  • Two meetings held

⚠️ CONCERNS:
  • Four days without contact

💡 RECOMMENDATIONS:

🔥 NOW
1. Send the contract draft
   Why: the next step is overdue

⏰ THIS WEEK
2. Book a follow-up meeting
   Why: none upcoming

💬 WHAT TO SAY TO THE CLIENT:
  • "Ketut, here is the draft — shall we go through it tomorrow?"

🎯 ACTION PLAN (2-3 days):
  ✓ Send the draft today

📂 Data: our records
🤖 Analysis as of 20.11.2026 18:00\
""")


def test_empty_sections_are_left_out_and_a_hubspot_failure_is_told():
    analysis = DealAnalysis.model_validate(
        EN
        | {
            "strengths": [],
            "concerns": [" "],
            "actions": [],
            "suggested_phrases": [],
            "priority": "low",
        }
    )
    signals = DealSignals(
        stage="unreached",
        amount=None,
        currency=None,
        days_in_pipeline=2,
        days_in_stage=2,
        days_since_last_activity=None,
        touches=0,
        meetings_held=0,
        meetings_upcoming=0,
        next_step=None,
        next_step_due=None,
        next_step_overdue=False,
        source="records",
        hubspot_error="Authentication credentials not found.",
    )
    assert render(analysis, signals, "Ketut Wirawan", "en", at=NOW.astimezone(BALI)) == snapshot("""\
🟢 DEAL ANALYSIS

👤 Client: Ketut Wirawan
🏷 Stage: unreached
📊 Chance to close: 60%

⏱ In the pipeline: 2 d, in this stage: 2 d
💬 Touches: 0
📞 Meetings: 0 held, 0 upcoming
⚠️ No activity yet
📌 No next step set

📝 ASSESSMENT:
Eight days in negotiation and four without activity; the next step is overdue.

🎯 ACTION PLAN (2-3 days):
  ✓ Send the draft today

📂 Data: our records (HubSpot did not answer: Authentication credentials not found.)
🤖 Analysis as of 20.11.2026 18:00\
""")
