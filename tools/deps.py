"""What a tool may use: the turn's database transaction, the actor, the clock, the rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from db.queries import Connection
from tools.actor import Actor


@dataclass(frozen=True, slots=True)
class Rules:
    corporate_email_domain: str = "truerealestate.bali"
    default_timezone: str = "Asia/Makassar"
    admin_ids: tuple[int, ...] = ()
    confirmation_ttl: timedelta = timedelta(minutes=15)


@dataclass
class Deps:
    db: Connection
    actor: Actor
    clock: Callable[[], datetime]
    rules: Rules = field(default_factory=Rules)
    turn_id: int | None = None

    def now(self) -> datetime:
        return self.clock()
