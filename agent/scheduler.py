"""The scheduler: every tick it finds the work that is due and puts one event for each piece
into the right chat's inbox; the turn workers then let the agent write to the person. It never
talks to Telegram or to the model itself. Any number may run on one database."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import asyncpg

from agent.settings import Settings
from db import scheduler as due
from db.scheduler import Quiet

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Plan:
    """When each kind of work falls due; from settings."""

    admin_ids: tuple[int, ...] = ()
    timezone: str = "Asia/Makassar"
    quiet_start: time = time(21, 0)
    quiet_end: time = time(9, 0)
    outreach: bool = True
    unreached_every: timedelta = timedelta(hours=24)
    follow_up_after: timedelta = timedelta(hours=2)
    prep_before: timedelta = timedelta(hours=1)
    pending_after: timedelta = timedelta(days=1)
    calendar_after: timedelta = timedelta(days=1)
    digest_at: time = time(9, 30)
    stale_after: timedelta = timedelta(days=5)
    owed_every: timedelta = timedelta(minutes=30)

    @property
    def quiet(self) -> Quiet:
        return Quiet(self.quiet_start, self.quiet_end, self.timezone)


def plan_from(settings: Settings) -> Plan:
    return Plan(
        admin_ids=settings.admin_telegram_ids,
        timezone=settings.default_timezone,
        quiet_start=settings.quiet_hours_start,
        quiet_end=settings.quiet_hours_end,
        outreach=settings.outreach_enabled,
        unreached_every=timedelta(hours=settings.unreached_reminder_hours),
        follow_up_after=timedelta(hours=settings.follow_up_hours),
        prep_before=timedelta(minutes=settings.meeting_prep_minutes),
        pending_after=timedelta(hours=settings.pending_alert_hours),
        calendar_after=timedelta(hours=settings.calendar_reminder_hours),
        digest_at=settings.digest_time,
        stale_after=timedelta(days=settings.stale_deal_days),
        owed_every=timedelta(minutes=settings.owed_retry_minutes),
    )


async def tick(pool: asyncpg.Pool, plan: Plan, now: datetime) -> dict[str, int] | None:
    """Queues what is due at `now`: new events by kind, or None if another tick was running."""
    async with pool.acquire() as conn, conn.transaction():
        if not await due.try_lock_tick(conn):
            return None
        quiet = plan.quiet
        queued: dict[str, int] = {}
        if plan.outreach:
            await due.release_from_inactive(conn, now=now)
            queued["assigned"] = await due.assign_waiting(conn, now=now, quiet=quiet)
            queued["unreached"] = await due.unreached_reminders(
                conn, now=now, quiet=quiet, every=plan.unreached_every
            )
            queued["follow_up"] = await due.follow_ups(
                conn, now=now, quiet=quiet, after=plan.follow_up_after
            )
        queued["prep"] = await due.meeting_preps(
            conn, now=now, quiet=quiet, before=plan.prep_before
        )
        queued["debrief"] = await due.meeting_debriefs(conn, now=now, quiet=quiet)
        queued["pending"] = await due.pending_applications(
            conn, now=now, quiet=quiet, after=plan.pending_after, admin_ids=list(plan.admin_ids)
        )
        queued["calendar"] = await due.calendar_reminders(
            conn, now=now, quiet=quiet, after=plan.calendar_after
        )
        queued["digest"] = await due.stale_digests(
            conn, now=now, quiet=quiet, digest_at=plan.digest_at, stale=plan.stale_after
        )
        queued["team_digest"] = await due.team_digests(
            conn,
            now=now,
            quiet=quiet,
            digest_at=plan.digest_at,
            stale=plan.stale_after,
            admin_ids=list(plan.admin_ids),
        )
        queued["owed"] = await due.owed_steps(conn, now=now, every=plan.owed_every)
        return queued


async def run(
    pool: asyncpg.Pool,
    plan: Plan,
    *,
    clock: Callable[[], datetime],
    every: float,
    stop: asyncio.Event,
) -> None:
    """Ticks until `stop`; a failed tick is logged and the next one tries again."""
    while not stop.is_set():
        try:
            queued = await tick(pool, plan, clock())
            if queued and any(queued.values()):
                log.info("scheduler queued %s", {k: v for k, v in queued.items() if v})
        except (OSError, asyncpg.PostgresError) as e:
            log.warning("scheduler tick failed: %s", e)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
