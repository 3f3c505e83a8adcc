"""The confirmation protocol: a run that pauses on a consequential call asks its question with
Confirm / Cancel buttons; the next message or press in the chat answers it (a press, a typed
yes or no, anything else, or nothing before it expires) and the paused run resumes with it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic_ai import DeferredToolRequests, DeferredToolResults, ToolDenied

from agent import language
from agent.channel import Inbound
from db.chats import ChatState
from db.outbox import Buttons
from tools import texts

CONFIRM, CANCEL = "confirm", "cancel"

EXPIRED = (
    "The confirmation expired unanswered; nothing was done. If the user still wants it, call "
    "the tool again."
)
OTHER = "The user wrote something else instead of confirming; nothing was done."
CANCELLED = "The user cancelled; nothing was done."


@dataclass(frozen=True, slots=True)
class Resumed:
    """The prompt for this run, and the answers to the calls a paused run waits on, if any."""

    prompt: str | None
    answers: DeferredToolResults | None = None


def resume(chat: ChatState, inbound: Inbound, now: datetime, *, paused: bool) -> Resumed:
    """Without the history that holds the paused call (it no longer loaded), nothing waits."""
    said = inbound.text if inbound.text is not None else pressed(inbound.press)
    prompt = "\n".join(p for p in (inbound.note, said) if p) or None
    pending = chat.pending_approval
    if not pending or not paused:
        return Resumed(prompt)
    expired = chat.pending_expires_at is not None and now >= chat.pending_expires_at
    answer = {CONFIRM: True, CANCEL: False}.get(
        inbound.press or "", language.yes_or_no(inbound.text)
    )
    verdict = _verdict(expired=expired, answer=answer)
    answers = DeferredToolResults(approvals=dict.fromkeys(pending["approvals"], verdict))
    keep_prompt = expired or answer is None
    return Resumed(prompt if keep_prompt else None, answers)


def _verdict(*, expired: bool, answer: bool | None) -> bool | ToolDenied:
    if expired:
        return ToolDenied(EXPIRED)
    if answer is None:
        return ToolDenied(OTHER)
    return True if answer else ToolDenied(CANCELLED)


def pressed(data: str | None) -> str | None:
    """A button press, told to the model as what it is."""
    if data is None:
        return None
    action, _, subject = data.partition(":")
    if action in ("approve", "reject") and subject:
        return f"[The user pressed the button «{action}» on the application of rep id {subject}]"
    if action in (CONFIRM, CANCEL):
        return f"[The user pressed «{action}», but nothing is waiting for confirmation any more]"
    return f"[The user pressed a button: {data}]"


@dataclass(frozen=True, slots=True)
class Asked:
    """What a run's output leaves for the chat: the calls it waits on, the text, the buttons."""

    pending: dict[str, Any] | None
    text: str
    buttons: Buttons | None = None


def ask(output: str | DeferredToolRequests, spoken: str | None) -> Asked:
    if isinstance(output, str):
        return Asked(None, output)
    ids = [call.tool_call_id for call in output.approvals]
    questions = [output.metadata.get(i, {}).get("question", "") for i in ids]
    return Asked({"approvals": ids}, "\n".join(q for q in questions if q), buttons(spoken))


def buttons(language: str | None) -> Buttons:
    yes, no = texts.text("confirm.yes", language), texts.text("confirm.no", language)
    return [[{"text": yes, "data": CONFIRM}, {"text": no, "data": CANCEL}]]
