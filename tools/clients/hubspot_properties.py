"""HubSpot's property values and ours: the names, timestamps and rich text we write, and the
deals and engagements its objects become when read."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from tools.clients.errors import Unavailable
from tools.clients.hubspot_models import Deal, Engagement

SERVICE = "HubSpot"
SUMMARY_MAX = 300


def name_parts(name: str) -> dict[str, str]:
    first, _, last = " ".join(name.split()).partition(" ")
    return {k: v for k, v in (("firstname", first), ("lastname", last)) if v}


def iso(at: datetime) -> str:
    """ISO 8601 in UTC with milliseconds, as HubSpot writes its own timestamps."""
    if at.tzinfo is None:
        raise ValueError("timestamps sent to HubSpot must carry their timezone")
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def rich_text(text: str) -> str:
    """Note and meeting bodies are rich text: keep the line breaks, escape the rest."""
    return html.escape(text, quote=False).replace("\n", "<br>")


def plain(rich: str | None) -> str:
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", rich or "")).split())
    return text if len(text) <= SUMMARY_MAX else text[: SUMMARY_MAX - 1] + "…"


def _time(value: Any) -> datetime | None:
    """A HubSpot date-time property: ISO 8601, or epoch milliseconds in older data."""
    if not isinstance(value, str) or not value:
        return None
    try:
        if value.isdigit():
            return datetime.fromtimestamp(int(value) / 1000, UTC)
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _decimal(value: Any) -> Decimal | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return Decimal(value.strip())
    except InvalidOperation:
        return None


def _stamp(obj: Any, prop: str, fallback: str) -> datetime:
    found = _time(obj["properties"].get(prop)) or _time(obj.get(fallback))
    if found is None:
        raise Unavailable(SERVICE, f"object {obj.get('id')} came without {prop} or {fallback}")
    return found


def deal(obj: Any) -> Deal:
    props = obj["properties"]
    return Deal(
        id=str(obj["id"]),
        name=props.get("dealname") or "",
        stage=props.get("dealstage") or "",
        amount=_decimal(props.get("amount")),
        close_date=_time(props.get("closedate")),
        created_at=_stamp(obj, "createdate", "createdAt"),
        updated_at=_stamp(obj, "hs_lastmodifieddate", "updatedAt"),
    )


def engagement(obj: Any, kind: str, summary: str) -> Engagement:
    return Engagement(str(obj["id"]), kind, _stamp(obj, "hs_timestamp", "createdAt"), summary)
