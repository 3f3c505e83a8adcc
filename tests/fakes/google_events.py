"""`events.list` of the fake Google Calendar, as Google documents it: a window (`timeMin`,
`timeMax`), recurring events expanded into instances (`singleEvents`; an RRULE of FREQ DAILY or
WEEKLY with COUNT or UNTIL, and INTERVAL), deleted events (`showDeleted`), pages (`maxResults`,
`pageToken`), and sync tokens: `nextSyncToken` on the last page, and a `syncToken` answering
only what changed since, deleted events as "cancelled". `EventFeed.expire_sync_tokens` plays
Google forgetting them: the next use is `410 Gone` (reason fullSyncRequired)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

MAX_PAGE = 2500
DEFAULT_PAGE = 250
MAX_INSTANCES = 730
# Google's rule: these cannot be given with a sync token (the token remembers the query).
NOT_WITH_SYNC_TOKEN = (
    "iCalUID",
    "orderBy",
    "privateExtendedProperty",
    "q",
    "sharedExtendedProperty",
    "timeMin",
    "timeMax",
    "updatedMin",
)
FULL_SYNC_REQUIRED = "Sync token is no longer valid, a full sync is required."


class ListError(Exception):
    def __init__(self, status: int, message: str, reason: str) -> None:
        super().__init__(message)
        self.status, self.message, self.reason = status, message, reason


@dataclass
class _SyncToken:
    owner: str
    revision: int
    single_events: bool
    expired: bool = False


@dataclass
class EventFeed:
    """Which revision each event was last changed at, and the tokens and pages handed out."""

    revision: int = 0
    changed: dict[tuple[str, str], int] = field(default_factory=dict)
    tokens: dict[str, _SyncToken] = field(default_factory=dict)
    pages: dict[str, tuple[list[dict[str, Any]], str]] = field(default_factory=dict)

    def touch(self, owner: str, event_id: str) -> None:
        self.revision += 1
        self.changed[(owner, event_id)] = self.revision

    def expire_sync_tokens(self, owner: str | None = None) -> None:
        """Every sync token handed out so far (for `owner`, or all) is answered 410 from now."""
        for token in self.tokens.values():
            if owner is None or token.owner == owner:
                token.expired = True

    def listing(
        self,
        owner: str,
        events: list[dict[str, Any]],
        query: dict[str, str],
        when: Callable[[dict[str, Any]], datetime],
    ) -> tuple[list[dict[str, Any]], dict[str, str]]:
        """The page's items and its `nextPageToken` or `nextSyncToken`; `when` reads an
        EventDateTime."""
        size = min(int(query.get("maxResults", DEFAULT_PAGE)), MAX_PAGE)
        if "pageToken" in query:
            if query["pageToken"] not in self.pages:
                raise ListError(400, "Invalid page token value.", "invalid")
            items, sync_token = self.pages.pop(query["pageToken"])
            return self._page(items, size, sync_token)
        single = query.get("singleEvents") == "true"
        if "syncToken" in query:
            given = [name for name in NOT_WITH_SYNC_TOKEN if name in query]
            if given or query.get("showDeleted") == "false":
                what = ", ".join(given) or "showDeleted=false"
                raise ListError(400, f"{what} cannot be used with a sync token.", "invalid")
            state = self.tokens.get(query["syncToken"])
            if state is None or state.expired or state.owner != owner:
                raise ListError(410, FULL_SYNC_REQUIRED, "fullSyncRequired")
            since = state.revision
            changed = [e for e in events if self.changed.get((owner, e["id"]), 0) > since]
            items = _shown(changed, single, deleted=True, window=(None, None), when=when)
        else:
            start = _bound(query.get("timeMin"))
            end = _bound(query.get("timeMax"))
            if start is not None and end is not None and end <= start:
                raise ListError(400, "The specified time range is empty.", "timeRangeEmpty")
            deleted = query.get("showDeleted") == "true"
            items = _shown(events, single, deleted=deleted, window=(start, end), when=when)
        sync_token = f"sync-{secrets.token_urlsafe(12)}"
        self.tokens[sync_token] = _SyncToken(owner, self.revision, single)
        return self._page(items, size, sync_token)

    def _page(
        self, items: list[dict[str, Any]], size: int, sync_token: str
    ) -> tuple[list[dict[str, Any]], dict[str, str]]:
        if len(items) <= size:
            return items, {"nextSyncToken": sync_token}
        page_token = f"page-{secrets.token_urlsafe(12)}"
        self.pages[page_token] = (items[size:], sync_token)
        return items[:size], {"nextPageToken": page_token}


def _shown(
    events: list[dict[str, Any]],
    single: bool,
    *,
    deleted: bool,
    window: tuple[datetime | None, datetime | None],
    when: Callable[[dict[str, Any]], datetime],
) -> list[dict[str, Any]]:
    start, end = window
    shown: list[dict[str, Any]] = []
    for event in events:
        for item in _instances(event, when) if single and event.get("recurrence") else [event]:
            if item["status"] == "cancelled":
                if deleted:
                    shown.append(_tombstone(item))
                continue
            if start is not None and when(item["end"]) <= start:
                continue
            if end is not None and when(item["start"]) >= end:
                continue
            shown.append(item)
    return sorted(shown, key=lambda e: (when(e["start"]) if "start" in e else _EPOCH, e["id"]))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _tombstone(event: dict[str, Any]) -> dict[str, Any]:
    """What Google still says of a deleted event."""
    kept = ("kind", "etag", "id", "status", "recurringEventId", "originalStartTime", "updated")
    return {k: event[k] for k in kept if k in event}


def _instances(
    event: dict[str, Any], when: Callable[[dict[str, Any]], datetime]
) -> list[dict[str, Any]]:
    """The instances of a recurring event: the master's fields, shifted in its time zone."""
    rule = next((r for r in event["recurrence"] if r.startswith("RRULE:")), None)
    if rule is None:
        return [event]
    parts = dict(p.split("=", 1) for p in rule[len("RRULE:") :].split(";"))
    step = {"DAILY": timedelta(days=1), "WEEKLY": timedelta(weeks=1)}[parts["FREQ"]]
    step *= int(parts.get("INTERVAL", "1"))
    count = int(parts.get("COUNT", MAX_INSTANCES))
    until = _until(parts.get("UNTIL"))
    zone = ZoneInfo(event["start"].get("timeZone", "UTC"))
    first, last = when(event["start"]).astimezone(zone), when(event["end"]).astimezone(zone)
    length = last - first
    local = first.replace(tzinfo=None)
    instances = []
    for n in range(min(count, MAX_INSTANCES)):
        start = (local + n * step).replace(tzinfo=zone)
        if until is not None and start > until:
            break
        original = {"dateTime": _iso(start)} | _zone_of(event["start"])
        instance = {k: v for k, v in event.items() if k != "recurrence"} | {
            "id": f"{event['id']}_{start.astimezone(UTC):%Y%m%dT%H%M%SZ}",
            "recurringEventId": event["id"],
            "originalStartTime": original,
            "start": original,
            "end": {"dateTime": _iso((start + length).astimezone(zone))} | _zone_of(event["end"]),
        }
        instances.append(instance)
    return instances


def _zone_of(when: dict[str, Any]) -> dict[str, str]:
    return {"timeZone": when["timeZone"]} if "timeZone" in when else {}


def _until(text: str | None) -> datetime | None:
    if text is None:
        return None
    found = re.fullmatch(r"(\d{8})(T(\d{6})Z?)?", text)
    if found is None:
        return None
    stamp = found.group(1) + (found.group(3) or "235959")
    return datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def _bound(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat()
