"""Reading HubSpot for a sync: owners page by page, and contacts changed in a time range through
the search API, whose 10,000-results ceiling per query is met by halving the time range."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from tools.clients.errors import Unavailable
from tools.clients.hubspot_models import CrmContact, Owner

SEARCH_CEILING = 10_000
SEARCH_PAGE = 200
OWNERS_PAGE = 500
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CONTACT_PROPERTIES = [
    *("email", "firstname", "lastname", "phone", "mobilephone"),
    *("hubspot_owner_id", "lifecyclestage", "hs_lastmodifieddate", "hs_merged_object_ids"),
]
LIST_PAGE = 100

Json = Callable[..., Awaitable[Any]]


async def owners(json: Json) -> list[Owner]:
    found: list[Owner] = []
    after: str | None = None
    while True:
        params: dict[str, Any] = {"limit": OWNERS_PAGE, "archived": "false"}
        data = await json(
            "GET", "/crm/v3/owners", params=params | ({"after": after} if after else {})
        )
        for o in data.get("results", []):
            name = " ".join(filter(None, (o.get("firstName"), o.get("lastName"))))
            found.append(Owner(str(o["id"]), o.get("email") or "", name or o.get("email") or ""))
        after = ((data.get("paging") or {}).get("next") or {}).get("after")
        if not after:
            return found


async def archived(json: Json, kind: str) -> list[str]:
    """The ids of every archived record of a kind (HubSpot lists them with no time filter)."""
    found: list[str] = []
    after: str | None = None
    while True:
        params: dict[str, Any] = {
            "limit": LIST_PAGE,
            "archived": "true",
            "properties": "hs_object_id",
        }
        data = await json(
            "GET", f"/crm/v3/objects/{kind}", params=params | ({"after": after} if after else {})
        )
        found.extend(str(o["id"]) for o in data.get("results", []))
        after = ((data.get("paging") or {}).get("next") or {}).get("after")
        if not after:
            return found


async def changed_contacts(
    json: Json,
    *,
    since: datetime | None,
    until: datetime,
    stages: Sequence[str],
    telegram_property: str | None = None,
) -> AsyncIterator[list[CrmContact]]:
    """Pages of contacts in `stages` last modified in [since, until), oldest first."""
    extra = (telegram_property,) if telegram_property else ()
    only: list[dict[str, Any]] = []
    if stages:
        only.append({"propertyName": "lifecyclestage", "operator": "IN", "values": list(stages)})
    pages = changed(
        json, "contacts", since=since, until=until, filters=only,
        properties=[*CONTACT_PROPERTIES, *extra],
    )  # fmt: skip
    async for page in pages:
        yield [_contact(o, telegram_property) for o in page]


async def changed(
    json: Json,
    kind: str,
    *,
    since: datetime | None,
    until: datetime,
    filters: list[dict[str, Any]],
    properties: list[str],
) -> AsyncIterator[list[Any]]:
    """Pages of objects last modified in [since, until), oldest first. A range with more
    results than one query may page through is split in two, earlier half first."""
    ranges = [(since or EPOCH, until)]
    while ranges:
        low, high = ranges.pop(0)
        after = "0"
        while True:
            body = _search(low, high, filters, after, properties)
            data = await json("POST", f"/crm/v3/objects/{kind}/search", json=body)
            over = after == "0" and data.get("total", 0) > SEARCH_CEILING
            if over and high - low > timedelta(milliseconds=1):
                middle = low + (high - low) / 2
                ranges[:0] = [(low, middle), (middle, high)]
                break
            if results := data.get("results", []):
                yield results
            after = str(((data.get("paging") or {}).get("next") or {}).get("after") or "")
            if not after or int(after) >= SEARCH_CEILING:
                break


def _ms(at: datetime) -> str:
    return str(int(at.timestamp() * 1000))


def _search(
    low: datetime, high: datetime, only: list[dict[str, Any]], after: str, properties: list[str]
) -> dict[str, Any]:
    filters: list[dict[str, Any]] = [
        {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": _ms(low)},
        {"propertyName": "hs_lastmodifieddate", "operator": "LT", "value": _ms(high)},
        *only,
    ]
    return {
        "filterGroups": [{"filters": filters}],
        "properties": properties,
        "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
        "limit": SEARCH_PAGE,
        "after": after,
    }


def modified(obj: Any) -> datetime:
    value = obj["properties"].get("hs_lastmodifieddate") or obj.get("updatedAt") or ""
    try:
        if value.isdigit():
            return datetime.fromtimestamp(int(value) / 1000, UTC)
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise Unavailable(
            "HubSpot", f"record {obj.get('id')} came without its last change"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _handle(value: str | None) -> str | None:
    """A Telegram handle as prospects keep it, @name, from a name or a t.me link."""
    text = (value or "").strip().removeprefix("https://").removeprefix("t.me/").lstrip("@")
    return f"@{text}" if text else None


def _contact(obj: Any, telegram_property: str | None) -> CrmContact:
    props = obj["properties"]
    email = (props.get("email") or "").strip().lower() or None
    name = " ".join(filter(None, (props.get("firstname"), props.get("lastname")))).strip()
    return CrmContact(
        id=str(obj["id"]),
        name=name or email or f"HubSpot {obj['id']}",
        email=email,
        phone=(props.get("phone") or props.get("mobilephone") or "").strip() or None,
        telegram=_handle(props.get(telegram_property)) if telegram_property else None,
        owner_id=props.get("hubspot_owner_id") or None,
        stage=props.get("lifecyclestage") or None,
        updated_at=modified(obj),
        merged_ids=tuple(i for i in (props.get("hs_merged_object_ids") or "").split(";") if i),
    )
