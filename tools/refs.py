"""Turning what the model wrote ("Иван", "@ivan", an email, an id) into one row, or a retry
that lists the candidates so the model can ask or choose."""

from __future__ import annotations

from uuid import UUID

from pydantic_ai import ModelRetry

from db.models import Prospect, Rep
from db.prospects import find_prospects
from db.reps import find_reps
from tools.deps import Deps


async def one_rep(deps: Deps, ref: str) -> Rep:
    found = await find_reps(deps.db, ref=ref)
    if len(found) == 1:
        return found[0]
    if not found:
        raise ModelRetry(
            f"No rep matches {ref!r}. Use list_reps(status='all') to see the team, "
            "or ask the user who they mean."
        )
    listed = "; ".join(f"{r.name} ({_handle(r)}, {r.email}, {r.status}, id {r.id})" for r in found)
    raise ModelRetry(
        f"{ref!r} matches several reps: {listed}. Ask the user which one, or pass an id."
    )


async def one_prospect(deps: Deps, ref: str, *, rep_id: UUID | None = None) -> Prospect:
    found = await find_prospects(deps.db, ref=ref, rep_id=rep_id)
    if len(found) == 1:
        return found[0]
    if not found:
        scope = "among this rep's prospects" if rep_id else ""
        raise ModelRetry(f"No prospect matches {ref!r} {scope}. Ask the user who they mean.")
    listed = "; ".join(f"{p.name} ({p.telegram_id or p.email or '-'}, id {p.id})" for p in found)
    raise ModelRetry(f"{ref!r} matches several prospects: {listed}. Ask which one, or pass an id.")


def _handle(rep: Rep) -> str:
    return f"@{rep.telegram_username}" if rep.telegram_username else f"tg {rep.telegram_id}"
