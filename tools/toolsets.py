"""Every toolset the agent has; each tool is offered by role (see `tools.access`)."""

from __future__ import annotations

from pydantic_ai import FunctionToolset, Tool

from tools.calendar import calendar_tools
from tools.crm import crm_tools
from tools.deals import deal_tools
from tools.deps import Deps
from tools.imports import import_tools
from tools.meetings import meeting_tools
from tools.overview import overview
from tools.practice import practice_tools
from tools.preferences import preference_tools
from tools.prospects import prospect_tools
from tools.registration import registration
from tools.reminders import reminder_tools
from tools.sync import sync_tools
from tools.team import team
from tools.verification import verification


def toolsets() -> list[FunctionToolset[Deps]]:
    return [
        registration,
        verification,
        team,
        prospect_tools,
        calendar_tools,
        meeting_tools,
        crm_tools,
        reminder_tools,
        deal_tools,
        preference_tools,
        overview,
        practice_tools,
        import_tools,
        sync_tools,
    ]


def tool_names() -> set[str]:
    return {name for toolset in toolsets() for name in toolset.tools}


def all_tools() -> list[Tool[Deps]]:
    """Every tool in one list, for the agent's own toolset: pydantic-ai runs each toolset of a
    run as a task of its own at every step, which cost more than the tools' preparation."""
    return [tool for toolset in toolsets() for tool in toolset.tools.values()]
