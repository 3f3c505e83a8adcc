"""Tools for anyone: applying to join, seeing one's status, changing one's email, leaving."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from pydantic_ai import FunctionToolset, ModelRetry, RunContext

from db import allowance, prospects, reps
from db.errors import AlreadyRegistered, EmailTaken, InvalidTransition
from db.models import Rep, RepStatus
from tools import leaving, notices, texts
from tools.access import NotDone, confirm, tool_for
from tools.actor import REGISTERED, UNREGISTERED, Role
from tools.deps import Deps
from tools.emails import corporate_email
from tools.names import person_name

registration = FunctionToolset[Deps]()


class Application(BaseModel):
    status: RepStatus = Field(description="pending until an admin approves or rejects it")
    name: str
    email: str
    admins_notified: int = Field(description="how many admins were sent the application")


class EmailChange(BaseModel):
    email: str = Field(description="the email now on file")
    previous: str


class Left(BaseModel):
    status: RepStatus


@tool_for(registration, *UNREGISTERED)
async def register_rep(ctx: RunContext[Deps], name: str, email: str) -> Application:
    """Send the user's application to join the sales team; admins then approve or reject it.

    Call it only when the user wants to register and has told you both their full name and
    their corporate email (ask for each one at a time). Never invent either.

    Args:
        name: the user's first and last name, as they wrote it
        email: the user's corporate email address
    """
    deps = ctx.deps
    email = corporate_email(email, deps.rules.corporate_email_domain)
    name = person_name(name, whose="user's")
    if len(name) < 2:
        raise ModelRetry("Ask the user for their full name (first and last).")
    sent = await allowance.registrations(
        deps.db, telegram_id=deps.actor.telegram_id, now=deps.now()
    )
    if sent >= deps.rules.registrations_per_day:
        raise NotDone(
            f"this user already applied {sent} times in the last day, the most allowed; "
            "tell them they can apply again tomorrow, or ask an admin directly"
        )
    try:
        rep = await _apply(deps, name, email)
    except EmailTaken:
        raise ModelRetry(
            f"{email} is already registered to someone else; ask the user for their own email."
        ) from None
    admins = await notices.application_to_admins(deps, rep)
    return Application(status=rep.status, name=rep.name, email=rep.email, admins_notified=admins)


@tool_for(registration, *Role)
async def my_status(ctx: RunContext[Deps]) -> dict[str, Any]:
    """The user's own registration: status, email, calendar, their prospects. Use it to greet a
    known user with their status, and whenever they ask about themselves."""
    actor = ctx.deps.actor
    rep = actor.rep
    status: dict[str, Any] = {"role": actor.role, "is_admin": actor.is_admin}
    if rep is None or rep.status in (RepStatus.REMOVED, RepStatus.REJECTED):
        status["registered"] = False
        return status
    own = await prospects.get_prospects_for_rep(ctx.deps.db, rep_id=rep.id)
    status |= {
        "registered": True,
        "name": rep.name,
        "email": rep.email,
        "status": rep.status,
        "calendar_connected": rep.calendar_connected_at is not None,
        "prospects": [{"name": p.name, "status": p.status} for p in own],
    }
    return status


@tool_for(registration, *REGISTERED)
async def update_my_email(ctx: RunContext[Deps], email: str) -> EmailChange:
    """Change the user's own corporate email.

    Args:
        email: the new corporate email address, exactly as the user wrote it
    """
    deps = ctx.deps
    rep = _own(deps)
    email = corporate_email(email, deps.rules.corporate_email_domain)
    try:
        updated = await reps.update_rep(deps.db, rep_id=rep.id, email=email, now=deps.now())
    except EmailTaken:
        raise ModelRetry(f"{email} belongs to another rep; ask the user for their own.") from None
    return EmailChange(email=updated.email, previous=rep.email)


@tool_for(registration, *REGISTERED)
async def unregister_me(ctx: RunContext[Deps]) -> Left:
    """Cancel the user's own registration or application (they can come back later). The user
    is asked to confirm with buttons before anything happens."""
    deps = ctx.deps
    rep = _own(deps)
    confirm(ctx, "unregister")
    try:  # a repeated call finds the rep gone already
        removed = await reps.remove_rep(
            deps.db,
            rep_id=rep.id,
            reason="unregistered",
            now=deps.now(),
            by_telegram_id=deps.actor.telegram_id,
        )
    except InvalidTransition as e:
        raise NotDone(str(e)) from None
    await leaving.wind_up(deps, removed)
    return Left(status=removed.status)


async def _apply(deps: Deps, name: str, email: str) -> Rep:
    """A new application; a second call in the same conversation (the user corrected their
    name or email) corrects the pending one instead."""
    try:
        return await reps.create_rep(
            deps.db,
            telegram_id=deps.actor.telegram_id,
            telegram_username=deps.actor.username,
            name=name,
            email=email,
            language=texts.language_of(deps.actor.language),
            timezone=deps.rules.default_timezone,
            now=deps.now(),
        )
    except AlreadyRegistered as e:
        pending = await reps.get_rep_by_telegram_id(deps.db, telegram_id=deps.actor.telegram_id)
        if pending is None or pending.status is not RepStatus.PENDING:
            raise NotDone(f"this user is already registered ({e.status})") from None
        return await reps.update_rep(
            deps.db, rep_id=pending.id, name=name, email=email, now=deps.now()
        )


def _own(deps: Deps) -> Rep:
    if deps.actor.rep is None:
        raise NotDone("this user has no registration")
    return deps.actor.rep
