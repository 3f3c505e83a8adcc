"""The hot lead alert: the admins hear at once, in a line, when a rep books a meeting with a
client, a client is converted, or a synced deal moves into a stage the settings call hot.
Once per client (or deal) and what happened, however often it is done again or retried (the
outbox's dedupe key); held for each admin's quiet hours; never to the one who did it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from db import hot_leads, outbox
from db.models import Meeting, Prospect
from db.queries import Executor
from tools import texts
from tools.deps import Deps, Rules
from tools.names import NAME_SHOWN, TEXT_SHOWN, one_line
from tools.times import zone_name

Written = Callable[[hot_leads.Admin], str]
"""The alert as one admin reads it: in their language, their time."""


async def meeting_booked(deps: Deps, prospect: Prospect, meeting: Meeting) -> int:
    """After a rep booked the first meeting with `prospect`; the admins alerted."""

    def written(admin: hot_leads.Admin) -> str:
        zone = ZoneInfo(admin.timezone)
        when = f"{meeting.starts_at.astimezone(zone):%d.%m %H:%M}"
        return texts.text(
            "hot_lead.meeting",
            admin.language,
            who=_who(deps),
            when=f"{when} ({zone_name(zone, admin.language)})",
            **_client(prospect, admin.language),
        )

    return await _alert_for(deps, f"{prospect.id}:meeting", written)


async def prospect_converted(deps: Deps, prospect: Prospect) -> int:
    """After `prospect` became converted; the admins alerted."""

    def written(admin: hot_leads.Admin) -> str:
        return texts.text(
            "hot_lead.converted",
            admin.language,
            who=_who(deps),
            **_client(prospect, admin.language),
        )

    return await _alert_for(deps, f"{prospect.id}:converted", written)


async def deal_stage_changed(
    db: Executor,
    rules: Rules,
    *,
    deal_id: str,
    stage: str,
    previous: str | None,
    now: datetime,
) -> int:
    """After the CRM sync wrote HubSpot deal `deal_id`, which was in stage `previous` (None:
    first seen, as on the first sync, which is no news) and is now in `stage`. The admins are
    alerted when that is a move into a hot stage; the deal's own rep knows it already."""
    if stage not in rules.hot_stages or previous is None or previous == stage:
        return 0
    deal = await hot_leads.deal(db, deal_id=deal_id)
    if deal is None:
        return 0

    def written(admin: hot_leads.Admin) -> str:
        amount = f"{deal.amount:,.0f} {deal.currency}" if deal.amount is not None else ""
        return texts.text(
            "hot_lead.deal",
            admin.language,
            deal=one_line(deal.name, NAME_SHOWN),
            prospect=one_line(deal.prospect or "—", NAME_SHOWN),
            stage=one_line(stage, NAME_SHOWN),
            amount=texts.text("hot_lead.amount", admin.language, amount=amount) if amount else "",
            rep=one_line(deal.rep or "—", NAME_SHOWN),
        )

    key = f"deal:{deal_id}:{stage}"
    return await _alert(db, rules, key, written, now=now, skip=deal.rep_chat_id, turn_id=None)


async def _alert(
    db: Executor,
    rules: Rules,
    key: str,
    written: Written,
    *,
    now: datetime,
    skip: int | None,
    turn_id: int | None,
) -> int:
    """How many admins were newly alerted."""
    alerted = 0
    for admin in await hot_leads.admins(db, admin_ids=rules.admin_ids, quiet=rules.quiet, now=now):
        if admin.chat_id == skip:
            continue
        queued = await outbox.enqueue(
            db,
            chat_id=admin.chat_id,
            text=written(admin),
            turn_id=turn_id,
            dedupe_key=f"hot:{key}:{admin.chat_id}",
            held_until=admin.after_quiet if admin.after_quiet > now else None,
            now=now,
        )
        alerted += queued is not None
    return alerted


async def _alert_for(deps: Deps, key: str, written: Written) -> int:
    """An alert of what the actor did: they are not told of it themselves."""
    return await _alert(
        deps.db,
        deps.rules,
        key,
        written,
        now=deps.now(),
        skip=deps.actor.telegram_id,
        turn_id=deps.turn_id,
    )


def _who(deps: Deps) -> str:
    actor = deps.actor
    if actor.rep is not None:
        return one_line(actor.rep.name, NAME_SHOWN)
    return f"@{actor.username}" if actor.username else f"id {actor.telegram_id}"


def _client(prospect: Prospect, language: str | None) -> dict[str, str]:
    """The client as the seed's alert has them: name, how to reach them, what they want."""
    reach = next((r for r in (prospect.telegram_id, prospect.email) if r), None)
    context = one_line(prospect.context, TEXT_SHOWN) if prospect.context else ""
    return {
        "prospect": one_line(prospect.name, NAME_SHOWN),
        "reach": f" ({one_line(reach)})" if reach else "",
        "context": texts.text("hot_lead.context", language, context=context) if context else "",
    }
