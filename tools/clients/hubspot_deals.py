"""Reading HubSpot's deals for a sync: those changed in a time range through the search API,
each with its associated contacts, read for a whole page in one batch request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from tools.clients.hubspot_models import CrmDeal
from tools.clients.hubspot_sync import Json, changed, modified

DEAL_PROPERTIES = [
    *("dealname", "dealstage", "pipeline", "amount", "closedate", "hubspot_owner_id"),
    *("hs_lastmodifieddate", "hs_is_closed", "hs_is_closed_won"),
    *("hs_v2_date_entered_current_stage", "hs_merged_object_ids"),
]


async def changed_deals(
    json: Json, *, since: datetime | None, until: datetime
) -> AsyncIterator[list[CrmDeal]]:
    """Pages of deals last modified in [since, until), oldest first, with their contacts."""
    pages = changed(json, "deals", since=since, until=until, filters=[], properties=DEAL_PROPERTIES)
    async for page in pages:
        contacts = await _contacts_of(json, [str(o["id"]) for o in page])
        yield [_deal(o, contacts.get(str(o["id"]), [])) for o in page]


async def _contacts_of(json: Json, deal_ids: list[str]) -> dict[str, list[str]]:
    body = {"inputs": [{"id": i} for i in deal_ids]}
    data = await json("POST", "/crm/v4/associations/deals/contacts/batch/read", json=body)
    return {
        str(r["from"]["id"]): [str(t["toObjectId"]) for t in r.get("to", [])]
        for r in data.get("results", [])
    }


def _amount(value: str | None) -> Decimal | None:
    try:
        return Decimal(value) if value else None
    except InvalidOperation:
        return None


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        if value.isdigit():
            return datetime.fromtimestamp(int(value) / 1000, UTC)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _day(value: str | None) -> date | None:
    at = _when(value)
    return at.date() if at else None


def _deal(obj: Any, contact_ids: list[str]) -> CrmDeal:
    props = obj["properties"]
    stage = props.get("dealstage") or ""
    closed = props.get("hs_is_closed") == "true" or stage in ("closedwon", "closedlost")
    won = props.get("hs_is_closed_won") == "true" or stage == "closedwon"
    return CrmDeal(
        id=str(obj["id"]),
        name=(props.get("dealname") or f"HubSpot deal {obj['id']}")[:255],
        pipeline=props.get("pipeline") or None,
        stage=stage or "new",
        amount=_amount(props.get("amount")),
        close_date=_day(props.get("closedate")),
        owner_id=props.get("hubspot_owner_id") or None,
        won=won if closed else None,
        entered_stage_at=_when(props.get("hs_v2_date_entered_current_stage")),
        updated_at=modified(obj),
        contact_ids=tuple(contact_ids),
        merged_ids=tuple(i for i in (props.get("hs_merged_object_ids") or "").split(";") if i),
    )
