"""The agent: instructions from `prompts/`, the actor's profile and local time, the tools."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic_ai import Agent, DeferredToolRequests, RunContext
from pydantic_ai.models.instrumented import InstrumentationSettings

import prompts
from tools.deps import Deps
from tools.times import zone_name
from tools.toolsets import all_tools

Output = str | DeferredToolRequests


def build_agent(instrument: InstrumentationSettings | None = None) -> Agent[Deps, Output]:
    """The agent; `instrument` gives it pydantic-ai's spans (`agent.traces`)."""
    agent: Agent[Deps, Output] = Agent(
        None,
        deps_type=Deps,
        output_type=[str, DeferredToolRequests],
        instructions=[prompts.load("assistant"), _about_the_user],
        tools=all_tools(),
        retries=3,
        name="salesbot",
    )
    agent.instrument = instrument
    return agent


async def _about_the_user(ctx: RunContext[Deps]) -> str:
    """Async, as pydantic-ai runs a plain function in a worker thread."""
    actor = ctx.deps.actor
    rep = actor.rep
    timezone = rep.timezone if rep else ctx.deps.rules.default_timezone
    local = ctx.deps.now().astimezone(ZoneInfo(timezone))
    lines = [
        "About the user (from the database, not from their words):",
        f"- role: {actor.what}",
        f"- Telegram: {'@' + actor.username if actor.username else 'no username'}"
        f", first name {actor.first_name or 'unknown'}",
    ]
    if rep is not None:
        lines.append(f"- registration: {rep.name}, {rep.email}, {rep.status}")
        lines.append(f"- calendar connected: {'yes' if rep.calendar_connected_at else 'no'}")
    named = zone_name(timezone, actor.language)
    lines.append(f"- local time: {_format(local)} ({timezone}; name it to the user as {named!r})")
    return "\n".join(lines)


def _format(moment: datetime) -> str:
    return moment.strftime("%A %Y-%m-%d %H:%M")
