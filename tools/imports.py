"""Prospects from a file an admin sent: read and checked, shown as a preview for the admin to
confirm, then added in the turn's one transaction. A row naming its rep goes to that rep, who is
told; the others wait unassigned for the scheduler, as a prospect added by hand does."""

from __future__ import annotations

from collections import defaultdict
from uuid import UUID

from pydantic import BaseModel, Field
from pydantic_ai import ApprovalRequired, FunctionToolset, RunContext

from db import prospects, reps
from db.models import Rep, RepStatus
from tools import notices, texts
from tools.access import NotDone, tool_for
from tools.actor import Role
from tools.clients.errors import IntegrationError
from tools.deps import Deps
from tools.names import NAME_SHOWN, one_line
from tools.prospect_files import (
    Candidate,
    FileRefused,
    Owner,
    Preview,
    check,
    emails_and_handles,
    kind_of,
    read,
)

import_tools = FunctionToolset[Deps]()

SHOWN = 15
"""Invalid rows a preview lists one by one; the rest are counted."""


class Imported(BaseModel):
    added: int = Field(description="prospects added")
    given_to_reps: int = Field(description="of them, given to the rep their row named")
    left_out_known: int = Field(description="rows left out: already known prospects")
    left_out_invalid: int = Field(description="rows left out as invalid")


@tool_for(import_tools, Role.ADMIN)
async def import_prospects(ctx: RunContext[Deps], file_id: str, file_name: str) -> Imported:
    """Add the prospects in a CSV or XLSX file the admin sent. The user is shown what the file
    holds and confirms; call it as soon as such a file arrives.

    Args:
        file_id: the file's id, as the note about the file gives it
        file_name: the file's name, as the note gives it
    """
    deps = ctx.deps
    preview, owners = await _preview(deps, file_id, file_name)
    if not preview.new:
        raise NotDone(f"nothing to add. {_question(deps, preview, file_name)}")
    if not ctx.tool_call_approved:
        raise ApprovalRequired(metadata={"question": _question(deps, preview, file_name)})
    given = await _add(deps, preview.new, owners)
    return Imported(
        added=len(preview.new),
        given_to_reps=given,
        left_out_known=len(preview.known),
        left_out_invalid=len(preview.invalid),
    )


async def _preview(deps: Deps, file_id: str, file_name: str) -> tuple[Preview, dict[UUID, Rep]]:
    """The file as it is now against the team as it is now (again when confirmed)."""
    kind = kind_of(file_name)
    files = deps.services.files
    if kind is None:
        raise NotDone(f"{file_name} is not a CSV or XLSX file; only those can be imported")
    if files is None:
        raise NotDone("files cannot be read here; send the file to the bot in Telegram")
    limits = deps.rules.import_limits
    try:
        content = await files.fetch(file_id, max_bytes=limits.max_bytes)
        sheet = read(content, kind, limits=limits)
    except FileRefused as e:
        raise NotDone(
            texts.text(f"import.refused.{e.key}", deps.actor.language, **e.values)
        ) from None
    except IntegrationError as e:
        raise NotDone(
            f"the file could not be fetched from Telegram ({e.message}); try again"
        ) from None
    emails, handles = emails_and_handles(sheet)
    known_emails, known_handles = await prospects.known_contacts(
        deps.db, emails=emails, handles=handles
    )
    active = await reps.list_reps(deps.db, status=RepStatus.ACTIVE)
    owners = [Owner(r.id, r.name, r.email, r.telegram_username) for r in active]
    preview = check(sheet, known_emails=known_emails, known_handles=known_handles, owners=owners)
    return preview, {r.id: r for r in active}


async def _add(deps: Deps, rows: list[Candidate], owners: dict[UUID, Rep]) -> int:
    now = deps.now()
    given: dict[UUID, list[str]] = defaultdict(list)
    for row in rows:
        added = await prospects.create_prospect(
            deps.db,
            name=row.name,
            now=now,
            telegram_id=row.telegram,
            email=row.email,
            context=row.context,
            notes=row.notes,
        )
        if row.owner is not None:
            await prospects.assign_prospect_to_rep(
                deps.db, prospect_id=added.id, rep_id=row.owner.id, now=now
            )
            given[row.owner.id].append(one_line(row.name, NAME_SHOWN))
    for rep_id, names in given.items():
        rep = owners[rep_id]
        listed = ", ".join(names[:SHOWN]) + (" …" if len(names) > SHOWN else "")
        told = texts.text("import.given", rep.language, count=len(names), names=listed)
        await notices.send(deps, rep.telegram_id, told)
    return sum(map(len, given.values()))


def _question(deps: Deps, preview: Preview, file_name: str) -> str:
    language = deps.actor.language

    def t(key: str, **values: object) -> str:
        return texts.text(f"import.{key}", language, **values)

    lines = [t("question", file=one_line(file_name, NAME_SHOWN), new=len(preview.new))]
    if preview.known:
        names = ", ".join(one_line(c.name, NAME_SHOWN) for c in preview.known[:SHOWN])
        more = " …" if len(preview.known) > SHOWN else ""
        lines.append(t("known", count=len(preview.known), names=names + more))
    if preview.invalid:
        lines.append(t("invalid", count=len(preview.invalid)))
        for problem in preview.invalid[:SHOWN]:
            reason = t(f"reason.{problem.reason}", value=problem.value)
            lines.append(t("row", number=problem.number, reason=reason))
        if len(preview.invalid) > SHOWN:
            lines.append(t("more", count=len(preview.invalid) - SHOWN))
    if preview.ignored:
        lines.append(t("ignored", columns=", ".join(one_line(c, 40) for c in preview.ignored)))
    return "\n".join(lines)
