"""A prospect given from one rep to another: the admin is asked first, showing the meetings
that go with them; the meetings still to come move to the new rep (so the prep and debrief do),
and the old rep is told."""

from __future__ import annotations

from pydantic_ai import ApprovalRequired, RunContext

from db import reps, team
from db.models import Prospect, Rep, RepStatus
from tools import notices, texts
from tools.deps import Deps
from tools.names import NAME_SHOWN, one_line
from tools.times import zone_of


async def ask(ctx: RunContext[Deps], prospect: Prospect, old: Rep, new: Rep) -> None:
    """Pauses for the admin's yes unless they gave it to this call."""
    if ctx.tool_call_approved:
        return
    deps = ctx.deps
    language = deps.actor.language
    moving = await team.meetings_to_hand_over(
        deps.db, prospect_id=prospect.id, from_rep=old.id, now=deps.now()
    )
    zone = zone_of(deps)
    listed = ", ".join(f"{m['starts_at'].astimezone(zone):%d.%m %H:%M}" for m in moving)
    new_name = one_line(new.name, NAME_SHOWN)

    def t(key: str, **values: object) -> str:
        return texts.text(f"handover.{key}", language, **values)

    meetings = t("meetings", new=new_name, list=listed) if moving else t("no_meetings")
    question = t(
        "question",
        name=one_line(prospect.name, NAME_SHOWN),
        old=one_line(old.name, NAME_SHOWN),
        new=new_name,
        meetings=meetings,
    )
    raise ApprovalRequired(metadata={"question": question})


async def complete(deps: Deps, prospect: Prospect, old: Rep, new: Rep) -> int:
    """Moves the meetings to come and tells the old rep; how many meetings moved."""
    moved = await team.hand_over_meetings(
        deps.db, prospect_id=prospect.id, from_rep=old.id, to_rep=new.id, now=deps.now()
    )
    if old.status is RepStatus.ACTIVE:
        told = texts.text(
            "handover.old_rep",
            old.language,
            name=one_line(prospect.name, NAME_SHOWN),
            new=one_line(new.name, NAME_SHOWN),
        )
        await notices.send(deps, old.telegram_id, told, about={"prospect_id": prospect.id})
    return len(moved)


async def previous_rep(deps: Deps, prospect: Prospect, new: Rep) -> Rep | None:
    """The rep the prospect is taken from, if it is a hand-over."""
    if prospect.assigned_rep_id is None or prospect.assigned_rep_id == new.id:
        return None
    return await reps.get_rep(deps.db, rep_id=prospect.assigned_rep_id)
