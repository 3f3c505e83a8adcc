"""Models that play a case without a language model, through pydantic-ai's `FunctionModel`:
the gold player makes the case's gold tool calls and replies, turn by turn; the perturbed player
does the same but garbles one of the calls (`evals.perturbations`); the idle model only talks and
never acts (every case that changes state must fail with it)."""

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
from evals.perturbations import Perturbation, Response, not_offered

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

    strict = True
    """Whether a call sent back for its arguments, or one left unplayed, breaks the case."""

    def __init__(self) -> None:
        self.steps: deque[Response] = deque()
        self.rejected: list[str] = []
        """Gold calls whose arguments the tool's schema refused: the case is wrong."""
        self.reply = ""
        self.coach: dict[str, Any] = COACHED

    def start(self, turn: Turn) -> None:
        self.steps = deque(self._responses(turn))
        self.reply = turn.reply or "…"
        self.coach = turn.coach or COACHED

    def _responses(self, turn: Turn) -> list[Response]:
        return [[call] for call in turn.gold()]

    def model(self) -> FunctionModel:
        return FunctionModel(self._respond, model_name="gold")

    def _respond(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        self.rejected += _rejected(messages[-1])
        if info.output_tools:  # the deal coach answers with its structured analysis
            return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, self.coach)])
        if self.steps:
            calls = self.steps.popleft() or [self._not_offered(info)]
            return ModelResponse(parts=[ToolCallPart(name, args) for name, args in calls])
        return ModelResponse(parts=[TextPart(self.reply)])

    def _not_offered(self, info: AgentInfo) -> tuple[str, dict[str, Any] | str]:
        raise AssertionError("the gold calls never stand for a tool that is not offered")


class PerturbedPlayer(Player):
    """The gold calls, but those of one turn garbled as `perturbation` says."""

    strict = False

    def __init__(self, perturbation: Perturbation) -> None:
        super().__init__()
        self.perturbation = perturbation
        self.turns = 0

    def _responses(self, turn: Turn) -> list[Response]:
        self.turns += 1
        if self.turns - 1 != self.perturbation.turn:
            return super()._responses(turn)
        return self.perturbation.responses(turn.gold())

    def _not_offered(self, info: AgentInfo) -> tuple[str, dict[str, Any] | str]:
        offered = {tool.name for tool in info.function_tools}
        p = self.perturbation
        return not_offered(p.case, p.turn, offered)


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
