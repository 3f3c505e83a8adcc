"""Wiring a running app from settings: the database, the agent, the model, the rules, the
outside services."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from pydantic_ai.models import Model

from agent.assistant import build_agent
from agent.database import database
from agent.integrations import services_from
from agent.settings import Settings
from agent.turn import Runtime
from db.migrate import migrate
from db.pool import create_pool
from tools.deps import Rules


def rules_from(settings: Settings) -> Rules:
    return Rules(
        corporate_email_domain=settings.corporate_email_domain,
        default_timezone=settings.default_timezone,
        admin_ids=settings.admin_telegram_ids,
        work_start=settings.work_hours_start,
        work_end=settings.work_hours_end,
    )


def utc_now() -> datetime:
    return datetime.now(UTC)


@contextlib.asynccontextmanager
async def runtime(
    settings: Settings, model: Model, *, pool_size: int = 10
) -> AsyncIterator[Runtime]:
    """A migrated database and a pool on it; the embedded server stops on exit."""
    with database(settings) as dsn:
        pool = await create_pool(dsn, max_size=pool_size)
        try:
            async with pool.acquire() as conn:
                await migrate(conn)
            async with services_from(settings, journal=pool, clock=utc_now) as services:
                yield Runtime(
                    pool=pool,
                    agent=build_agent(),
                    model=model,
                    rules=rules_from(settings),
                    clock=utc_now,
                    services=services,
                )
        finally:
            await pool.close()
