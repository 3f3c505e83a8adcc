"""Tasks: work the scheduler queues for code, not for the model. A task is done for the person
whose chat it is queued in, through the same door as a tool: the role checked, a savepoint, the
audit log. A booked meeting's owed HubSpot log is tried again; the rep hears only once it is
made. Zoom and HubSpot follow a booked meeting moved or cancelled in the calendar itself. A
rep's calendar is synced, and watched for Google to push its changes; HubSpot is synced for the
team, and told the owners of contacts assigned here, in the team's background chat."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from db import meetings, prospects
from db.models import Meeting, Rep
from db.scheduler import TaskKind
from tools import (
    booking,
    calendar_push,
    calendar_sync,
    changes,
    contact_owners,
    notices,
    sync,
    texts,
)
from tools.access import NotDone, door
from tools.actor import Refused, Role
from tools.clients.errors import IntegrationError
from tools.deps import Deps
from tools.times import zone_of

Task = Callable[[Deps, dict[str, Any]], Awaitable[None]]

TASKS: dict[TaskKind, tuple[frozenset[Role], Task]] = {}
"""Every task by kind, with the roles it may be done for."""


def task_for(kind: TaskKind, *roles: Role) -> Callable[[Task], Task]:
    def register(func: Task) -> Task:
        TASKS[kind] = (frozenset(roles), func)
        return func

    return register


async def run_task(deps: Deps, kind: str, data: dict[str, Any]) -> str | None:
    """Why the task is not done (refused, or still owed), or None once it is."""
    try:
        roles, func = TASKS[TaskKind(kind)]
    except ValueError:
        return f"unknown task {kind!r}"
    outcome = await door(deps, kind, roles, data, lambda: func(deps, data))
    return outcome if isinstance(outcome, str) else None


@task_for(TaskKind.SETTLE_MEETING, Role.ACTIVE, Role.ADMIN)
async def settle_meeting(deps: Deps, data: dict[str, Any]) -> None:
    meeting = await meetings.lock_meeting(deps.db, meeting_id=UUID(data["meeting_id"]))
    if meeting is None or not meeting.owed:
        return
    rep = deps.actor.rep
    if rep is None or rep.id != meeting.rep_id:
        raise Refused("the meeting is another rep's")
    if "follow" in meeting.owed:
        meeting = await _follow(deps, rep, meeting)
    if "hubspot" in meeting.owed and meeting.prospect_id is not None:
        await _log_owed(deps, rep, meeting, meeting.prospect_id)


async def _follow(deps: Deps, rep: Rep, meeting: Meeting) -> Meeting:
    """Silent: the rep changed the calendar themselves; Google told the client."""
    if failed := await changes.follow(deps, rep, meeting):
        raise NotDone("; ".join(failed))
    return await meetings.settle_owed(
        deps.db, meeting_id=meeting.id, step="follow", hubspot_meeting_id=None, now=deps.now()
    )


async def _log_owed(deps: Deps, rep: Rep, meeting: Meeting, prospect_id: str) -> None:
    prospect = await prospects.get_prospect(deps.db, prospect_id=prospect_id)
    if prospect is None:
        raise NotDone("the meeting's prospect is gone")
    settled = await booking.settle(deps, meeting, rep, prospect)
    if settled.owed:
        raise NotDone("; ".join(settled.owed))
    when = f"{meeting.starts_at.astimezone(zone_of(deps)):%d.%m %H:%M}"
    message = texts.text("notice.hubspot_logged", rep.language, title=meeting.title, when=when)
    about = {"meeting_id": str(meeting.id), "prospect_id": prospect.id}
    await notices.send(deps, rep.telegram_id, message, about=about)


@task_for(TaskKind.CALENDAR_SYNC, Role.ACTIVE)
async def sync_calendar(deps: Deps, data: dict[str, Any]) -> None:
    """A failed sync is recorded and tried again later by the scheduler: the task is done."""
    rep = deps.actor.rep
    if rep is None or str(rep.id) != data.get("rep_id"):
        raise Refused("the calendar is another rep's")
    if rep.calendar_connected_at is None:
        return
    await calendar_sync.sync(deps, rep)


@task_for(TaskKind.CALENDAR_WATCH, Role.ACTIVE)
async def watch_calendar(deps: Deps, data: dict[str, Any]) -> None:
    """Opens (or renews) the push channel; a refusal is tried again by the next hour's task."""
    rep = deps.actor.rep
    if rep is None or str(rep.id) != data.get("rep_id"):
        raise Refused("the calendar is another rep's")
    await calendar_push.watch(deps, rep)


@task_for(TaskKind.CRM_SYNC, Role.TEAM, Role.ADMIN)
async def sync_hubspot(deps: Deps, data: dict[str, Any]) -> None:
    """Done for the team in its background chat (one queued in an admin's chat before is done
    there), silently; a failure is the task's error, tried next interval."""
    if deps.services.crm is None:
        return
    try:
        await sync.run(deps, deps.services.crm)
    except IntegrationError as e:
        raise NotDone(f"the HubSpot sync ({e.message}); it goes on from there next time") from None


@task_for(TaskKind.HUBSPOT_OWNER, Role.TEAM, Role.ADMIN)
async def write_owner(deps: Deps, data: dict[str, Any]) -> None:
    """Done for the team as the sync is, silently; a failure is the task's error, tried again
    later."""
    await contact_owners.write(deps, str(data["prospect_id"]))
