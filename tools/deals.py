"""Deal analysis: signals computed in code, then coaching from the model on what to do."""

from __future__ import annotations

from pydantic_ai import FunctionToolset, RunContext

from tools.access import tool_for
from tools.actor import Role
from tools.coaching import coach, render
from tools.deps import Deps
from tools.refs import one_prospect
from tools.signals import deal_signals
from tools.times import zone_of

deal_tools = FunctionToolset[Deps]()


@tool_for(deal_tools, Role.ACTIVE, Role.ADMIN)
async def analyze_deal(ctx: RunContext[Deps], prospect: str) -> str:
    """Analyse how the deal with a prospect is going (signals from HubSpot or our records, and
    coaching: concerns, priorities, actions, phrases). The result is a finished message for the
    user: send it exactly as it is, without shortening, rewording or adding to it.

    Args:
        prospect: the prospect's id, @telegram, email or name
    """
    deps = ctx.deps
    own = None if deps.actor.is_admin else deps.actor.rep
    target = await one_prospect(deps, prospect, rep_id=own.id if own else None)
    signals = await deal_signals(deps, target)
    language = "en" if deps.actor.language == "en" else "ru"
    analysis = await coach(ctx.model, signals, target, language, usage=ctx.usage)
    return render(analysis, signals, target.name, language, at=deps.now().astimezone(zone_of(deps)))
