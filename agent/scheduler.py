"""The scheduler: every tick it finds the work that is due and puts one event for each piece
into the right chat's inbox; the turn workers then let the agent write to the person. It never
talks to Telegram or to the model itself. Any number may run on one database."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import asyncpg

from agent.supervision import backoff_seconds, sleep_or_stop
from db import calendar_channels
from db import scheduler as due
from db.scheduler import Quiet
from tools import metrics

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Plan:
    """When each kind of work falls due; built from the settings, which hold every default."""

    admin_ids: tuple[int, ...]
    timezone: str
    quiet_start: time
    quiet_end: time
    outreach: bool
    unreached_every: timedelta
    follow_up_after: timedelta
    prep_before: timedelta
    pending_after: timedelta
    calendar_after: timedelta
    digest_at: time
    stale_after: timedelta
    owed_every: timedelta
    calendar_sync_every: timedelta | None = None
    """How often each connected calendar is synced; None: no real calendar (the sandbox)."""
    calendar_watch_renew: timedelta | None = None
    """With push: a calendar is watched, its channel renewed this long before it ends."""
    crm_sync_every: timedelta | None = None
    """How often HubSpot is synced, by a task in the team's background chat; None: not on its
    own."""
    owner_write_every: timedelta | None = None
    """How often an owed contact owner is written to HubSpot again; None: owners not written."""

    @property
    def quiet(self) -> Quiet:
        return Quiet(self.quiet_start, self.quiet_end, self.timezone)


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
        # Before the meetings' events: a rep's chat is served in order, so a sync due now lands
        # first and a prep or debrief for a meeting moved or cancelled in Google is dropped.
        if plan.calendar_sync_every is not None:
            queued["calendar_sync"] = await due.calendar_syncs(conn, now=now)
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
        queued["follow"] = await due.follow_steps(conn, now=now, every=plan.owed_every)
        if plan.calendar_watch_renew is not None:
            renew_at = now + plan.calendar_watch_renew
            queued["calendar_watch"] = await calendar_channels.queue_watches(
                conn, now=now, renew_at=renew_at
            )
        if plan.crm_sync_every is not None:
            queued["crm_sync"] = await due.crm_syncs(conn, now=now, every=plan.crm_sync_every)
        if plan.owner_write_every is not None:
            queued["owner"] = await due.owed_owners(conn, now=now, every=plan.owner_write_every)
        return queued


async def run(
    pool: asyncpg.Pool,
    plan: Plan,
    *,
    clock: Callable[[], datetime],
    every: float,
    stop: asyncio.Event,
    backoff: Callable[[int], float] = backoff_seconds,
) -> None:
    """Ticks until `stop`; a failed tick is logged and tried again soon (a tick is safe to
    repeat), backing off while the database is away."""
    failures = 0
    log.info("scheduler ticking every %s s", every)
    while not stop.is_set():
        try:
            queued = await tick(pool, plan, clock())
            if queued and any(queued.values()):
                log.info("scheduler queued %s", {k: v for k, v in queued.items() if v})
            for kind, count in (queued or {}).items():
                metrics.EVENTS_QUEUED.labels(kind).inc(count)
            metrics.SCHEDULER_TICKS.labels("ok").inc()
            failures = 0
        except Exception as e:  # whatever the database says, the next tick tries again
            failures += 1
            metrics.SCHEDULER_TICKS.labels("failed").inc()
            log.warning("scheduler tick failed: %r", e)
        await sleep_or_stop(stop, min(every, backoff(failures)) if failures else every)
