"""Who is speaking, resolved from the Telegram id before the agent runs."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from db.models import Rep, RepStatus
from db.queries import Executor
from db.reps import get_rep_by_telegram_id


class Role(StrEnum):
    UNKNOWN = "unknown"
    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REJECTED = "rejected"
    REMOVED = "removed"
    ADMIN = "admin"


UNREGISTERED = (Role.UNKNOWN, Role.REJECTED, Role.REMOVED)
REGISTERED = (Role.PENDING, Role.ACTIVE, Role.SUSPENDED)


class Refused(Exception):
    """The actor may not do this; the message is for the model to pass on."""


@dataclass(frozen=True, slots=True)
class Actor:
    telegram_id: int
    role: Role
    rep: Rep | None = None
    username: str | None = None
    first_name: str | None = None
    language: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def active_rep(self) -> Rep:
        """The speaker's own rep, for what only an active rep may do."""
        if self.rep is None or self.rep.status is not RepStatus.ACTIVE:
            raise Refused(f"only an active rep can do this, and this user is {self.role}")
        return self.rep


async def resolve_actor(
    db: Executor,
    *,
    telegram_id: int,
    admin_ids: tuple[int, ...],
    username: str | None = None,
    first_name: str | None = None,
    language: str | None = None,
) -> Actor:
    rep = await get_rep_by_telegram_id(db, telegram_id=telegram_id)
    if telegram_id in admin_ids or (
        rep is not None and rep.is_admin and rep.status is RepStatus.ACTIVE
    ):
        role = Role.ADMIN
    elif rep is None:
        role = Role.UNKNOWN
    else:
        role = Role(rep.status.value)
    return Actor(
        telegram_id=telegram_id,
        role=role,
        rep=rep,
        username=username,
        first_name=first_name,
        language=rep.language if rep else language,
    )
