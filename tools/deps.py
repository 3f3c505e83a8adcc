"""What a tool may use: the turn's database transaction, the actor, the clock, the rules, the
outside services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from db.queries import Connection, Executor
from db.scheduler import Quiet
from tools.actor import Actor
from tools.prospect_files import Limits
from tools.services import Services

IMPORT_LIMITS = Limits(max_bytes=1 << 20, max_rows=1000)


@dataclass(frozen=True, slots=True)
class CalendarSyncRules:
    days: int = 14
    """A full sync reads from a day ago to this many days ahead."""
    every: timedelta = timedelta(minutes=10)
    """How often each connected calendar is synced; failures wait longer, doubling."""
    failures: int = 5
    """Failures in a row after which the rep is told and asked to reconnect."""
    push_address: str | None = None
    """Where Google posts its notifications (a public address); None: calendars are polled."""
    watched_every: timedelta = timedelta(hours=1)
    """How often a calendar Google pushes changes of is synced anyway, in case one is lost."""


DEFAULT_STAGES = ("lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity")
"""The HubSpot lifecycle stages whose contacts are prospects, unless the settings say."""


@dataclass(frozen=True, slots=True)
class CrmSyncRules:
    stages: tuple[str, ...] = DEFAULT_STAGES
    """The lifecycle stages of the contacts that become prospects."""
    telegram_property: str | None = None
    """The contact property holding a Telegram handle, if the team keeps one."""


@dataclass(frozen=True, slots=True)
class Rules:
    """What the tools follow; built from the settings, which hold every default."""

    corporate_email_domain: str
    default_timezone: str
    admin_ids: tuple[int, ...]
    confirmation_ttl: timedelta
    work_start: time
    work_end: time
    quiet_start: time
    quiet_end: time
    registrations_per_day: int
    """Applications one person may send in a day; more are refused with a clear answer."""
    code_ttl: timedelta
    """How long an emailed code works."""
    code_attempts: int
    """Wrong codes allowed before a code stops working."""
    codes_per_day: int
    """Codes one rep may be sent in 24 hours."""
    digest_time: time = time(9, 30)
    """When the daily digest comes, for a rep who set no hour of their own."""
    stale_after: timedelta = timedelta(days=5)
    """An open prospect silent this long is a stale deal."""
    calendar_sync: CalendarSyncRules = field(default_factory=CalendarSyncRules)
    crm_sync: CrmSyncRules = field(default_factory=CrmSyncRules)
    import_limits: Limits = IMPORT_LIMITS
    """How large a file of prospects may be, and how many rows it may hold."""
    hot_stages: tuple[str, ...] = ("contractsent",)
    """HubSpot deal stages whose reaching the admins hear of at once."""

    @property
    def quiet(self) -> Quiet:
        """The default quiet hours, as the scheduler's events keep them."""
        return Quiet(self.quiet_start, self.quiet_end, self.default_timezone)


@dataclass
class Deps:
    db: Connection
    actor: Actor
    clock: Callable[[], datetime]
    rules: Rules
    turn_id: int | None = None
    services: Services = field(default_factory=Services)
    pressed: str | None = None
    """The button the user pressed to start this turn (its callback data), if they did."""

    def now(self) -> datetime:
        return self.clock()

    @property
    def journal(self) -> Executor:
        """Where records of outside calls go: outside the turn's transaction when we can."""
        return self.services.journal or self.db
