"""Admin tools for the team registry: who is pending, approve, reject, suspend, remove."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Literal

from pydantic import BaseModel, Field
from pydantic_ai import FunctionToolset, RunContext

from db import reps
from db.errors import EmailTaken, InvalidTransition
from db.models import Rep, RepStatus
from tools import calendar_push, leaving, notices, proof, texts
from tools.access import NotDone, confirm, tool_for
from tools.actor import Role
from tools.deps import Deps
from tools.refs import one_rep

team = FunctionToolset[Deps]()

Change = Callable[..., Awaitable[Rep]]
APPROVABLE = (RepStatus.PENDING, RepStatus.SUSPENDED, RepStatus.REJECTED)


class RepCard(BaseModel):
    id: str = Field(description="the rep's id, the surest way to name them in a later call")
    name: str
    email: str
    email_verified: bool = Field(
        description="whether they proved the email is theirs (a code mailed to it, or the Google "
        "sign-in); until then their calendar is not used"
    )
    status: RepStatus
    telegram: str | int = Field(description="their @username, or their Telegram id without one")
    registered: str = Field(description="the day they applied, YYYY-MM-DD")
    hubspot_owner_id: str | None = Field(
        default=None,
        description="the HubSpot owner matched to them by email at a sync; none: no owner has "
        "their email (HubSpot's records owned by such an owner are not theirs)",
    )


class StatusChange(RepCard):
    rep_told: bool = Field(description="the rep was sent a message about the change")


def rep_card(rep: Rep) -> RepCard:
    return RepCard(
        id=str(rep.id),
        name=rep.name,
        email=rep.email,
        email_verified=rep.email_verified,
        status=rep.status,
        telegram=f"@{rep.telegram_username}" if rep.telegram_username else rep.telegram_id,
        registered=rep.registered_at.date().isoformat(),
        hubspot_owner_id=rep.hubspot_owner_id,
    )


def _told(rep: Rep) -> StatusChange:
    return StatusChange(**rep_card(rep).model_dump(), rep_told=True)


class RepPage(BaseModel):
    reps: list[RepCard]
    total: int
    more: int = Field(description="how many are not shown; if any, offer to show more (page+1)")


PAGE = 10
"""Cards a list shows at once: well within one Telegram message."""


@tool_for(team, Role.ADMIN)
async def list_reps(
    ctx: RunContext[Deps],
    status: Literal["pending", "active", "suspended", "rejected", "removed", "all"] = "pending",
    page: int = 1,
) -> RepPage:
    """The team's reps with one status ("who's pending?" is the default), oldest first.

    Args:
        status: pending, active, suspended, rejected, removed, or all
        page: 1 first; the next for "show more"
    """
    found = await reps.list_reps(ctx.deps.db, status=None if status == "all" else RepStatus(status))
    start = (max(page, 1) - 1) * PAGE
    shown = [rep_card(r) for r in found[start : start + PAGE]]
    return RepPage(reps=shown, total=len(found), more=max(len(found) - start - PAGE, 0))


@tool_for(team, Role.ADMIN)
async def approve_rep(ctx: RunContext[Deps], rep: str) -> StatusChange:
    """Approve a pending application, reinstate a suspended rep, or take back a rejection; the
    rep is told. The admin confirms with buttons first (unless they pressed Approve on this
    applicant's own card, which is their confirmation).

    Args:
        rep: the rep's id, @username, email or name
    """
    deps = ctx.deps
    target = await one_rep(deps, rep)
    if target.status not in APPROVABLE:
        raise NotDone(f"{target.name} is {target.status} and cannot be approved")
    if not _on_card(deps, "approve", target):
        checked = proof.card_state(deps, target)
        verified = texts.text(f"verify.state.{checked}", deps.actor.language)
        confirm(ctx, f"approve_{target.status}", verified=verified, **notices.identity(target))
    try:
        approved = await reps.approve_rep(
            deps.db,
            rep_id=target.id,
            now=deps.now(),
            by_telegram_id=deps.actor.telegram_id,
            by_rep_id=deps.actor.rep.id if deps.actor.rep else None,
        )
    except InvalidTransition as e:
        raise NotDone(f"{target.name} is now {e.current} and cannot be approved") from None
    except EmailTaken:
        raise NotDone(f"{target.email} now belongs to another registration") from None
    notice = "reinstated" if target.status is RepStatus.SUSPENDED else "approved"
    await notices.status_to_rep(deps, approved, notice)
    return _told(approved)


@tool_for(team, Role.ADMIN)
async def reject_rep(ctx: RunContext[Deps], rep: str, reason: str | None = None) -> StatusChange:
    """Reject a pending application; the applicant is told (with the reason, if given). The
    admin confirms with buttons first (unless they pressed Reject on this applicant's own card).

    Args:
        rep: the rep's id, @username, email or name
        reason: why, in a few words, if the admin gave one
    """
    deps = ctx.deps
    target = await one_rep(deps, rep)
    if target.status is not RepStatus.PENDING:
        raise NotDone(f"{target.name} is {target.status}; only pending applications are rejected")
    if not _on_card(deps, "reject", target):
        confirm(ctx, "reject", **notices.identity(target))
    try:
        rejected = await reps.reject_rep(
            deps.db,
            rep_id=target.id,
            reason=reason,
            now=deps.now(),
            by_telegram_id=deps.actor.telegram_id,
        )
    except InvalidTransition as e:
        raise NotDone(f"{target.name} is now {e.current}; nothing was rejected") from None
    await notices.status_to_rep(deps, rejected, "rejected", reason)
    return _told(rejected)


@tool_for(team, Role.ADMIN)
async def suspend_rep(ctx: RunContext[Deps], rep: str) -> StatusChange:
    """Suspend an active rep (they keep their data; approve_rep reinstates them). The admin is
    asked to confirm with buttons first.

    Args:
        rep: the rep's id, @username, email or name
    """
    deps = ctx.deps
    target = await one_rep(deps, rep)
    if target.status is not RepStatus.ACTIVE:
        raise NotDone(f"{target.name} is {target.status}; only active reps can be suspended")
    return await _confirmed_change(ctx, target, "suspend", reps.suspend_rep, "suspended")


@tool_for(team, Role.ADMIN)
async def remove_rep(ctx: RunContext[Deps], rep: str) -> StatusChange:
    """Remove a rep from the team. The admin is asked to confirm with buttons first.

    Args:
        rep: the rep's id, @username, email or name
    """
    deps = ctx.deps
    target = await one_rep(deps, rep)
    if target.status in (RepStatus.REMOVED, RepStatus.REJECTED):
        raise NotDone(f"{target.name} is already {target.status}")
    return await _confirmed_change(ctx, target, "remove", reps.remove_rep, "removed")


async def _confirmed_change(
    ctx: RunContext[Deps], target: Rep, question: str, change: Change, notice: str
) -> StatusChange:
    """Asks the admin first; once confirmed, changes the status and tells the rep."""
    confirm(ctx, question, **notices.identity(target))
    deps = ctx.deps
    try:
        changed = await change(
            deps.db, rep_id=target.id, now=deps.now(), by_telegram_id=deps.actor.telegram_id
        )
    except InvalidTransition as e:
        raise NotDone(f"{target.name} is now {e.current}") from None
    await notices.status_to_rep(deps, changed, notice)
    if changed.status is RepStatus.REMOVED:
        await leaving.wind_up(deps, changed)
    elif changed.status is RepStatus.SUSPENDED:
        await calendar_push.stop_all(deps, changed)
    return _told(changed)


def _on_card(deps: Deps, action: str, target: Rep) -> bool:
    """The admin pressed this action's button on the target's own application card."""
    return deps.pressed == f"{action}:{target.id}"
