"""The agent: instructions from `prompts/` for what the actor is, their profile and local time,
the tools."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic_ai import Agent, DeferredToolRequests, RunContext
from pydantic_ai.capabilities import ProcessHistory
from pydantic_ai.messages import ModelMessage
from pydantic_ai.models.instrumented import InstrumentationSettings

import prompts
from tools.access import refuse_unoffered
from tools.actor import Role
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
        instructions=[_instructions, _about_the_user],
        tools=all_tools(),
        retries=3,
        name="salesbot",
        capabilities=[ProcessHistory(_refusing_unoffered)],
    )
    agent.instrument = instrument
    return agent


async def _refusing_unoffered(
    ctx: RunContext[Deps], messages: list[ModelMessage]
) -> list[ModelMessage]:
    """A call to a tool not offered this turn reaches the model as a refusal, not as a tool
    that does not exist; only the latest calls (what earlier turns left is settled)."""
    await refuse_unoffered(ctx.deps, messages[-2:])
    return messages


async def _instructions(ctx: RunContext[Deps]) -> str:
    """Only the sections for what the actor is: each costs every request its tokens."""
    actor = ctx.deps.actor
    sections = ["assistant"]
    unproved = actor.rep is not None and not actor.rep.email_verified
    if unproved or not actor.may(frozenset({Role.ACTIVE, Role.ADMIN})):
        sections.append("newcomer")
    if actor.may(frozenset({Role.ACTIVE})):
        sections.append("rep")
    if actor.is_admin:
        sections.append("admin")
    return "\n\n".join(prompts.load(name) for name in [*sections, "rules"])


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
