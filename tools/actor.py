"""Who is speaking, resolved from the Telegram id before the agent runs."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from db.chats import TEAM_CHAT
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
    TEAM = "team"
    """The team's background work, done by code in no person's chat (never a turn's actor)."""


UNREGISTERED = (Role.UNKNOWN, Role.REJECTED, Role.REMOVED)
REGISTERED = (Role.PENDING, Role.ACTIVE, Role.SUSPENDED)


class Refused(Exception):
    """The actor may not do this; the message is for the model to pass on."""


@dataclass(frozen=True, slots=True)
class Actor:
    telegram_id: int
    role: Role
    """The first of what the actor is: admin, else their registration's status."""
    rep: Rep | None = None
    username: str | None = None
    first_name: str | None = None
    language: str | None = None

    @property
    def person(self) -> int | None:
        """The Telegram id of the person acting, as the audit log keeps it; None for the team."""
        return None if self.role is Role.TEAM else self.telegram_id

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def capabilities(self) -> frozenset[Role]:
        """Everything the actor is: an admin who is also a registered rep holds both, so the head
        of sales who sells gets the rep's tools too (a suspended one keeps only the admin's and
        the registered person's)."""
        held = {self.role}
        if self.is_admin and self.rep is not None and Role(self.rep.status.value) in REGISTERED:
            held.add(Role(self.rep.status.value))
        return frozenset(held)

    def may(self, allowed: frozenset[Role]) -> bool:
        """The one check, in a tool's `prepare` and again in its body."""
        return not self.capabilities.isdisjoint(allowed)

    @property
    def what(self) -> str:
        """What the actor was, as the audit log and the prompt name it: `admin+active`."""
        rest = sorted(c for c in self.capabilities if c is not self.role)
        return "+".join([self.role, *rest])

    def active_rep(self) -> Rep:
        """The speaker's own rep, for what only an active rep may do."""
        if self.rep is None or self.rep.status is not RepStatus.ACTIVE:
            raise Refused(f"only an active rep can do this, and this user is {self.role}")
        return self.rep


TEAM = Actor(telegram_id=TEAM_CHAT, role=Role.TEAM)
"""Who does the team's background work: no person, so no one is looked up, told or audited
as its doer; only the tasks that allow this role are done for it."""


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
