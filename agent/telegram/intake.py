"""Updates in: each one is committed to the inbox before Telegram hears it arrived (the next
getUpdates offset, or the webhook's 200), so an update is never lost, and a repeated one is
dropped by its update_id."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import asyncpg
from aiohttp import web
from telegram.error import Conflict, InvalidToken, NetworkError, TelegramError

from agent.supervision import Beats, backoff_seconds, sleep_or_stop
from agent.telegram import updates
from agent.telegram.transport import TelegramBot
from db import inbox, outbox

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


AWAY = (
    NetworkError,
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)
"""What Telegram or the database raise while they are away (a restart, a dropped connection):
the webhook asks Telegram to deliver the update again."""


REFUSED = (
    asyncpg.DataError,
    asyncpg.IntegrityConstraintViolationError,
    asyncpg.ProgramLimitExceededError,
)
"""What PostgreSQL raises when it refuses an update for what the update holds, not because it
is away."""


async def store(pool: asyncpg.Pool, raw: list[dict[str, Any]], now: datetime) -> int:
    """Keeps the updates in one transaction; returns how many were new. When the database
    refuses one for what it holds, they are kept one by one, and of the one refused, what it
    takes to answer its sender: one update never holds back the others."""
    kept = [u for u in map(updates.to_inbox, raw) if u is not None]
    if len(kept) > 1:
        try:
            return await _keep(pool, kept, now)
        except REFUSED as e:
            log.warning(
                "the database refused %s updates (%s): keeping them one by one", len(kept), e
            )
    return sum([await _keep_or_note(pool, update, now) for update in kept])


async def _keep_or_note(pool: asyncpg.Pool, update: inbox.Update, now: datetime) -> int:
    try:
        return await _keep(pool, [update], now)
    except REFUSED as e:
        log.error(
            "the database refused update %s (%r): its sender is asked again", update.update_id, e
        )
        error = f"the database refused the update: {e!r}"
    try:
        return await _keep(pool, [updates.unstored(update, error)], now)
    except REFUSED as e:
        log.error(
            "update %s dropped: the database refused even a note of it: %r", update.update_id, e
        )
        return 0


async def _keep(pool: asyncpg.Pool, kept: list[inbox.Update], now: datetime) -> int:
    async with pool.acquire() as conn, conn.transaction():
        new = await inbox.add_updates(conn, updates=kept, now=now)
        for update in kept:
            press = updates.callback_query(update.payload)
            if press and update.update_id in new:
                query_id, message_id = press
                await outbox.enqueue_callback_answer(
                    conn, chat_id=update.chat_id, query_id=query_id, message_id=message_id, now=now
                )
    return len(new)


async def poll(
    bot: TelegramBot,
    pool: asyncpg.Pool,
    *,
    wall: Callable[[], datetime],
    stop: asyncio.Event,
    long_poll: int = 25,
    backoff: Callable[[int], float] = backoff_seconds,
    beats: Beats | None = None,
) -> None:
    """Long polling. A stop while a poll waits drops that poll unacknowledged: its updates come
    again to whoever polls next."""
    await bot.delete_webhook()
    offset: int | None = None
    failures = 0
    while not stop.is_set():
        try:
            raw = await _until_stopped(
                bot.get_updates_json(offset, long_poll=long_poll, allowed_updates=updates.KEPT),
                stop,
            )
            if raw is None:
                return
            await store(pool, raw, wall())
            failures = 0
            if beats is not None:
                beats.beat("polling")
        except InvalidToken:
            raise  # the one refusal waiting does not mend: it ends the process
        except Conflict as e:
            log.error("Telegram refused polling (%s); is another `salesbot run` polling?", e)
            failures += 1
        except Exception as e:  # Telegram or the database is away: wait, then go on
            log.warning("getting updates failed: %r", e)
            failures += 1
        else:
            if raw:
                offset = max(u["update_id"] for u in raw) + 1
            continue
        await sleep_or_stop(stop, backoff(failures))


async def _until_stopped(coro: Any, stop: asyncio.Event) -> Any:
    work = asyncio.ensure_future(coro)
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait([work, stopped], return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if work.done():
        return work.result()
    work.cancel()
    with contextlib.suppress(asyncio.CancelledError, TelegramError):
        await work
    return None


def web_app(
    pool: asyncpg.Pool,
    *,
    wall: Callable[[], datetime],
    webhook: tuple[str, str] | None = None,
    routes: list[web.RouteDef] | None = None,
) -> web.Application:
    """The bot's web server: with a webhook `(path, secret)`, Telegram posts updates to `path`
    with the secret in a header; `routes` add the health check, the metrics and pages such as
    the calendar sign-in callback."""
    app = web.Application(client_max_size=1 << 20)
    if webhook is not None:
        app.router.add_post(webhook[0], _receiver(pool, secret=webhook[1], wall=wall))
    app.router.add_routes(routes or [])
    return app


def _receiver(
    pool: asyncpg.Pool, *, secret: str, wall: Callable[[], datetime]
) -> Callable[[web.Request], Awaitable[web.Response]]:

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return web.json_response({"ok": False, "error": "wrong secret token"}, status=401)
        try:
            update = json.loads(await request.read())
            if not isinstance(update, dict) or "update_id" not in update:
                raise ValueError("not an update")
        except ValueError:
            return web.json_response({"ok": False, "error": "not a Telegram update"}, status=400)
        try:
            await store(pool, [update], wall())
        except AWAY as e:  # Telegram will deliver it again
            log.error("could not keep update %s: %s", update.get("update_id"), e)
            return web.json_response({"ok": False, "error": "try again"}, status=503)
        return web.json_response({"ok": True})

    return receive
