"""Wiring a running app from settings: the database, the agent, the model, the rules, the
outside services, and how each kind of inbox item becomes an action."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg
from opentelemetry.trace import Tracer
from pydantic_ai import Agent, DeferredToolRequests
from pydantic_ai.models import Model

from agent import traces
from agent.allowance import Allowance
from agent.assistant import build_agent
from agent.calendar_settings import PUSH_PATH
from agent.channel import Kinds
from agent.database import database
from agent.integrations import services_from
from agent.scheduler import Plan
from agent.settings import Settings
from db.allowance import Caps
from db.migrate import migrate
from db.pool import create_pool
from db.queries import Connection
from tools.actor import Actor
from tools.calendar_push import RENEW_BEFORE
from tools.deps import CalendarSyncRules, CrmSyncRules, Deps, Rules
from tools.prospect_files import Limits
from tools.services import Services


@dataclass(frozen=True, slots=True)
class TurnLimits:
    """How far one turn may go before it is stopped, rolled back and the user told."""

    deadline: timedelta
    requests: int
    tool_calls: int


@dataclass(frozen=True, slots=True)
class Runtime:
    pool: asyncpg.Pool
    agent: Agent[Deps, str | DeferredToolRequests]
    model: Model
    rules: Rules
    limits: TurnLimits
    clock: Callable[[], datetime]
    services: Services = field(default_factory=Services)
    allowance: Allowance | None = None
    """What strangers and applicants may cost; None: no one is limited."""
    tracer: Tracer = field(default_factory=traces.tracer)

    def deps(
        self,
        conn: Connection,
        actor: Actor,
        *,
        turn_id: int | None = None,
        pressed: str | None = None,
    ) -> Deps:
        """What a tool or a task may use, acting for `actor` on `conn`'s transaction."""
        return Deps(
            db=conn,
            actor=actor,
            clock=self.clock,
            rules=self.rules,
            turn_id=turn_id,
            services=self.services,
            pressed=pressed,
        )


def inbox_kinds() -> Kinds:
    """Every kind of inbox item this app takes: Telegram's updates, the scheduler's events and
    tasks. A new kind is a module with its interpreters, added here."""
    from agent import events, tasks
    from agent.telegram import documents, updates

    return {**updates.KINDS, **documents.KINDS, **events.KINDS, **tasks.KINDS}


def rules_from(settings: Settings) -> Rules:
    """The rules the tools follow; with `plan_from`, the one place settings become them."""
    return Rules(
        corporate_email_domain=settings.corporate_email_domain,
        default_timezone=settings.default_timezone,
        admin_ids=settings.admin_telegram_ids,
        confirmation_ttl=timedelta(minutes=settings.confirmation_minutes),
        work_start=settings.work_hours_start,
        work_end=settings.work_hours_end,
        quiet_start=settings.quiet_hours_start,
        quiet_end=settings.quiet_hours_end,
        registrations_per_day=settings.registrations_per_day,
        code_ttl=timedelta(minutes=settings.email_code_minutes),
        code_attempts=settings.email_code_attempts,
        codes_per_day=settings.email_codes_per_day,
        digest_time=settings.digest_time,
        stale_after=timedelta(days=settings.stale_deal_days),
        calendar_sync=CalendarSyncRules(
            days=settings.calendar_sync_days,
            every=timedelta(minutes=settings.calendar_sync_minutes),
            failures=settings.calendar_sync_failures,
            push_address=push_address(settings),
            watched_every=timedelta(minutes=settings.calendar_watched_sync_minutes),
        ),
        import_limits=Limits(
            max_bytes=settings.import_max_kb * 1024, max_rows=settings.import_max_rows
        ),
        hot_stages=settings.hubspot_hot_stages,
        crm_sync=CrmSyncRules(
            stages=settings.hubspot_lifecycle_stages,
            telegram_property=settings.hubspot_telegram_property,
        ),
    )


def limits_from(settings: Settings) -> TurnLimits:
    return TurnLimits(
        deadline=timedelta(seconds=settings.turn_deadline_seconds),
        requests=settings.model_requests_per_turn,
        tool_calls=settings.tool_calls_per_turn,
    )


def allowance_from(settings: Settings) -> Allowance:
    return Allowance(
        limited_roles=settings.limited_roles,
        caps=Caps(
            turns_per_hour=settings.stranger_turns_per_hour,
            tokens_per_day=settings.stranger_tokens_per_day,
            all_turns_per_hour=settings.all_strangers_turns_per_hour,
        ),
        message_chars=settings.stranger_message_chars,
        history_messages=settings.stranger_history_messages,
    )


def plan_from(settings: Settings) -> Plan:
    """When the scheduler finds each kind of work due."""
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
        calendar_sync_every=(
            timedelta(minutes=settings.calendar_sync_minutes) if _real_calendar(settings) else None
        ),
        calendar_watch_renew=RENEW_BEFORE if push_address(settings) else None,
        crm_sync_every=(
            timedelta(minutes=settings.hubspot_sync_minutes)
            if settings.hubspot_access_token and settings.hubspot_sync_minutes
            else None
        ),
        owner_write_every=(
            timedelta(minutes=settings.owed_retry_minutes)
            if settings.hubspot_access_token and settings.hubspot_write_owners
            else None
        ),
    )


def _real_calendar(settings: Settings) -> bool:
    return bool(settings.google_service_account_file or settings.google_oauth_client_id)


def push_address(settings: Settings) -> str | None:
    """Where Google is asked to post calendar changes: only with a real calendar and a public
    address (PUBLIC_URL, or the webhook's origin)."""
    base = settings.public_base_url
    if base is None or not _real_calendar(settings):
        return None
    return base.rstrip("/") + PUSH_PATH


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
                    agent=build_agent(traces.install(settings)),
                    model=model,
                    rules=rules_from(settings),
                    limits=limits_from(settings),
                    clock=utc_now,
                    services=services,
                    allowance=allowance_from(settings),
                )
        finally:
            await pool.close()
