"""The deal coach: a second agent, run on the main agent's model, that reads the deal signals
and answers with a structured analysis citing them; and that analysis as a Telegram message."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field
from pydantic_ai import Agent, ModelRetry, UnexpectedModelBehavior
from pydantic_ai.models import AbstractModel, Model
from pydantic_ai.usage import RunUsage

import prompts
from db.models import Prospect
from tools import texts
from tools.access import NotDone
from tools.signals import SIGNALS, DealSignals

Urgency = Literal["now", "this_week", "later"]


class Action(BaseModel):
    text: str = Field(description="One concrete thing for the rep to do, as an imperative.")
    urgency: Urgency = Field(
        description="now: today; this_week: within a few days; later: plan it, not urgent."
    )
    why: str = Field(description="Why, pointing at the signal that calls for it.")


class DealAnalysis(BaseModel):
    assessment: str = Field(
        description="Two or three sentences on where the deal stands, naming the signals."
    )
    strengths: list[str] = Field(description="What the rep is doing well, from the signals.")
    concerns: list[str] = Field(description="What may go wrong, each tied to a signal.")
    red_flags: list[str] = Field(
        description="Critical problems only (e.g. an overdue next step, weeks without activity); "
        "empty when there are none."
    )
    priority: Literal["high", "medium", "low"] = Field(
        description="How urgently this deal needs the rep's attention."
    )
    actions: list[Action] = Field(description="Two to four actions, the most urgent first.")
    suggested_phrases: list[str] = Field(
        description="Two or three things the rep could say or write to the client, in the "
        "client's likely language; no invented offers, prices or deadlines."
    )
    next_steps: list[str] = Field(description="A plan for the next two or three days.")
    conversion_probability: int = Field(
        ge=0, le=100, description="Your estimate, in percent, that this deal closes."
    )
    cited_signals: list[str] = Field(
        description="The names of the signals this analysis relies on, at least two, from: "
        + ", ".join(SIGNALS)
    )


def _cites_signals(analysis: DealAnalysis) -> DealAnalysis:
    unknown = [s for s in analysis.cited_signals if s not in SIGNALS]
    if unknown:
        raise ModelRetry(
            f"cited_signals has names that are not signals: {', '.join(unknown)}. "
            f"Cite only these: {', '.join(SIGNALS)}."
        )
    if len(set(analysis.cited_signals)) < 2:
        raise ModelRetry(
            "Base the analysis on the signals and cite at least two of them in cited_signals."
        )
    return analysis


@functools.cache
def build_coach() -> Agent[None, DealAnalysis]:
    agent = Agent(
        None,
        output_type=DealAnalysis,
        instructions=prompts.load("coach"),
        retries=2,
        name="coach",
    )
    agent.output_validator(_cites_signals)
    return agent


async def coach(
    model: AbstractModel,
    signals: DealSignals,
    prospect: Prospect,
    language: str,
    *,
    usage: RunUsage | None = None,
) -> DealAnalysis:
    """The coach's analysis, run on `model` and counted in `usage`."""
    if not isinstance(model, Model):
        raise NotDone("deal analysis needs a request-response model")
    try:
        result = await build_coach().run(
            brief(signals, prospect, language), model=model, usage=usage
        )
    except UnexpectedModelBehavior:
        raise NotDone("the coach gave no valid analysis; try again later") from None
    return result.output


def brief(signals: DealSignals, prospect: Prospect, language: str) -> str:
    """What the coach is told: only facts we hold."""
    source = "HubSpot" if signals.source == "hubspot" else "our own records"
    lines = [f"Deal with the client {prospect.name} (prospect status: {prospect.status})."]
    if prospect.context:
        lines.append(f"What the client wants: {prospect.context}")
    if prospect.notes:
        lines.append(f"Notes: {prospect.notes}")
    lines += ["", f"Signals, computed from {source}:"]
    lines += [f"- {name}: {_value(getattr(signals, name))}" for name in SIGNALS]
    if signals.amount is not None and signals.currency:
        lines.append(f"(amount is in {signals.currency})")
    lines += ["", f"Write every text field in {texts.text('language.name', language)}."]
    return "\n".join(lines)


def _value(value: object) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M %Z")
    return str(value)


