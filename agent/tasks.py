"""Inbox tasks: work the scheduler queues for code, not for the agent. A booked meeting's owed
HubSpot log is tried again; the rep hears of it only once it is done. A task that does not
succeed is finished all the same (with why): the scheduler queues the next try later."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from agent.turn import ClaimLost, Runtime
from db import inbox, meetings, prospects, reps
from db.inbox import Claim
from db.queries import Connection
from tools import booking, notices
from tools.actor import resolve_actor
from tools.deps import Deps
from tools.times import zone_of


async def run_task(rt: Runtime, item: Claim) -> None:
    now = rt.clock()
    async with rt.pool.acquire() as conn, conn.transaction():
        task, data = item.payload.get("task"), item.payload.get("data", {})
        if task == "settle_meeting":
            error = await _settle_meeting(rt, conn, data)
        else:
            error = f"unknown task {task!r}"
        if not await inbox.finish(conn, claim=item, now=now, error=error):
            raise ClaimLost(f"inbox item {item.id} was taken by another worker")


async def _settle_meeting(rt: Runtime, conn: Connection, data: dict[str, Any]) -> str | None:
    """What is still owed after trying, or None."""
    meeting = await meetings.lock_meeting(conn, meeting_id=UUID(data["meeting_id"]))
    if meeting is None or not meeting.owed or meeting.prospect_id is None:
        return None
    rep = await reps.get_rep(conn, rep_id=meeting.rep_id)
    prospect = await prospects.get_prospect(conn, prospect_id=meeting.prospect_id)
    if rep is None or prospect is None:
        return "the meeting's rep or prospect is gone"
    actor = await resolve_actor(conn, telegram_id=rep.telegram_id, admin_ids=rt.rules.admin_ids)
    deps = Deps(db=conn, actor=actor, clock=rt.clock, rules=rt.rules, services=rt.services)
    settled = await booking.settle(deps, meeting, rep, prospect)
    if settled.owed:
        return "; ".join(settled.owed)
    when = f"{meeting.starts_at.astimezone(zone_of(deps)):%d.%m %H:%M}"
    message = notices.text("hubspot_logged", rep.language, title=meeting.title, when=when)
    await notices.send(deps, rep.telegram_id, message)
    return None
