"""The Telegram bot wired from settings: the bot client, the channel and the runtime."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from pydantic_ai.models import Model

from agent import scheduler
from agent.drafts import Pace
from agent.runtime import plan_from, runtime
from agent.settings import Settings
from agent.supervision import Supervisor
from agent.telegram.app import Channel, Webhook, serve, stop_on_signals, webhook_secret
from agent.telegram.transport import make_bot
from agent.telegram.voice import Voice
from agent.transcription import transcriber_from

_SPARE_CONNECTIONS = 10
"""Beyond one per running turn: claims, the sender, the listener, the webhook's writes."""


def channel_from(
    settings: Settings, *, webhook_url: str | None = None, receive: bool = True
) -> Channel:
    assert settings.telegram_bot_token is not None
    token = settings.telegram_bot_token.get_secret_value()
    api = settings.telegram_api_url
    bot = make_bot(token, base_url=f"{api}/bot", base_file_url=f"{api}/file/bot")
    url = webhook_url or settings.telegram_webhook_url
    hook = None
    if url:
        secret = settings.telegram_webhook_secret
        host, _, port = settings.webhook_listen.rpartition(":")
        hook = Webhook(
            url=url,
            secret=secret.get_secret_value() if secret else webhook_secret(token),
            host=host,
            port=int(port),
        )
    return Channel(
        bot=bot,
        webhook=hook,
        turn_workers=settings.turn_workers,
        lease=timedelta(seconds=settings.lease_seconds),
        listen=settings.webhook_listen,
        receive=receive,
        drafts=Pace(every=settings.draft_every_seconds) if settings.draft_every_seconds else None,
        voice=Voice(
            transcriber_from(settings),
            max_seconds=settings.voice_max_seconds,
            max_bytes=settings.voice_max_bytes,
        ),
    )


async def run_bot(
    settings: Settings, model: Model, *, webhook_url: str | None = None, receive: bool = True
) -> None:
    channel = channel_from(settings, webhook_url=webhook_url, receive=receive)
    pool_size = channel.turn_workers + _SPARE_CONNECTIONS
    async with runtime(settings, model, pool_size=pool_size) as rt:
        stop = asyncio.Event()
        stop_on_signals(stop)
        supervisor = Supervisor(stop)
        ticking = supervisor.watch(
            "the scheduler",
            scheduler.run(
                rt.pool,
                plan_from(settings),
                clock=rt.clock,
                every=settings.scheduler_tick_seconds,
                stop=stop,
            ),
        )
        try:
            await serve(rt, channel, stop)
        finally:
            stop.set()
            await ticking
        supervisor.check()
