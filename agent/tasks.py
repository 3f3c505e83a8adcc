"""An inbox task as work for code: done for the person whose chat it is in (or for the team, in
its background chat), through the door every tool goes through, and finished in the same
transaction. A task that is not done is finished all the same, with why: the scheduler queues
the next try later."""

from __future__ import annotations

from typing import Any

from agent.channel import Kinds, Work
from agent.runtime import Runtime
from agent.turn import ClaimLost
from db import inbox
from db.chats import TEAM_CHAT
from db.inbox import Claim
from tools.actor import TEAM, resolve_actor
from tools.tasks import run_task


def work_for(item: Claim) -> Work:
    return Work(_perform)


async def _perform(rt: Runtime, item: Claim) -> None:
    payload: dict[str, Any] = item.payload
    now = rt.clock()
    async with rt.pool.acquire() as conn, conn.transaction():
        if item.chat_id == TEAM_CHAT:
            actor = TEAM
        else:
            actor = await resolve_actor(
                conn, telegram_id=item.chat_id, admin_ids=rt.rules.admin_ids
            )
        deps = rt.deps(conn, actor)
        error = await run_task(deps, str(payload.get("task")), payload.get("data") or {})
        if not await inbox.finish(conn, claim=item, now=now, error=error):
            raise ClaimLost(item)


KINDS: Kinds = {"task": work_for}
