"""Prospect tools: admins add and assign them; reps see theirs and move them along."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field
from pydantic_ai import FunctionToolset, ModelRetry, RunContext

from db import prospects
from db.errors import InvalidTransition, RepNotActive
from db.models import Prospect, ProspectStatus
from tools import handover, hot_leads, notices, texts
from tools.access import NotDone, tool_for
from tools.actor import Role
from tools.deps import Deps
from tools.emails import valid_email
from tools.names import NAME_SHOWN, TEXT_SHOWN, one_line, person_name
from tools.refs import one_prospect, one_rep

prospect_tools = FunctionToolset[Deps]()

Status = Literal["unreached", "contacted", "in_conversation", "converted", "archived"]


class ProspectCard(BaseModel):
    id: str = Field(description="the prospect's id, the surest way to name them in a later call")
    name: str
    telegram: str | None = Field(description="their Telegram @username, if known")
    email: str | None
    status: ProspectStatus
    context: str | None = Field(description="what they are looking for")
    notes: str | None
    assigned: bool = Field(description="whether a rep has them")


PAGE = 15
"""Cards a list shows at once: with their fields, well within one Telegram message."""


class MyProspects(BaseModel):
    prospects: list[ProspectCard]
    total: int
    more: int = Field(description="how many are not shown; if any, offer the next page")


class Assignment(ProspectCard):
    rep: str = Field(description="the rep who now has the prospect")
    rep_told: bool = Field(description="the rep was sent a message about it")
    previous_rep: str | None = Field(default=None, description="who had them; told as well")
    meetings_moved: int = Field(default=0, description="meetings to come that went with them")


def prospect_card(p: Prospect) -> ProspectCard:
    return ProspectCard(
        id=p.id,
        name=p.name,
        telegram=p.telegram_id,
        email=p.email,
        status=p.status,
        context=p.context,
        notes=p.notes,
        assigned=p.assigned_rep_id is not None,
    )


@tool_for(prospect_tools, Role.ADMIN)
async def add_prospect(
    ctx: RunContext[Deps],
    name: str,
    telegram: str | None = None,
    email: str | None = None,
    context: str | None = None,
    notes: str | None = None,
) -> ProspectCard:
    """Add a prospect (a potential client) as unreached and unassigned.

    Args:
        name: the prospect's name
        telegram: their Telegram @username, if known
        email: their email, if known
        context: what they are looking for (budget, area, purpose)
        notes: anything else the admin said about them
    """
    deps = ctx.deps
    if telegram and not telegram.lstrip("@").replace("_", "").isalnum():
        raise ModelRetry(f"{telegram!r} is not a Telegram username; ask for it again or omit it.")
    handle = f"@{telegram.lstrip('@')}" if telegram else None
    address = valid_email(email) if email else None
    if known := await _known(deps, handle, address):
        raise NotDone(f"{known.name} is already a prospect (id {known.id}); nothing was added")
    added = await prospects.create_prospect(
        deps.db,
        name=person_name(name, whose="prospect's"),
        now=deps.now(),
        telegram_id=handle,
        email=address,
        context=context,
        notes=notes,
    )
    return prospect_card(added)


async def _known(deps: Deps, handle: str | None, email: str | None) -> Prospect | None:
    """A prospect with this Telegram handle or email: a repeated call must not add a twin."""
    for ref in (handle, email):
        found = await prospects.find_prospects(deps.db, ref=ref) if ref else []
        for p in found:
            if ref and ref.casefold() in (
                (p.telegram_id or "").casefold(),
                (p.email or "").casefold(),
            ):
                return p
    return None


@tool_for(prospect_tools, Role.ADMIN)
async def assign_prospect(
    ctx: RunContext[Deps], prospect: str, rep: str | None = None
) -> Assignment:
    """Give a prospect to a rep, who is told. Without `rep`, the active rep with the fewest
    open prospects gets it.

    Args:
        rep: the rep's id, @username, email or name; omit to pick the least loaded rep
    """
    deps = ctx.deps
    target = await one_prospect(deps, prospect)
    if not rep and target.assigned_rep_id is not None:  # a repeated call must not move it on
        raise NotDone(f"{target.name} already has a rep; name the rep to give them to instead")
    chosen = await one_rep(deps, rep) if rep else await prospects.least_loaded_rep(deps.db)
    if chosen is None:
        raise NotDone("there is no active rep to assign to")
    previous = await handover.previous_rep(deps, target, chosen)
    if previous is not None:
        await handover.ask(ctx, target, previous, chosen)
    try:
        assigned = await prospects.assign_prospect_to_rep(
            deps.db, prospect_id=target.id, rep_id=chosen.id, now=deps.now()
        )
    except (RepNotActive, InvalidTransition) as e:
        raise NotDone(str(e)) from None
    context = target.context or ""
    await notices.send(
        deps,
        chosen.telegram_id,
        texts.text(
            "notice.prospect_assigned",
            chosen.language,
            name=one_line(target.name, NAME_SHOWN),
            context=one_line(context, TEXT_SHOWN),
        ),
        about={"prospect_id": target.id},
    )
    moved = await handover.complete(deps, target, previous, chosen) if previous else 0
    card = prospect_card(assigned).model_dump()
    return Assignment(
        **card,
        rep=chosen.name,
        rep_told=True,
        previous_rep=previous.name if previous else None,
        meetings_moved=moved,
    )


@tool_for(prospect_tools, Role.ACTIVE)
async def list_my_prospects(
    ctx: RunContext[Deps], status: Status | None = None, page: int = 1
) -> MyProspects:
    """The user's own prospects, a page at a time.

    Args:
        status: omit for all
        page: the next for "show more"
    """
    rep = ctx.deps.actor.active_rep()
    own = await prospects.get_prospects_for_rep(
        ctx.deps.db, rep_id=rep.id, status=ProspectStatus(status) if status else None
    )
    start = (max(page, 1) - 1) * PAGE
    shown = [prospect_card(p) for p in own[start : start + PAGE]]
    return MyProspects(prospects=shown, total=len(own), more=max(len(own) - start - PAGE, 0))


@tool_for(prospect_tools, Role.ACTIVE, Role.ADMIN)
async def update_prospect_status(
    ctx: RunContext[Deps], prospect: str, status: Status, note: str | None = None
) -> ProspectCard:
    """Record where a prospect stands, e.g. after the rep wrote to them or heard back.

    Args:
        note: what happened, in the rep's words, if they said
    """
    deps = ctx.deps
    own = None if deps.actor.is_admin else deps.actor.rep
    target = await one_prospect(deps, prospect, rep_id=own.id if own else None)
    rep_id = own.id if own else None
    try:
        if status == "contacted" and target.status is ProspectStatus.UNREACHED:
            updated = await prospects.record_contact(
                deps.db, prospect_id=target.id, rep_id=rep_id, note=note, now=deps.now()
            )
        else:
            updated = await prospects.update_prospect_status(
                deps.db,
                prospect_id=target.id,
                status=ProspectStatus(status),
                rep_id=rep_id,
                note=note,
                now=deps.now(),
            )
    except InvalidTransition as e:
        raise NotDone(f"{target.name} is {e.current} and cannot become {status}") from None
    if updated.status is ProspectStatus.CONVERTED:
        await hot_leads.prospect_converted(deps, updated)
    return prospect_card(updated)
