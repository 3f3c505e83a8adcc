"""The admins' view of the team: prospects across reps, stale deals, one rep's numbers, the
team report. Lists come a page at a time, each within one Telegram message."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field
from pydantic_ai import FunctionToolset, ModelRetry, RunContext

from db import practices, team
from db.models import Prospect
from tools import charts, texts
from tools.access import tool_for
from tools.actor import Role
from tools.deps import Deps
from tools.names import NAME_SHOWN, one_line
from tools.refs import one_rep
from tools.times import zone_of

overview = FunctionToolset[Deps]()

PAGE = 15
"""Rows a list shows at once: with their fields, well within one Telegram message."""
PERIODS = {"day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=30)}
Status = Literal["unreached", "contacted", "in_conversation", "converted", "archived"]


class ProspectRow(BaseModel):
    id: str
    name: str
    status: str
    rep: str | None = Field(description="who has them; null if nobody")


class ProspectPage(BaseModel):
    prospects: list[ProspectRow]
    total: int = Field(description="how many match in all")
    more: int = Field(description="how many are not shown; if any, offer to show more (page+1)")


def _row(p: Prospect, rep: str | None) -> ProspectRow:
    return ProspectRow(id=p.id, name=p.name, status=p.status, rep=rep)


@tool_for(overview, Role.ADMIN)
async def list_prospects(
    ctx: RunContext[Deps],
    status: Status | None = None,
    rep: str | None = None,
    unassigned: bool = False,
    page: int = 1,
) -> ProspectPage:
    """Prospects of the whole team, newest change first, a page at a time.

    Args:
        status: omit for all
        rep: only this rep's (id, @username, email or name)
        unassigned: only those without a rep
        page: 1 first; the next for "show more"
    """
    deps = ctx.deps
    whose = await one_rep(deps, rep) if rep else None
    start = (max(page, 1) - 1) * PAGE
    found = await team.prospects(
        deps.db,
        status=status,
        rep_id=whose.id if whose else None,
        unassigned=unassigned,
        limit=PAGE,
        offset=start,
    )
    rows = [_row(p, r) for p, r in found.prospects]
    return ProspectPage(prospects=rows, total=found.total, more=max(found.total - start - PAGE, 0))


@tool_for(overview, Role.ADMIN)
async def stale_deals(
    ctx: RunContext[Deps], days: int | None = None, rep: str | None = None
) -> dict[str, Any]:
    """Open deals with no activity for a while, longest silent first.

    Args:
        days: silent at least this long; omit for the usual
        rep: only this rep's
    """
    deps = ctx.deps
    if days is not None and days < 1:
        raise ModelRetry("days must be 1 or more")
    after = timedelta(days=days) if days else deps.rules.stale_after
    whose = await one_rep(deps, rep) if rep else None
    found, total = await team.stale(
        deps.db, now=deps.now(), stale=after, rep_id=whose.id if whose else None, limit=PAGE
    )
    return {"silent_days_at_least": after.days, "deals": found, "total": total}


@tool_for(overview, Role.ADMIN)
async def rep_report(ctx: RunContext[Deps], rep: str) -> dict[str, Any]:
    """How one rep is doing this week ("как дела у Анны?"): their numbers, stale deals and
    meetings to come.

    Args:
        rep: the rep's id, @username, email or name
    """
    deps = ctx.deps
    target = await one_rep(deps, rep)
    now = deps.now()
    since = now - PERIODS["week"]
    (numbers,) = await team.per_rep(
        deps.db, now=now, since=since, stale=deps.rules.stale_after, rep_id=target.id
    )
    practised = await practices.counts(deps.db, since=since, rep_id=target.id)
    stale, _ = await team.stale(
        deps.db, now=now, stale=deps.rules.stale_after, rep_id=target.id, limit=5
    )
    meetings = await team.upcoming_meetings(deps.db, rep_id=target.id, now=now)
    zone = zone_of(deps)
    return {
        "numbers_this_week": _shown(numbers, zone)
        | {"practice_calls": practised.get(target.id, 0)},
        "stale_deals": stale,
        "meetings_to_come": [
            {
                "when": f"{m['starts_at'].astimezone(zone):%a %d.%m %H:%M}",
                "with": m["prospect_name"],
            }
            for m in meetings
        ],
    }


@tool_for(overview, Role.ADMIN)
async def team_report(
    ctx: RunContext[Deps], period: Literal["day", "week", "month"] = "week"
) -> str:
    """The team at a glance: per rep and in total, with pending applications. The result is
    a finished message: send it exactly as it is.

    Args:
        period: day, week or month
    """
    deps = ctx.deps
    now = deps.now()
    since = now - PERIODS[period]
    rows = await team.per_rep(deps.db, now=now, since=since, stale=deps.rules.stale_after)
    practised = await practices.counts(deps.db, since=since)
    rows = [r | {"practices": practised.get(r["id"], 0)} for r in rows]
    pending = await team.pending_count(deps.db)
    if chart := charts.team_chart(rows, period, deps.actor.language):
        await charts.send_chart(deps, chart)  # before the text: the model's reply comes after
    return render_report(rows, pending, period, deps.actor.language, zone_of(deps))


SUMMED = ("open", "stale", "unreached", "contacts", "meetings_booked", "meetings_held", "converted")


def render_report(
    rows: list[dict[str, Any]], pending: int, period: str, language: str | None, zone: ZoneInfo
) -> str:
    def t(key: str, **values: object) -> str:
        return texts.text(f"team_report.{key}", language, **values)

    lines = [t("title", period=t(f"period_{period}"))]
    for row in rows:
        last = row["last_activity"]
        when = f"{last.astimezone(zone):%d.%m}" if last else t("never")
        line = t("rep", **_counts(row), name=one_line(row["name"], NAME_SHOWN), last=when)
        lines.append(line + _practices(row.get("practices", 0), language))
    if not rows:
        lines.append(t("nobody"))
    totals = {k: sum(int(r[k]) for r in rows) for k in SUMMED}
    practised = sum(int(r.get("practices", 0)) for r in rows)
    lines += [t("totals", **_counts(totals)) + _practices(practised, language)]
    lines.append(t("pending", count=pending))
    return "\n".join(lines)


def _practices(count: int, language: str | None) -> str:
    return texts.text("practice.report", language, count=count)


def _counts(row: dict[str, Any]) -> dict[str, int]:
    return {k: int(row[k]) for k in SUMMED}


def _shown(row: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    last: datetime | None = row["last_activity"]
    return {
        **{k: v for k, v in row.items() if k not in ("id", "last_activity")},
        "last_activity": f"{last.astimezone(zone):%Y-%m-%d %H:%M}" if last else None,
    }
