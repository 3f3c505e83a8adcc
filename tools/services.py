"""The outside services a tool may use, and the record every call leaves: a step with a key is
done once (a retried turn finds the record and reuses the result), and the record is written
outside the turn's transaction, so it survives the turn being rolled back."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from uuid import UUID

import httpx

from db import integrations
from db.queries import Executor
from tools.clients.calendar_models import Calendar
from tools.clients.errors import IntegrationError
from tools.clients.hubspot_models import CrmSource, HubSpot
from tools.clients.sandbox import SandboxCalendar, SandboxHubSpot, SandboxZoom
from tools.clients.zoom_models import Zoom
from tools.vault import Vault

if TYPE_CHECKING:
    from tools.clients.google_auth import Delegation, OAuthClient
    from tools.clients.mail import Mailer

T = TypeVar("T")


@dataclass(frozen=True)
class CalendarSignIn:
    """Per-rep Google sign-in through the bot's own web page."""

    client: OAuthClient
    redirect_uri: str
    vault: Vault
    http: httpx.AsyncClient


class Files(Protocol):
    """Files people sent the bot, by the id their message gave."""

    async def fetch(self, file_id: str, *, max_bytes: int) -> bytes:
        """The file's bytes; raises `FileRefused("too_big")` past `max_bytes`, an
        `IntegrationError` when it cannot be had."""
        ...


@dataclass(frozen=True)
class Services:
    calendar: Calendar = field(default_factory=SandboxCalendar)
    zoom: Zoom = field(default_factory=SandboxZoom)
    hubspot: HubSpot = field(default_factory=SandboxHubSpot)
    crm: CrmSource | None = None
    """Where prospects and deals are synced from; None when HubSpot is not configured."""
    delegation: Delegation | None = None
    sign_in: CalendarSignIn | None = None
    mail: Mailer | None = None
    """The SMTP server email codes go out through; None when none is configured."""
    files: Files | None = None
    """Where files people sent come from; None where they cannot be fetched (the terminal)."""
    journal: Executor | None = None
    """Where records go: a pool, so they commit on their own; None writes them in the turn."""


@dataclass(frozen=True, slots=True)
class Step:
    service: str
    operation: str
    sandbox: bool
    request: dict[str, Any]
    key: str | None = None
    rep_id: UUID | None = None
    prospect_id: str | None = None


async def perform(
    journal: Executor,
    step: Step,
    call: Callable[[], Awaitable[T]],
    kind: type[T],
    now: datetime,
    *,
    shown: Callable[[T], dict[str, Any]] | None = None,
) -> T:
    """Runs `call` unless a live record of `step.key` exists; records the call either way it
    goes (a failure is recorded without the key, so it can be tried again). The record holds
    the result as JSON, or what `shown` makes of it (then it cannot be reused by key)."""
    if step.key and (done := await integrations.recorded(journal, idempotency_key=step.key)):
        return _decode(done.response, kind)
    try:
        result = await call()
    except IntegrationError as e:
        await _record(journal, step, {"error": f"{type(e).__name__}: {e.message}"}, None, now)
        raise
    await _record(journal, step, shown(result) if shown else as_json(result), step.key, now)
    return result


async def undo(journal: Executor, step: Step, now: datetime) -> None:
    if step.key:
        await integrations.mark_undone(journal, idempotency_key=step.key, now=now)


async def _record(
    journal: Executor, step: Step, response: dict[str, Any], key: str | None, now: datetime
) -> None:
    external = response.get("id", response.get("value"))
    await integrations.record(
        journal,
        service=step.service,
        operation=step.operation,
        sandbox=step.sandbox,
        rep_id=step.rep_id,
        prospect_id=step.prospect_id,
        external_id=None if external is None else str(external),
        request=step.request,
        response=response,
        idempotency_key=key,
        now=now,
    )


def as_json(result: object) -> dict[str, Any]:
    """A result or request as JSON for the record: a dataclass's fields, or `value`."""
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return {k: _plain(v) for k, v in dataclasses.asdict(result).items()}
    return {"value": _plain(result)}


def _plain(value: object) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return as_json(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _decode(response: dict[str, Any], kind: type[T]) -> T:
    if dataclasses.is_dataclass(kind):
        return kind(**response)
    value: T = response["value"]
    return value
