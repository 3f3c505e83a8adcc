"""Models that play a case without a language model, through pydantic-ai's `FunctionModel`:
the gold player makes the case's gold tool calls and replies, turn by turn; the idle model only
talks and never acts (every case that changes state must fail with it)."""

from __future__ import annotations

from collections import deque
from typing import Any

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel

from evals.cases import Turn

COACHED = {
    "assessment": "The deal is moving: the client answered and a meeting is planned.",
    "strengths": ["Quick first contact"],
    "concerns": ["No next step agreed yet"],
    "red_flags": [],
    "priority": "medium",
    "actions": [{"text": "Agree the next step", "urgency": "this_week", "why": "touches"}],
    "suggested_phrases": ["When would suit you for a short call?"],
    "next_steps": ["Call the client"],
    "conversion_probability": 40,
    "cited_signals": ["touches", "days_since_last_activity"],
}
"""What the deal coach answers when a case does not script it (`coach:` on the turn)."""


class Player:
    """Plays one turn at a time; what a turn left unplayed (a run paused for confirmation)
    is dropped when the next turn starts."""

    def __init__(self) -> None:
        self.steps: deque[tuple[str, dict[str, Any]]] = deque()
        self.rejected: list[str] = []
        """Gold calls whose arguments the tool's schema refused: the case is wrong."""
        self.reply = ""
        self.coach: dict[str, Any] = COACHED

    def start(self, turn: Turn) -> None:
        self.steps = deque(turn.gold())
        self.reply = turn.reply or "…"
        self.coach = turn.coach or COACHED

    def model(self) -> FunctionModel:
        return FunctionModel(self._respond, model_name="gold")

    def _respond(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        self.rejected += _rejected(messages[-1])
        if info.output_tools:  # the deal coach answers with its structured analysis
            return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, self.coach)])
        if self.steps:
            name, args = self.steps.popleft()
            return ModelResponse(parts=[ToolCallPart(name, args)])
        return ModelResponse(parts=[TextPart(self.reply)])


def _rejected(message: ModelMessage) -> list[str]:
    """Calls sent back for arguments that do not fit the tool's schema (not a tool's own
    ModelRetry, which is the tool's answer)."""
    if not isinstance(message, ModelRequest):
        return []
    return [
        f"{part.tool_name}: {part.content}"
        for part in message.parts
        if isinstance(part, ToolReturnPart)
        and part.retry is not None
        and part.retry.cause == "validation_error"
    ]


def idle_model() -> FunctionModel:
    """Answers every request with words and never calls a tool."""

    def talk(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        return ModelResponse(parts=[TextPart("Хорошо, сделаю. / OK, will do.")])

    return FunctionModel(talk, model_name="idle")
