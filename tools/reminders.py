"""Reminders the scheduler sends a rep, and the rep's way to hold them."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, Field
from pydantic_ai import FunctionToolset, ModelRetry, RunContext

from db import reps
from tools.access import tool_for
from tools.actor import Role
from tools.deps import Deps
from tools.times import in_zone, zone_of

reminder_tools = FunctionToolset[Deps]()

LONGEST = timedelta(days=30)


class Snoozed(BaseModel):
    reminders_held_until: str = Field(description="when reminders come again, the user's time")


@tool_for(reminder_tools, Role.ACTIVE)
async def snooze_reminders(ctx: RunContext[Deps], until: datetime) -> Snoozed:
    """Hold the user's reminders until a time ("напомни завтра" → tomorrow 09:00); meeting
    prep and debriefs still come."""
    deps = ctx.deps
    rep = deps.actor.active_rep()
    zone = zone_of(deps)
    moment = in_zone(until, zone)
    if moment <= deps.now():
        raise ModelRetry(f"{moment:%Y-%m-%d %H:%M} is in the past for the user; pick a later time")
    if moment - deps.now() > LONGEST:
        raise ModelRetry("reminders can be held for at most 30 days; ask for an earlier date")
    await reps.snooze(deps.db, rep_id=rep.id, until=moment, now=deps.now())
    return Snoozed(reminders_held_until=f"{moment:%A %Y-%m-%d %H:%M} ({zone})")
