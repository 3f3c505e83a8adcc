"""Who may call which tool. A tool is offered only to its roles (pydantic-ai `prepare`), checks
the role again when called, runs inside a savepoint, and every call lands in the audit log."""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Awaitable, Callable
from typing import Any, Concatenate, ParamSpec, TypeGuard, TypeVar, cast

from pydantic_ai import ApprovalRequired, FunctionToolset, ModelRetry, RunContext
from pydantic_ai.messages import ModelMessage, ModelRequest, ToolCallPart, ToolReturnPart
from pydantic_ai.tools import ToolDefinition
from pydantic_core import to_jsonable_python

from db import audit
from tools import texts
from tools.actor import Actor, Refused, Role
from tools.deps import Deps
from tools.names import storable
from tools.redaction import scrub, scrubbed

P = ParamSpec("P")
R = TypeVar("R")
ToolFunc = Callable[Concatenate[RunContext[Deps], P], Awaitable[R]]


ROLES: dict[str, frozenset[Role]] = {}
"""Which roles each tool is offered to, filled as tools are registered."""


def offered(actor: Actor) -> set[str]:
    return {name for name, roles in ROLES.items() if actor.may(roles)}


Applies = Callable[[Deps], Awaitable[bool]]
"""Whether a tool is worth offering now (it costs prompt); the tool still checks for itself."""


def offered_to(
    roles: frozenset[Role], applies: Applies | None = None
) -> Callable[..., Awaitable[ToolDefinition | None]]:
    async def prepare(ctx: RunContext[Deps], tool_def: ToolDefinition) -> ToolDefinition | None:
        if not ctx.deps.actor.may(roles):
            return None
        return tool_def if applies is None or await applies(ctx.deps) else None

    return prepare


def tool_for(
    toolset: FunctionToolset[Deps], *roles: Role, applies: Applies | None = None
) -> Callable[[ToolFunc[P, R]], ToolFunc[P, R | str]]:
    """Registers an async tool on `toolset` for the given roles (offered when it `applies`)."""
    allowed = frozenset(roles)

    def decorate(func: ToolFunc[P, R]) -> ToolFunc[P, R | str]:
        @functools.wraps(func)
        async def guarded(ctx: RunContext[Deps], *args: P.args, **kwargs: P.kwargs) -> R | str:
            for key, value in kwargs.items():
                if isinstance(value, str):
                    kwargs[key] = storable(value)
            return await door(
                ctx.deps,
                func.__name__,
                allowed,
                kwargs,
                lambda: func(ctx, *args, **kwargs),
                approved=ctx.tool_call_approved,
            )

        # One database connection serves the turn: calls a model sends together run in turn.
        toolset.add_function(
            guarded, name=func.__name__, prepare=offered_to(allowed, applies), sequential=True
        )
        ROLES[func.__name__] = allowed
        return cast(ToolFunc[P, R | str], guarded)

    return decorate


async def door(
    deps: Deps,
    name: str,
    allowed: frozenset[Role],
    args: dict[str, Any],
    call: Callable[[], Awaitable[R]],
    *,
    approved: bool = False,
) -> R | str:
    """The one way in for tools and tasks alike: the role checked, the call inside a
    savepoint, its outcome audited. A refusal or an impossibility comes back as the text the
    caller passes on."""
    if not deps.actor.may(allowed):
        detail = f"not allowed for role {deps.actor.what}"
        await _audit(deps, name, args, allowed=False, outcome="refused", detail=detail)
        return f"Refused: {name} is not available to this user ({deps.actor.what})."
    try:
        async with deps.db.transaction():
            result = await call()
    except ModelRetry as e:
        await _audit(deps, name, args, allowed=True, outcome="retry", detail=e.message)
        raise
    except ApprovalRequired:
        await _audit(deps, name, args, allowed=True, outcome="confirmation_asked")
        raise
    except Refused as e:
        await _audit(deps, name, args, allowed=False, outcome="refused", detail=str(e))
        return f"Refused: {e}"
    except NotDone as e:
        await _audit(deps, name, args, allowed=True, outcome="not_done", detail=str(e))
        return f"Not done: {e}"
    await _audit(deps, name, args, allowed=True, outcome="confirmed" if approved else "ok")
    return result


async def audit_refusal(deps: Deps, tool: str, args: dict[str, Any], detail: str) -> None:
    await _audit(deps, tool, args, allowed=False, outcome="refused", detail=detail)


async def refuse_unoffered(deps: Deps, messages: list[ModelMessage]) -> None:
    """Calls to our tools that were not offered this turn, by role or because they do not
    apply now (pydantic-ai answers them as unknown tools), answered in place as a refusal and
    audited; each once, as an answered call is no longer an unknown one."""
    calls = {
        part.tool_call_id: part
        for message in messages
        for part in message.parts
        if isinstance(part, ToolCallPart)
    }
    for message in messages:
        if not isinstance(message, ModelRequest):
            continue
        parts = list(message.parts)
        for i, part in enumerate(parts):
            if _unoffered(part):
                call = calls.get(part.tool_call_id)
                args = call.args_as_dict() if call else {}
                parts[i] = await _refuse(deps, part, args)
        message.parts = parts


def _unoffered(part: object) -> TypeGuard[ToolReturnPart]:
    if not isinstance(part, ToolReturnPart) or part.tool_name not in ROLES:
        return False
    return part.retry is not None and part.retry.cause == "unknown_tool"


async def _refuse(deps: Deps, part: ToolReturnPart, args: dict[str, Any]) -> ToolReturnPart:
    name, what = part.tool_name, deps.actor.what
    if deps.actor.may(ROLES[name]):
        detail = f"not offered to role {what} now: it does not apply"
        said = (
            f"Refused: {name} does not apply to this user now ({what}); it is offered only "
            "when it does (a meeting to come, a practice call open). Tell the user."
        )
    else:
        detail = f"not offered to role {what}"
        said = f"Refused: {name} is not available to this user ({what})."
    await audit_refusal(deps, name, args, detail)
    return dataclasses.replace(part, content=said, retry=None, outcome="success")


async def audit_invalid(deps: Deps, tool: str, args: dict[str, Any], detail: str) -> None:
    """A call sent back for arguments that do not fit the tool: it never ran."""
    await _audit(deps, tool, args, allowed=True, outcome="invalid", detail=detail)


async def _audit(
    deps: Deps,
    tool: str,
    args: dict[str, Any],
    *,
    allowed: bool,
    outcome: str,
    detail: str | None = None,
) -> None:
    await audit.record(
        deps.db,
        tool=tool,
        args=json.loads(scrub(json.dumps(to_jsonable_python(args), ensure_ascii=False))),
        allowed=allowed,
        outcome=outcome,
        detail=scrubbed(detail),
        actor_role=deps.actor.what,
        actor_telegram_id=deps.actor.person,
        actor_rep_id=deps.actor.rep.id if deps.actor.rep else None,
        turn_id=deps.turn_id,
        now=deps.now(),
    )


class NotDone(Exception):
    """Allowed, but impossible as asked (approving a removed rep); the message says why."""


def confirm(
    ctx: RunContext[Deps], question: str, /, footnote: str | None = None, **values: object
) -> None:
    """Pauses the run for the user's Yes / No unless they already said yes to this call; the
    question is the text `question.<question>` in the user's language, and a footnote under it."""
    if not ctx.tool_call_approved:
        asked = texts.text(f"question.{question}", ctx.deps.actor.language, **values)
        raise ApprovalRequired(metadata={"question": f"{asked}\n{footnote}" if footnote else asked})
