"""Deal signals: facts about a deal computed in code, never by the model. From HubSpot when it
is connected and knows the prospect, from our own records otherwise; meetings always from ours
(the meetings in HubSpot are the ones we logged there). Day counts are whole days to the
injected clock's now."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from db import deals
from db.deals import Activity, DealRecord
from db.models import Prospect
from tools.clients.errors import IntegrationError
from tools.clients.hubspot_models import Deal, Engagement
from tools.deps import Deps
from tools.services import Step, perform

CLOSED_STAGES = frozenset({"closedwon", "closedlost"})
MIRRORED_IN_HUBSPOT = frozenset({"hubspot_note", "meeting"})
"""Touches of ours that HubSpot also holds (we log them there), so they are not counted twice."""
ENGAGEMENTS_READ = 100


@dataclasses.dataclass(frozen=True, slots=True)
class DealSignals:
    stage: str
    amount: Decimal | None
    currency: str | None
    days_in_pipeline: int
    days_in_stage: int | None
    days_since_last_activity: int | None
    touches: int
    meetings_held: int
    meetings_upcoming: int
    next_step: str | None
    next_step_due: datetime | None
    next_step_overdue: bool
    source: Literal["hubspot", "records"]
    deal_name: str | None = None
    hubspot_error: str | None = None
    """Why HubSpot could not be read, when these signals fell back to our records."""


SIGNALS = tuple(
    f.name
    for f in dataclasses.fields(DealSignals)
    if f.name not in ("currency", "source", "deal_name", "hubspot_error")
)
"""The signals an analysis may cite."""


@dataclasses.dataclass(frozen=True, slots=True)
class Pipeline:
    """Where the deal stands, from whichever source knows."""

    stage: str
    started_at: datetime
    stage_since: datetime | None
    deal_name: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    next_step: str | None = None
    next_step_due: datetime | None = None


async def deal_signals(deps: Deps, prospect: Prospect) -> DealSignals:
    now = deps.now()
    local = await deals.open_deal(deps.db, prospect_id=prospect.id)
    activity = await deals.activity_of(deps.db, prospect_id=prospect.id, now=now)
    contact_id = prospect.hubspot_contact_id
    if deps.services.hubspot.sandbox or contact_id is None:
        return from_records(now, prospect, local, activity)
    try:
        found, engagements = await _read_hubspot(deps, prospect, contact_id)
    except IntegrationError as e:
        signals = from_records(now, prospect, local, activity)
        return dataclasses.replace(signals, hubspot_error=e.message)
    return from_hubspot(now, prospect, local, activity, found, engagements)


def from_records(
    now: datetime, prospect: Prospect, local: DealRecord | None, activity: Activity
) -> DealSignals:
    pipeline = recorded_pipeline(prospect, local)
    last = latest(activity.last_touch_at, activity.last_meeting_at)
    return signals_of(now, pipeline, activity, sum(activity.touches.values()), last, "records")


def from_hubspot(
    now: datetime,
    prospect: Prospect,
    local: DealRecord | None,
    activity: Activity,
    found: list[Deal],
    engagements: list[Engagement],
) -> DealSignals:
    """HubSpot's open deal (our record of it adds the next step and the stage's start) and its
    past engagements, with our touches that never reach HubSpot and our meetings."""
    deal = open_hubspot_deal(found)
    linked = local if local and deal and local.hubspot_deal_id == deal.id else None
    if deal is None:
        pipeline = recorded_pipeline(prospect, local)
    else:
        pipeline = hubspot_pipeline(deal, linked)
    past = [e.at for e in engagements if e.at <= now]
    ours = {k: n for k, n in activity.touches.items() if k not in MIRRORED_IN_HUBSPOT}
    last = latest(max(past, default=None), activity.last_touch_at, activity.last_meeting_at)
    return signals_of(now, pipeline, activity, len(past) + sum(ours.values()), last, "hubspot")


def recorded_pipeline(prospect: Prospect, local: DealRecord | None) -> Pipeline:
    if local is None:
        return Pipeline(prospect.status, prospect.created_at, prospect.status_changed_at)
    return Pipeline(
        stage=local.stage,
        started_at=local.created_at,
        stage_since=local.stage_changed_at,
        deal_name=local.name,
        amount=local.amount,
        currency=local.currency,
        next_step=local.next_step,
        next_step_due=local.next_step_due,
    )


def hubspot_pipeline(deal: Deal, linked: DealRecord | None) -> Pipeline:
    """HubSpot gives no time of the last stage change: only our record of the same deal in the
    same stage does."""
    same_stage = linked is not None and linked.stage == deal.stage
    return Pipeline(
        stage=deal.stage,
        started_at=deal.created_at,
        stage_since=linked.stage_changed_at if linked and same_stage else None,
        deal_name=deal.name,
        amount=deal.amount,
        currency=linked.currency if linked else None,
        next_step=linked.next_step if linked else None,
        next_step_due=linked.next_step_due if linked else None,
    )


def open_hubspot_deal(found: list[Deal]) -> Deal | None:
    """The most recently updated open deal."""
    open_deals = [d for d in found if d.stage not in CLOSED_STAGES]
    return max(open_deals, key=lambda d: d.updated_at, default=None)


def signals_of(
    now: datetime,
    pipeline: Pipeline,
    activity: Activity,
    touches: int,
    last_activity: datetime | None,
    source: Literal["hubspot", "records"],
) -> DealSignals:
    due = pipeline.next_step_due
    return DealSignals(
        stage=pipeline.stage,
        amount=pipeline.amount,
        currency=pipeline.currency,
        days_in_pipeline=days(pipeline.started_at, now),
        days_in_stage=days(pipeline.stage_since, now) if pipeline.stage_since else None,
        days_since_last_activity=days(last_activity, now) if last_activity else None,
        touches=touches,
        meetings_held=activity.meetings_held,
        meetings_upcoming=activity.meetings_upcoming,
        next_step=pipeline.next_step,
        next_step_due=due,
        next_step_overdue=due is not None and due < now,
        source=source,
        deal_name=pipeline.deal_name,
    )


def days(since: datetime, now: datetime) -> int:
    """Whole days passed, never negative."""
    return max((now - since) // timedelta(days=1), 0)


def latest(*moments: datetime | None) -> datetime | None:
    return max((m for m in moments if m is not None), default=None)


async def _read_hubspot(
    deps: Deps, prospect: Prospect, contact_id: str
) -> tuple[list[Deal], list[Engagement]]:
    """The contact's deals and engagements, the read left on record like any outside call."""
    hubspot = deps.services.hubspot
    rep_id = deps.actor.rep.id if deps.actor.rep else None
    step = Step(
        "hubspot", "deals.read", False, {"contact_id": contact_id}, None, rep_id, prospect.id
    )

    async def read() -> tuple[list[Deal], list[Engagement]]:
        found = await hubspot.deals_of_contact(contact_id)
        return found, await hubspot.engagements_of_contact(contact_id, limit=ENGAGEMENTS_READ)

    def shown(read: tuple[list[Deal], list[Engagement]]) -> dict[str, Any]:
        return {"deals": [d.id for d in read[0]], "engagements": len(read[1])}

    found, engagements = await perform(deps.journal, step, read, tuple, deps.now(), shown=shown)
    return found, engagements
