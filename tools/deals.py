"""Deal analysis: signals computed in code, then coaching from the model on what to do."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from pydantic_ai import FunctionToolset, RunContext

from db import deals
from tools import texts
from tools.access import tool_for
from tools.actor import Role
from tools.coaching import coach, render
from tools.deps import Deps
from tools.refs import one_prospect
from tools.signals import SIGNALS, DealSignals, deal_signals
from tools.times import zone_of

deal_tools = FunctionToolset[Deps]()


class ProspectFacts(BaseModel):
    name: str
    status: str
    context: str | None = Field(description="what they are looking for")


class Activity(BaseModel):
    at: str = Field(description="when, the user's time")
    kind: str
    text: str | None


class Brief(BaseModel):
    prospect: ProspectFacts
    notes: str | None
    signals: dict[str, Any] = Field(description="the deal's signals, computed from the records")
    recent: list[Activity] = Field(description="what was recorded with them lately, latest first")


@tool_for(deal_tools, Role.ACTIVE, Role.ADMIN)
async def analyze_deal(ctx: RunContext[Deps], prospect: str) -> str:
    """Analyse how the deal with a prospect is going (signals from HubSpot or our records, and
    coaching: concerns, priorities, actions, phrases). The result is a finished message for the
    user: send it exactly as it is, without shortening, rewording or adding to it.
    """
    deps = ctx.deps
    own = None if deps.actor.is_admin else deps.actor.rep
    target = await one_prospect(deps, prospect, rep_id=own.id if own else None)
    signals = await deal_signals(deps, target)
    language = texts.language_of(deps.actor.language)
    analysis = await coach(ctx.model, signals, target, language, usage=ctx.usage)
    return render(analysis, signals, target.name, language, at=deps.now().astimezone(zone_of(deps)))


@tool_for(deal_tools, Role.ACTIVE)
async def meeting_brief(ctx: RunContext[Deps], prospect: str) -> Brief:
    """The facts to prepare a meeting from: the prospect, the deal's signals (computed, not
    guessed) and what was recorded with them lately, latest first. Cite these in a prep plan.
    """
    deps = ctx.deps
    rep = deps.actor.active_rep()
    target = await one_prospect(deps, prospect, rep_id=rep.id)
    signals = await deal_signals(deps, target)
    recent = await deals.recent_activity(deps.db, prospect_id=target.id, now=deps.now())
    return Brief(
        prospect=ProspectFacts(name=target.name, status=target.status, context=target.context),
        notes=target.notes,
        signals=_plain(deps, signals),
        recent=[Activity(at=_local(deps, n.created_at), kind=n.kind, text=n.body) for n in recent],
    )


def _plain(deps: Deps, signals: DealSignals) -> dict[str, Any]:
    shown = {name: getattr(signals, name) for name in SIGNALS}
    due = signals.next_step_due
    amount = signals.amount
    return shown | {
        "stage": str(signals.stage),
        "amount": f"{amount:,.0f} {signals.currency}" if amount is not None else None,
        "next_step_due": _local(deps, due) if due else None,
        "source": signals.source,
    }


def _local(deps: Deps, moment: datetime) -> str:
    return f"{moment.astimezone(zone_of(deps)):%Y-%m-%d %H:%M}"
