"""A scripted model and a turn runtime on a real database, for dialogue tests."""

from __future__ import annotations

import dataclasses
import json
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_core import to_jsonable_python

from agent.assistant import build_agent
from agent.channel import Inbound, Sender
from agent.runtime import Runtime, limits_from, rules_from
from agent.settings import default_settings
from agent.turn import TurnResult, run_turn
from db.pool import create_pool
from tests.conftest import NOW
from tools.services import Services

ADMIN = 1000


@dataclass
class Script:
    """Model responses played in order: a list of tool calls, or the final text of a turn."""

    steps: deque[list[tuple[str, dict[str, Any]]] | str | Exception] = field(default_factory=deque)
    offered: list[set[str]] = field(default_factory=list)
    returns: list[ToolReturnPart] = field(default_factory=list)
    instructions: list[str] = field(default_factory=list)
    prompts: list[str] = field(default_factory=list)

    def call(self, tool: str, **args: Any) -> Script:
        self.steps.append([(tool, args)])
        return self

    def say(self, text: str) -> Script:
        self.steps.append(text)
        return self

    def fail(self, error: Exception) -> Script:
        """The model breaks down at this step (the turn is rolled back)."""
        self.steps.append(error)
        return self

    def __call__(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        self.offered.append({t.name for t in info.function_tools})
        self.instructions.append(info.instructions or "")
        last = messages[-1]
        if isinstance(last, ModelRequest):
            self.returns += [p for p in last.parts if isinstance(p, ToolReturnPart)]
            self.prompts += [str(p.content) for p in last.parts if isinstance(p, UserPromptPart)]
        assert self.steps, "the script ran out of steps"
        step = self.steps.popleft()
        if isinstance(step, Exception):
            raise step
        if isinstance(step, str):
            return ModelResponse(parts=[TextPart(step)])
        return ModelResponse(parts=[ToolCallPart(name, args) for name, args in step])

    def last_return(self) -> Any:
        return self.returned(-1)

    def returned(self, index: int) -> Any:
        """A tool's result as the model reads it: plain JSON."""
        return to_jsonable_python(self.returns[index].content)


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Dialogue:
    runtime: Runtime
    script: Script
    clock: Clock

    async def say(self, telegram_id: int, text: str, username: str | None = None) -> TurnResult:
        sender = Sender(telegram_id, username=username, first_name=None)
        return await run_turn(self.runtime, Inbound(telegram_id, sender, text=text))

    async def press(self, telegram_id: int, data: str) -> TurnResult:
        sender = Sender(telegram_id)
        return await run_turn(self.runtime, Inbound(telegram_id, sender, press=data))


async def dialogue(
    dsn: str, *, admins: tuple[int, ...] = (ADMIN,), services: Services | None = None
) -> tuple[Dialogue, Any]:
    """Sandboxed services (or the given ones) that record outside the turn, as in the app."""
    pool = await create_pool(dsn, min_size=1, max_size=4)
    script = Script()
    clock = Clock()
    runtime = Runtime(
        pool=pool,
        agent=build_agent(),
        model=FunctionModel(script),
        clock=clock,
        rules=rules_from(default_settings(admin_telegram_ids=admins)),
        limits=limits_from(default_settings(admin_telegram_ids=admins)),
        services=dataclasses.replace(services or Services(), journal=pool),
    )
    return Dialogue(runtime, script, clock), pool


def sent(result: TurnResult, **ids: Any) -> list[tuple[int, str, Any]]:
    """What a turn queued, to any chat, with the given ids replaced by their names."""
    queued = []
    for m in result.messages:
        text, buttons = m.text, json.dumps(m.buttons, ensure_ascii=False)
        for name, value in ids.items():
            text, buttons = text.replace(str(value), name), buttons.replace(str(value), name)
        queued.append((m.chat_id, text, json.loads(buttons)))
    return queued
