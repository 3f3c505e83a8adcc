"""Tools for anyone: applying to join, seeing one's status, changing one's email, leaving."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel, Field
from pydantic_ai import FunctionToolset, ModelRetry, RunContext

from db import allowance, calendar_syncs, practices, prospects, reps
from db.errors import AlreadyRegistered, EmailTaken, InvalidTransition
from db.models import Rep, RepStatus
from tools import calendar_push, leaving, notices, proof, texts
from tools.access import NotDone, confirm, tool_for
from tools.actor import REGISTERED, UNREGISTERED, Role
from tools.calendar_access import forget
from tools.deps import Deps
from tools.emails import corporate_email
from tools.names import person_name
from tools.preferences import settings_of
from tools.times import zone_of
from tools.verification import sent_result

registration = FunctionToolset[Deps]()


class Application(BaseModel):
    status: RepStatus = Field(description="pending until an admin approves or rejects it")
    name: str
    email: str
    admins_notified: int = Field(description="how many admins were sent the application")
    email_verification: dict[str, Any] = Field(
        description="whether a code to prove the email was mailed; tell the user"
    )


class EmailChange(BaseModel):
    email: str = Field(description="the email now on file")
    previous: str
    email_verification: dict[str, Any] | None = Field(
        default=None, description="the new email must be proved again; tell the user"
    )
    calendar_disconnected: bool = Field(
        default=False, description="the calendar connected for the old email was disconnected"
    )


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
    await _within_applications_a_day(deps)
    try:
        rep = await _apply(deps, name, email)
    except EmailTaken:
        raise ModelRetry(
            f"{email} is already registered to someone else; ask the user for their own email."
        ) from None
    sent = await proof.send_code(deps, rep)
    admins = await notices.application_to_admins(deps, rep, proof.card_state(deps, rep, sent))
    return Application(
        status=rep.status,
        name=rep.name,
        email=rep.email,
        admins_notified=admins,
        email_verification=sent_result(deps, sent, rep.email),
    )


async def _within_applications_a_day(deps: Deps) -> None:
    applied = await allowance.registrations(
        deps.db, telegram_id=deps.actor.telegram_id, now=deps.now()
    )
    if applied >= deps.rules.registrations_per_day:
        raise NotDone(
            f"this user already applied {applied} times in the last day, the most allowed; "
            "tell them they can apply again tomorrow, or ask an admin directly"
        )


@tool_for(registration, *Role)
async def my_status(ctx: RunContext[Deps]) -> dict[str, Any]:
    """The user's own status, email, calendar, settings, prospects. Use it to greet a known
    user, and whenever they ask about themselves."""
    actor = ctx.deps.actor
    rep = actor.rep
    status: dict[str, Any] = {"role": actor.what, "is_admin": actor.is_admin}
    if rep is None or rep.status in (RepStatus.REMOVED, RepStatus.REJECTED):
        status["registered"] = False
        return status
    own = await prospects.get_prospects_for_rep(ctx.deps.db, rep_id=rep.id)
    week = ctx.deps.now() - timedelta(days=7)
    practised = await practices.summary(ctx.deps.db, rep_id=rep.id, since=week)
    status |= {
        "registered": True,
        "name": rep.name,
        "email": rep.email,
        "email_verified": rep.email_verified,
        "status": rep.status,
        "calendar_connected": rep.calendar_connected_at is not None,
        "settings": settings_of(rep, ctx.deps.rules).model_dump(),
        "prospects": [{"name": p.name, "status": p.status} for p in own],
        "practice_calls": {"done": practised.done, "this_week": practised.recent},
    }
    synced = await calendar_syncs.get_state(ctx.deps.db, rep_id=rep.id)
    if rep.calendar_connected_at is not None and synced and synced.last_synced_at:
        local = synced.last_synced_at.astimezone(zone_of(ctx.deps))
        status["calendar_synced_at"] = f"{local:%Y-%m-%d %H:%M} ({zone_of(ctx.deps)})"
    return status


@tool_for(registration, *REGISTERED)
async def update_my_email(ctx: RunContext[Deps], email: str) -> EmailChange:
    """Change the user's own corporate email; it must be proved again, admins are told.

    Args:
        email: as the user wrote it
    """
    deps = ctx.deps
    rep = _own(deps)
    email = corporate_email(email, deps.rules.corporate_email_domain)
    try:
        updated = await reps.update_rep(deps.db, rep_id=rep.id, email=email, now=deps.now())
    except EmailTaken:
        raise ModelRetry(f"{email} belongs to another rep; ask the user for their own.") from None
    if updated.email == rep.email:
        return EmailChange(email=updated.email, previous=rep.email)
    return await _reprove(deps, rep, updated)


@tool_for(registration, *REGISTERED)
async def unregister_me(ctx: RunContext[Deps]) -> Left:
    """Leave the team or withdraw the application; the user confirms with buttons."""
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


async def _reprove(deps: Deps, before: Rep, after: Rep) -> EmailChange:
    """A new email is unproved (the database reset it): a code goes to it, the calendar
    connected for the old one is let go, and the admins hear of the change."""
    disconnected = before.calendar_connected_at is not None
    if disconnected:
        await calendar_push.stop_all(deps, before)
        await forget(deps, before)
    sent = await proof.send_code(deps, after)
    state = proof.card_state(deps, after, sent)
    await notices.email_changed_to_admins(deps, after, before.email, state)
    return EmailChange(
        email=after.email,
        previous=before.email,
        email_verification=sent_result(deps, sent, after.email),
        calendar_disconnected=disconnected,
    )


def _own(deps: Deps) -> Rep:
    if deps.actor.rep is None:
        raise NotDone("this user has no registration")
    return deps.actor.rep
