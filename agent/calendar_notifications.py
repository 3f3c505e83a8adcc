"""The path on the bot's web server where Google posts a watched calendar's changes. It answers
at once: a proved notification only queues a sync of the rep's calendar (the turn workers run
it, woken by the new task); one not proved is refused with 403 and syncs nothing."""

from __future__ import annotations

from aiohttp import web

from agent.calendar_settings import PUSH_PATH
from agent.runtime import Runtime
from tools import calendar_push
from tools.calendar_push import Received


def notification_routes(rt: Runtime) -> list[web.RouteDef]:
    if rt.rules.calendar_sync.push_address is None:
        return []

    async def receive(request: web.Request) -> web.Response:
        headers = request.headers
        async with rt.pool.acquire() as conn:
            got = await calendar_push.received(
                conn,
                channel_id=headers.get("X-Goog-Channel-ID", ""),
                token=headers.get("X-Goog-Channel-Token", ""),
                resource_id=headers.get("X-Goog-Resource-ID", ""),
                state=headers.get("X-Goog-Resource-State", ""),
                message=headers.get("X-Goog-Message-Number", ""),
                now=rt.clock(),
            )
        return web.Response(status=403 if got is Received.FORGED else 200)

    return [web.post(PUSH_PATH, receive)]
