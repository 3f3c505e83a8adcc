"""Practice calls: the model plays a client grounded in our records, and the practice is scored
and recorded so it can be measured."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from pydantic import Field
from pydantic_ai import FunctionToolset, ModelRetry, RunContext

from db import practices
from db.models import Prospect
from tools import texts
from tools.access import NotDone, tool_for
from tools.actor import Role
from tools.deps import Deps
from tools.personas import likely_objections, prospect_persona, typical_persona
from tools.refs import one_prospect
from tools.signals import deal_signals

practice_tools = FunctionToolset[Deps]()

OPEN_FOR = timedelta(hours=3)
"""A practice left open longer than this is over: finishing it is no longer offered."""
FEEDBACK_CHARS = 2000
Score = Annotated[int, Field(ge=1, le=5)]

RULES = (
    "Play this client in the user's language: in character, realistic, a little sceptical, "
    "short replies. Raise the likely objections one at a time, more on the focus if any. Do not "
    "coach or step out of the role until the user says stop; then call finish_practice with "
    "honest 1-5 scores and your feedback."
)


async def practising(deps: Deps) -> bool:
    rep = deps.actor.rep
    if rep is None:
        return False
    stale = deps.now() - OPEN_FOR
    return await practices.open_for(deps.db, rep_id=rep.id, stale_before=stale) is not None


async def not_practising(deps: Deps) -> bool:
    """Offered one at a time: starting while a practice is open is not worth its prompt."""
    return not await practising(deps)


@tool_for(practice_tools, Role.ACTIVE, applies=not_practising)
async def start_practice(
    ctx: RunContext[Deps], prospect: str | None = None, focus: str | None = None
) -> dict[str, Any]:
    """Start a practice call ("давай потренируемся"); you play the client it returns (a
    typical one without prospect)."""
    deps = ctx.deps
    rep = deps.actor.active_rep()
    if focus is not None and len(focus) > 200:
        raise ModelRetry("focus must be a few words (at most 200 characters)")
    target = await one_prospect(deps, prospect, rep_id=rep.id) if prospect else None
    now = deps.now()
    same = await practices.open_for(deps.db, rep_id=rep.id, stale_before=now - OPEN_FOR)
    if same and same.prospect_id == (target.id if target else None) and same.focus == focus:
        return {"practice": same.id, **same.persona, "rules": RULES}
    played = await _played(deps, target, focus)
    started = await practices.start(
        deps.db,
        rep_id=rep.id,
        prospect_id=target.id if target else None,
        focus=focus,
        persona=played,
        now=now,
    )
    return {"practice": started.id, **played, "rules": RULES}


async def _played(deps: Deps, target: Prospect | None, focus: str | None) -> dict[str, Any]:
    """Who the model plays and what they will object, kept with the practice."""
    signals = await deal_signals(deps, target) if target else None
    persona = (
        prospect_persona(target, signals)
        if target and signals
        else typical_persona(texts.language_of(deps.actor.language))
    )
    objections = likely_objections(target, signals, deps.rules.stale_after.days)
    return {"you_play": persona, "likely_objections": objections, "focus": focus}


@tool_for(practice_tools, Role.ACTIVE, applies=practising)
async def finish_practice(
    ctx: RunContext[Deps],
    opening: Score,
    discovery: Score,
    objections: Score,
    next_step: Score,
    feedback: str,
) -> dict[str, Any]:
    """End the practice: scores 1-5, feedback (what worked, what to change, a phrase); then
    send the feedback."""
    deps = ctx.deps
    rep = deps.actor.active_rep()
    feedback = feedback.strip()
    if not feedback or len(feedback) > FEEDBACK_CHARS:
        raise ModelRetry(f"feedback must be 1 to {FEEDBACK_CHARS} characters")
    now = deps.now()
    found = await practices.open_for(deps.db, rep_id=rep.id, stale_before=now - OPEN_FOR)
    if found is None:
        raise NotDone("no practice is open; offer start_practice to practise again")
    scores = {
        "opening": opening,
        "discovery": discovery,
        "objections": objections,
        "next_step": next_step,
    }
    await practices.finish(deps.db, practice_id=found.id, scores=scores, feedback=feedback, now=now)
    before = await practices.summary(deps.db, rep_id=rep.id, since=now, before_id=found.id)
    return {
        "recorded": True,
        "minutes": (now - found.started_at) // timedelta(minutes=1),
        "scores": scores | {"total": f"{sum(scores.values())}/20"},
        "earlier_average": before.averages if before.averages["opening"] is not None else None,
        "practices_done": before.done,
        "say": "Send the user the scores and your feedback; compare with earlier if given.",
    }