_PRIORITY = {"high": "🔴", "medium": "🟡", "low": "🟢"}
_URGENCIES: tuple[Urgency, ...] = ("now", "this_week", "later")
IDLE_DAYS = 3


def render(
    analysis: DealAnalysis,
    signals: DealSignals,
    prospect_name: str,
    language: str,
    *,
    at: datetime,
) -> str:
    """The analysis as a Telegram message (plain text), dated `at` (the reader's local time)."""
    t = _texts(language)
    blocks = [
        f"{_PRIORITY[analysis.priority]} {t('title')}",
        "\n".join(_header(t, analysis, signals, prospect_name)),
        "\n".join(_metrics(t, signals, at)),
        f"{t('assessment')}\n{analysis.assessment.strip()}",
        _listed(t("strengths"), "•", analysis.strengths),
        _listed(t("concerns"), "•", analysis.concerns),
        _listed(t("red_flags"), "⛔️", analysis.red_flags),
        _actions(t, analysis.actions),
        _listed(t("phrases"), "•", _quoted(analysis.suggested_phrases)),
        _listed(t("plan"), "✓", analysis.next_steps),
        f"{_source(t, signals)}\n{t('footer', at=at.strftime('%d.%m.%Y %H:%M'))}",
    ]
    return "\n\n".join(b for b in blocks if b)


Texts = Callable[..., str]


def _texts(language: str) -> Texts:
    """The coach's texts in `language`, by their short names."""

    def t(key: str, **values: object) -> str:
        return texts.text(f"coach.{key}", language, **values)

    return t


def _header(
    t: Texts, analysis: DealAnalysis, signals: DealSignals, prospect_name: str
) -> list[str]:
    lines = [t("deal", deal=signals.deal_name)] if signals.deal_name else []
    lines += [t("client", name=prospect_name), t("stage", stage=signals.stage)]
    if signals.amount is not None:
        lines.append(t("budget", amount=_money(signals.amount, signals.currency)))
    lines.append(t("probability", percent=analysis.conversion_probability))
    return lines


def _metrics(t: Texts, s: DealSignals, at: datetime) -> list[str]:
    pipeline = t("pipeline", days=s.days_in_pipeline)
    if s.days_in_stage is not None:
        pipeline += t("in_stage", days=s.days_in_stage)
    lines = [
        pipeline,
        t("touches", count=s.touches),
        t("meetings", held=s.meetings_held, upcoming=s.meetings_upcoming),
    ]
    idle = s.days_since_last_activity
    if idle is None:
        lines.append(t("never"))
    else:
        lines.append(t("idle", mark="⚠️" if idle >= IDLE_DAYS else "🕐", days=idle))
    if s.next_step:
        due = s.next_step_due
        when = t("due", date=due.astimezone(at.tzinfo).strftime("%d.%m")) if due else ""
        lines.append(
            t("next", step=s.next_step) + when + (t("overdue") if s.next_step_overdue else "")
        )
    else:
        lines.append(t("no_next"))
    return lines


def _listed(title: str, mark: str, items: list[str]) -> str:
    shown = [i.strip() for i in items if i.strip()]
    return "\n".join([title, *(f"  {mark} {i}" for i in shown)]) if shown else ""


def _quoted(phrases: list[str]) -> list[str]:
    bare = (p.strip().strip('"«»“”').strip() for p in phrases)
    return [f'"{p}"' for p in bare if p]


def _actions(t: Texts, actions: list[Action]) -> str:
    groups, number = [t("actions")], 0
    for urgency in _URGENCIES:
        lines = [t(urgency)]
        for action in (a for a in actions if a.urgency == urgency):
            number += 1
            lines.append(f"{number}. {action.text.strip()}")
            if action.why.strip():
                lines.append("   " + t("why", reason=action.why.strip()))
        if len(lines) > 1:
            groups.append("\n".join(lines))
    return "\n\n".join(groups) if number else ""


def _source(t: Texts, signals: DealSignals) -> str:
    if signals.hubspot_error:
        return t("fallback", error=signals.hubspot_error)
    return t(signals.source)


def _money(amount: Decimal, currency: str | None) -> str:
    text = f"{amount:,.2f}".removesuffix(".00")
    return f"{text} {currency}" if currency else text
