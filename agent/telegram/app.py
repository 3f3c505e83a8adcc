"""`salesbot run`: updates in (polling or webhook), turn workers, the sender, woken by the
database when work arrives; stopped in that order on SIGINT or SIGTERM, each finishing what it
holds for a grace period and giving back the rest. One of them ending before that stops them
all, and the process with an error (agent/supervision.py)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import logging
import signal
import urllib.parse
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aiohttp import web

from agent import monitoring
from agent.calendar_notifications import notification_routes
from agent.drafts import Pace
from agent.listener import Listener
from agent.monitoring import Watch
from agent.runtime import Runtime, inbox_kinds, utc_now
from agent.signin import sign_in_routes
from agent.supervision import Supervisor
from agent.telegram import intake, profile
from agent.telegram.documents import BotFiles
from agent.telegram.limits import RateLimiter
from agent.telegram.sender import OutboxSender
from agent.telegram.transport import TelegramBot
from agent.telegram.updates import KEPT
from agent.telegram.voice import Voice
from agent.telegram.voice import kinds as voice_kinds
from agent.workers import TurnWorkers

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Webhook:
    url: str
    secret: str
    host: str = "0.0.0.0"
    port: int = 8080

    @property
    def path(self) -> str:
        return urllib.parse.urlsplit(self.url).path or "/"


@dataclass(frozen=True, slots=True)
class Channel:
    """How this process meets Telegram and how much it takes on at once."""

    bot: TelegramBot
    webhook: Webhook | None = None
    turn_workers: int = 100
    limiter: RateLimiter = field(default_factory=RateLimiter)
    wall: Callable[[], datetime] = utc_now
    grace: float = 10.0
    poll_timeout: int = 25
    lease: timedelta = timedelta(seconds=30)
    listen: str | None = None
    """HOST:PORT of the web server when polling (health, metrics, calendar sign-in); None: no
    server."""
    drafts: Pace | None = field(default_factory=Pace)
    """How often a reply is shown as it is written (sendMessageDraft); None: never."""
    receive: bool = True
    """False: another process takes the updates in (Telegram lets one poll); this one only works
    the inbox and the outbox, on a core of its own."""
    voice: Voice = field(default_factory=Voice)
    """How voice notes are heard; by default, they are not (the person is told)."""


def webhook_secret(token: str) -> str:
    """The same for every process of one bot, and not the token itself."""
    return hashlib.sha256(f"salesbot-webhook:{token}".encode()).hexdigest()[:48]


async def serve(rt: Runtime, channel: Channel, stop: asyncio.Event) -> None:
    """Runs until `stop`; raises `LoopEnded` when one of its loops ended before it."""
    rt = dataclasses.replace(
        rt, services=dataclasses.replace(rt.services, files=BotFiles(channel.bot))
    )
    sender = OutboxSender(
        rt.pool, channel.bot, wall=channel.wall, limiter=channel.limiter, lease=channel.lease
    )
    workers = TurnWorkers(
        rt,
        kinds={**inbox_kinds(), **voice_kinds(channel.bot, channel.voice)},
        concurrency=channel.turn_workers,
        wall=channel.wall,
        typing=sender.typing,
        drafts=sender.draft,
        pace=channel.drafts,
        lease=channel.lease,
    )
    listener = Listener(rt.pool, {"salesbot_inbox": workers.wake, "salesbot_outbox": sender.wake})
    supervisor = Supervisor(stop)
    stop_sender = asyncio.Event()
    async with channel.bot:
        if channel.receive:  # one process sets the profile: the one taking updates in
            await profile.publish(channel.bot)
        listening = supervisor.watch("the database listener", listener.run(stop_sender))
        sending = supervisor.watch(
            "the outbox sender", sender.run(stop_sender, grace=channel.grace)
        )
        working = supervisor.watch("the turn workers", workers.run(stop, grace=channel.grace))
        try:
            async with _updates_in(rt, channel, stop, supervisor):
                log.info("salesbot is running; stop it with Ctrl+C or SIGTERM")
                await stop.wait()
        finally:
            stop.set()
            await working
            stop_sender.set()
            await asyncio.gather(sending, listening)
    supervisor.check()
    log.info("salesbot stopped")


@contextlib.asynccontextmanager
async def _updates_in(
    rt: Runtime, channel: Channel, stop: asyncio.Event, supervisor: Supervisor
) -> AsyncIterator[None]:
    hook = channel.webhook
    polls = channel.receive and hook is None
    watch = Watch(wall=channel.wall, supervisor=supervisor, polls=polls)
    async with _web_server(rt, channel, watch):
        if not channel.receive:
            log.info("taking no updates: another process does")
            yield
            return
        if hook is not None:
            await channel.bot.set_webhook(hook.url, secret_token=hook.secret, allowed_updates=KEPT)
            log.info("receiving updates at %s", hook.url)
            yield
            return
        polling = supervisor.watch(
            "polling",
            intake.poll(
                channel.bot,
                rt.pool,
                wall=channel.wall,
                stop=stop,
                long_poll=channel.poll_timeout,
                beats=watch.beats,
            ),
        )
        try:
            yield
        finally:
            stop.set()
            await polling


@contextlib.asynccontextmanager
async def _web_server(rt: Runtime, channel: Channel, watch: Watch) -> AsyncIterator[None]:
    hook = channel.webhook
    if hook is not None:
        host, port = hook.host, hook.port
    elif channel.listen is not None:
        host, _, number = channel.listen.rpartition(":")
        port = int(number)
    else:
        yield
        return
    webhook = (hook.path, hook.secret) if hook else None
    pages = monitoring.routes(rt.pool, watch) + sign_in_routes(rt) + notification_routes(rt)
    app = intake.web_app(rt.pool, wall=channel.wall, webhook=webhook, routes=pages)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        log.info("web server listening on %s:%s", host, port)
        yield
    finally:
        await runner.cleanup()


def stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
