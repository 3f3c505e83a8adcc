"""HubSpot CRM over its v3 objects and v4 associations APIs, with a private-app (or service key)
Bearer token. Client-side sliding windows keep us within HubSpot's requests per 10 seconds and,
for the search API, its requests per second."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from tools.clients import hubspot_deals, hubspot_sync
from tools.clients.errors import Rejected
from tools.clients.http import SlidingWindow, check, json_of, send
from tools.clients.hubspot_models import Contact, CrmContact, CrmDeal, Deal, Engagement, Owner
from tools.clients.hubspot_properties import (
    SERVICE,
    deal,
    engagement,
    iso,
    name_parts,
    plain,
    rich_text,
)
from tools.clients.retry import DEFAULT_POLICY, RetryPolicy, retrying

NOTE_TO_CONTACT = 202
MEETING_TO_CONTACT = 200
DEAL_PROPERTIES = (
    "dealname",
    "dealstage",
    "amount",
    "closedate",
    "createdate",
    "hs_lastmodifieddate",
)
NOTE_PROPERTIES = ("hs_timestamp", "hs_note_body")
MEETING_PROPERTIES = ("hs_timestamp", "hs_meeting_title", "hs_meeting_body")
BATCH_MAX = 100  # inputs per batch read
PAGE_MAX = 500  # associations per page
# HubSpot gives no Retry-After with its 429s; its windows are a second or ten.
RATE_LIMIT_WAIT = 1.0
SEARCH_PATH = re.compile(r"/crm/v3/objects/[^/]+/search")


class HubSpotClient:
    sandbox = False

    def __init__(
        self,
        *,
        token: str,
        api_url: str = "https://api.hubapi.com",
        http: httpx.AsyncClient,
        clock: Callable[[], datetime],
        policy: RetryPolicy = DEFAULT_POLICY,
        limit: int = 100,
        window_seconds: float = 10.0,
        search_limit: int = 5,
        search_window_seconds: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.api_url, self.http, self.clock, self.policy = api_url.rstrip("/"), http, clock, policy
        self._headers = {"Authorization": f"Bearer {token}"}
        self._window = SlidingWindow(limit, window_seconds, monotonic=monotonic, sleep=sleep)
        self._search_window = SlidingWindow(
            search_limit, search_window_seconds, monotonic=monotonic, sleep=sleep
        )

    async def find_or_create_contact(self, *, email: str | None, name: str) -> Contact:
        if email and (found := await self._search_contact(email)):
            return Contact(found, email, created=False)
        properties = name_parts(name) | ({"email": email} if email else {})
        created = await retrying(
            self.policy, service=SERVICE, call=lambda: self._create_contact(properties)
        )
        if created is not None:
            return Contact(created, email, created=True)
        if not email:
            raise Rejected(SERVICE, "the contact could not be created: HubSpot reports a conflict")
        # Created by someone else since our search. The search index lags behind writes;
        # a read by email does not.
        path = f"/crm/v3/objects/contacts/{quote(email, safe='@')}"
        existing = await self._json("GET", path, params={"idProperty": "email"})
        return Contact(str(existing["id"]), email, created=False)

    async def add_note(
        self, *, contact_id: str, body: str, at: datetime, owner_id: str | None = None
    ) -> str:
        properties = {"hs_timestamp": iso(at), "hs_note_body": rich_text(body)}
        return await self._create("notes", properties, owner_id, contact_id, NOTE_TO_CONTACT)

    async def log_meeting(
        self,
        *,
        contact_id: str,
        title: str,
        body: str,
        start: datetime,
        end: datetime,
        join_url: str | None,
        owner_id: str | None = None,
    ) -> str:
        properties = {
            "hs_timestamp": iso(start),
            "hs_meeting_title": title,
            "hs_meeting_body": rich_text(body),
            "hs_meeting_start_time": iso(start),
            "hs_meeting_end_time": iso(end),
            "hs_meeting_outcome": "SCHEDULED",
        }
        if join_url:
            properties["hs_meeting_external_url"] = join_url
        return await self._create("meetings", properties, owner_id, contact_id, MEETING_TO_CONTACT)

    async def update_meeting(
        self,
        meeting_id: str,
        *,
        outcome: str,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> None:
        """`outcome` is SCHEDULED, RESCHEDULED or CANCELED; a moved meeting gets its new times."""
        properties = {"hs_meeting_outcome": outcome}
        if start and end:
            properties |= {
                "hs_timestamp": iso(start),
                "hs_meeting_start_time": iso(start),
                "hs_meeting_end_time": iso(end),
            }
        path = f"/crm/v3/objects/meetings/{quote(meeting_id)}"
        await self._json("PATCH", path, json={"properties": properties})

    async def set_contact_owner(self, contact_id: str, owner_id: str) -> None:
        path = f"/crm/v3/objects/contacts/{quote(contact_id)}"
        await self._json("PATCH", path, json={"properties": {"hubspot_owner_id": owner_id}})

    async def deals_of_contact(self, contact_id: str) -> list[Deal]:
        ids = await self._associated(contact_id, "deals")
        deals = [deal(o) for o in await self._read("deals", ids, DEAL_PROPERTIES)]
        return sorted(deals, key=lambda d: d.updated_at, reverse=True)

    async def engagements_of_contact(self, contact_id: str, *, limit: int = 20) -> list[Engagement]:
        found: list[Engagement] = []
        note_ids = await self._associated(contact_id, "notes")
        for note in await self._read("notes", note_ids, NOTE_PROPERTIES):
            found.append(engagement(note, "note", plain(note["properties"].get("hs_note_body"))))
        meeting_ids = await self._associated(contact_id, "meetings")
        for meeting in await self._read("meetings", meeting_ids, MEETING_PROPERTIES):
            props = meeting["properties"]
            title, body = props.get("hs_meeting_title") or "", plain(props.get("hs_meeting_body"))
            found.append(engagement(meeting, "meeting", f"{title}: {body}" if body else title))
        found.sort(key=lambda e: e.at, reverse=True)
        return found[:limit]

    async def owners(self) -> list[Owner]:
        """Every active owner, all pages."""
        return await hubspot_sync.owners(self._json)

    async def archived_contacts(self) -> list[str]:
        """The ids of every archived contact."""
        return await hubspot_sync.archived(self._json, "contacts")

    async def archived_deals(self) -> list[str]:
        """The ids of every archived deal."""
        return await hubspot_sync.archived(self._json, "deals")

    def changed_contacts(
        self,
        *,
        since: datetime | None,
        until: datetime,
        stages: Sequence[str],
        telegram_property: str | None = None,
    ) -> AsyncIterator[list[CrmContact]]:
        """Pages of contacts in `stages` changed in [since, until), the oldest change first."""
        return hubspot_sync.changed_contacts(
            self._json, since=since, until=until, stages=stages, telegram_property=telegram_property
        )

    def changed_deals(
        self, *, since: datetime | None, until: datetime
    ) -> AsyncIterator[list[CrmDeal]]:
        """Pages of deals changed in [since, until), the oldest change first, with contacts."""
        return hubspot_deals.changed_deals(self._json, since=since, until=until)

    async def _search_contact(self, email: str) -> str | None:
        search = {
            "filterGroups": [
                {"filters": [{"propertyName": "email", "operator": "EQ", "value": email}]}
            ],
            "properties": ["email", "firstname", "lastname"],
            "sorts": [],
            "limit": 1,
            "after": "0",
        }
        data = await self._json("POST", "/crm/v3/objects/contacts/search", json=search)
        results = data.get("results") or []
        return str(results[0]["id"]) if results else None

    async def _create_contact(self, properties: dict[str, str]) -> str | None:
        """The new contact's id, or None when HubSpot says it exists already (409)."""
        body = {"properties": properties, "associations": []}
        response = await self._request("POST", "/crm/v3/objects/contacts", json=body)
        if response.status_code == 409:
            return None
        return str(json_of(SERVICE, self._check(response))["id"])

    async def _create(
        self,
        kind: str,
        properties: dict[str, str],
        owner_id: str | None,
        contact_id: str,
        association: int,
    ) -> str:
        if owner_id:
            properties["hubspot_owner_id"] = owner_id
        to = {"id": contact_id}
        types = [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": association}]
        body = {"properties": properties, "associations": [{"to": to, "types": types}]}
        return str((await self._json("POST", f"/crm/v3/objects/{kind}", json=body))["id"])

    async def _associated(self, contact_id: str, kind: str) -> list[str]:
        """Ids of the `kind` objects associated to the contact, every page."""
        path = f"/crm/v4/objects/contacts/{quote(contact_id)}/associations/{kind}"
        ids: list[str] = []
        after: str | None = None
        while True:
            params: dict[str, Any] = {"limit": PAGE_MAX} | ({"after": after} if after else {})
            data = await self._json("GET", path, params=params)
            ids += [str(r["toObjectId"]) for r in data.get("results", [])]
            after = ((data.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return list(dict.fromkeys(ids))

    async def _read(self, kind: str, ids: list[str], properties: Iterable[str]) -> list[Any]:
        """The objects with these ids (those that exist), `BATCH_MAX` at a time."""
        found: list[Any] = []
        for start in range(0, len(ids), BATCH_MAX):
            inputs = [{"id": i} for i in ids[start : start + BATCH_MAX]]
            body = {"inputs": inputs, "properties": list(properties), "propertiesWithHistory": []}
            # 207 (some ids gone) is a success too: the rest are in `results`.
            data = await self._json("POST", f"/crm/v3/objects/{kind}/batch/read", json=body)
            found += data.get("results", [])
        return found

    async def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        """The JSON answer of one request, under the retry policy."""

        async def attempt() -> Any:
            return json_of(SERVICE, self._check(await self._request(method, path, **kwargs)))

        return await retrying(self.policy, service=SERVICE, call=attempt)

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        url = self.api_url + path
        request = self.http.build_request(method, url, headers=self._headers, **kwargs)
        # A search waits for its own limit first, not holding a slot of the general one meanwhile.
        async with contextlib.AsyncExitStack() as slots:
            if SEARCH_PATH.fullmatch(path):
                await slots.enter_async_context(self._search_window.slot())
            await slots.enter_async_context(self._window.slot())
            return await send(SERVICE, self.http, request)

    def _check(self, response: httpx.Response) -> httpx.Response:
        return check(SERVICE, response, default_retry_after=RATE_LIMIT_WAIT, now=self.clock())
