"""HubSpot: the prospect's contact (found by email or created), and notes logged on it."""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic_ai import FunctionToolset, RunContext

from db import meetings, prospects
from db.models import Prospect, Rep
from tools import texts
from tools.access import NotDone, confirm, tool_for
from tools.actor import Role
from tools.clients.errors import IntegrationError
from tools.clients.hubspot_models import Contact
from tools.deps import Deps
from tools.names import NAME_SHOWN, one_line
from tools.refs import one_prospect
from tools.services import Step, perform

crm_tools = FunctionToolset[Deps]()

SANDBOX_NOTE = "Sandbox mode: recorded here only, nothing was written to a real HubSpot. Say so."


@tool_for(crm_tools, Role.ACTIVE)
async def log_hubspot(
    ctx: RunContext[Deps],
    prospect: str,
    summary: str,
    outcome: str | None = None,
    next_step: str | None = None,
) -> dict[str, Any]:
    """Note a conversation or meeting on the prospect's HubSpot contact (created if missing),
    after the user confirms.

    Args:
        summary: what happened, in the rep's words, complete
        outcome: in a few words, if said
        next_step: what and when, if said
    """
    deps = ctx.deps
    rep = deps.actor.active_rep()
    target = await one_prospect(deps, prospect, rep_id=rep.id)
    body = note_body(summary, outcome, next_step, rep.language)
    confirm(ctx, "note", name=one_line(target.name, NAME_SHOWN), body=body)
    try:
        contact = await contact_of(deps, rep, target)
        note_id = await _add_note(deps, rep, target, contact, body)
    except IntegrationError as e:
        raise NotDone(f"HubSpot did not take the note ({e.message}); nothing was logged") from None
    ids = {"note_id": note_id, "contact_id": contact.id}
    debriefed = await _record(deps, rep, target, body, outcome, ids)
    result = {"logged": True, "prospect": target.name, **ids, **debriefed}
    return result | ({"note": SANDBOX_NOTE} if deps.services.hubspot.sandbox else {})


async def _record(
    deps: Deps, rep: Rep, prospect: Prospect, body: str, outcome: str | None, data: dict[str, str]
) -> dict[str, bool]:
    """Our own trace of the note; a meeting with the prospect that is over is now held."""
    now = deps.now()
    await prospects.log_activity(
        deps.db,
        prospect_id=prospect.id,
        rep_id=rep.id,
        kind="hubspot_note",
        body=body,
        data=data,
        now=now,
    )
    held = await meetings.record_debrief(
        deps.db, prospect_id=prospect.id, rep_id=rep.id, debrief=body, outcome=outcome, now=now
    )
    return {"meeting_marked_held": True} if held else {}


async def contact_of(deps: Deps, rep: Rep, prospect: Prospect) -> Contact:
    """The prospect's HubSpot contact, remembered on the prospect's row once found."""
    if prospect.hubspot_contact_id:
        return Contact(prospect.hubspot_contact_id, prospect.email, created=False)
    hubspot = deps.services.hubspot
    step = Step(
        "hubspot",
        "contacts.find_or_create",
        hubspot.sandbox,
        {"email": prospect.email, "name": prospect.name},
        key=f"hubspot-contact:{prospect.id}",
        rep_id=rep.id,
        prospect_id=prospect.id,
    )

    async def find() -> Contact:
        return await hubspot.find_or_create_contact(email=prospect.email, name=prospect.name)

    contact = await perform(deps.journal, step, find, Contact, deps.now())
    await prospects.set_hubspot_contact(
        deps.db, prospect_id=prospect.id, contact_id=contact.id, now=deps.now()
    )
    return contact


def note_body(summary: str, outcome: str | None, next_step: str | None, language: str) -> str:
    lines = [summary.strip()]
    if outcome:
        lines.append(texts.text("note.outcome", language, outcome=outcome.strip()))
    if next_step:
        lines.append(texts.text("note.next_step", language, step=next_step.strip()))
    return "\n".join(lines)


async def _add_note(deps: Deps, rep: Rep, prospect: Prospect, contact: Contact, body: str) -> str:
    hubspot = deps.services.hubspot
    digest = hashlib.sha256(body.encode()).hexdigest()[:16]
    step = Step(
        "hubspot",
        "notes.create",
        hubspot.sandbox,
        {"contact_id": contact.id, "body": body},
        key=f"hubspot-note:{prospect.id}:{deps.now():%Y%m%d}:{digest}",
        rep_id=rep.id,
        prospect_id=prospect.id,
    )

    async def add() -> str:
        return await hubspot.add_note(
            contact_id=contact.id, body=body, at=deps.now(), owner_id=rep.hubspot_owner_id
        )

    return await perform(deps.journal, step, add, str, deps.now())
