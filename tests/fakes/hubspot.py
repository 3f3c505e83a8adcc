"""A local fake of HubSpot's CRM v3 objects and v4 associations APIs.

`FakeHubSpot` is an aiohttp server in the caller's event loop; point the real client at
`fake.url`. It follows HubSpot's documented shapes (`hubspot_shapes`): property values are
strings (null when asked for but unset), object type names and ids (`deals`, `0-3`) are
interchangeable in paths, errors carry category, correlationId and message. Malformed requests
are answered 400 VALIDATION_ERROR and collected in `fake.violations`. It enforces its own rate
limit, `limit` requests per `window` seconds of `clock`, and the search API's own,
`search_limit` per `search_window` seconds (when set). Every request lands in `fake.calls`.
"""

from __future__ import annotations

import itertools
import re
import time
from collections import deque
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aiohttp import web

from tests.fakes import hubspot_search as searching
from tests.fakes import hubspot_shapes as shapes
from tests.fakes.http_fake import Answer, Call, FakeServer

__all__ = ["Call", "FakeHubSpot"]


def error(status: int, category: str, message: str, **extra: Any) -> Answer:
    return Answer(status, shapes.error_body(category, message, **extra))


class FakeHubSpot(FakeServer):
    """`objects[type][id]`: what the account holds. `limit`, `window`, `clock` (seconds;
    time.monotonic unless given): the rate limit; `rate_limited` counts the 429s it gave.
    `max_page`: the most associations one v4 page holds. `unsearchable`: contact ids the
    search index does not have yet."""

    def __init__(
        self, *, token: str = "pat-test-token", clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self.token, self.clock = token, clock
        self.limit, self.window, self.max_page = 100, 10.0, 500
        # HubSpot's search allows 5 a second; off unless a test sets it.
        self.search_limit: int | None = None
        self.search_window = 1.0
        self.rate_limited = 0
        self.objects: dict[str, dict[str, dict[str, Any]]] = {t: {} for t in shapes.PROPERTIES}
        self.owners: list[dict[str, Any]] = []
        self.links: dict[tuple[str, str, str], dict[str, int]] = {}
        self.unsearchable: set[str] = set()
        self._recent: deque[float] = deque()
        self._searches: deque[float] = deque()
        self._ids = itertools.count(1001)

    def fault_body(self, status: int) -> Any:
        category = "RATE_LIMITS" if status == 429 else "INTERNAL_ERROR"
        return shapes.error_body(category, f"Injected fault {status}")

    def invalid(self, problem: str) -> Answer:
        self.violations.append(problem)
        return error(400, "VALIDATION_ERROR", problem)

    # Seeding.
    def add_contact(
        self,
        email: str | None,
        firstname: str = "",
        lastname: str = "",
        *,
        searchable: bool = True,
        updated: datetime | None = None,
        **more: str,
    ) -> str:
        """A contact made elsewhere; `searchable=False`: not in the search index yet. `more`:
        other properties (lifecyclestage, phone, hubspot_owner_id, the account's own ones)."""
        props = {"email": (email or "").lower(), "firstname": firstname, "lastname": lastname}
        props |= more
        contact_id = self._store("contacts", {k: v for k, v in props.items() if v}, None, updated)
        if not searchable:
            self.unsearchable.add(contact_id)
        return contact_id

    def change(self, kind: str, object_id: str, at: datetime, **props: str) -> None:
        """Someone edits the object in HubSpot at `at`."""
        obj, when = self.objects[kind][object_id], shapes.stamp(at)
        obj["properties"] |= props | {"hs_lastmodifieddate": when}
        if kind == "contacts":
            obj["properties"]["lastmodifieddate"] = when
        obj["updatedAt"] = when

    def archive(self, kind: str, object_id: str, at: datetime | None = None) -> None:
        obj = self.objects[kind][object_id]
        obj["archived"], obj["archivedAt"] = True, shapes.stamp(at or datetime.now(UTC))

    def merge(self, kind: str, keep: str, gone: str, at: datetime) -> None:
        """Someone merges `gone` into `keep` at `at`: `gone` is no more, `keep` lists it."""
        del self.objects[kind][gone]
        merged = self.objects[kind][keep]["properties"].get("hs_merged_object_ids") or ""
        self.change(kind, keep, at, hs_merged_object_ids=";".join(filter(None, (merged, gone))))

    def add_owner(
        self, email: str, first: str = "", last: str = "", *, archived: bool = False
    ) -> str:
        owner_id = str(next(self._ids))
        made = shapes.stamp(datetime.now(UTC))
        self.owners.append(
            {
                "id": owner_id,
                "email": email,
                "type": "PERSON",
                "firstName": first,
                "lastName": last,
                "userId": int(owner_id) + 5000,
                "userIdIncludingInactive": int(owner_id) + 5000,
                "createdAt": made,
                "updatedAt": made,
                "archived": archived,
            }
        )
        return owner_id

    def add_deal(
        self,
        contact_id: str,
        name: str,
        stage: str = "appointmentscheduled",
        amount: Decimal | int | str | None = None,
        closedate: datetime | None = None,
        *,
        created: datetime | None = None,
        updated: datetime | None = None,
    ) -> str:
        """A deal associated to the contact."""
        props = {"dealname": name, "dealstage": stage, "pipeline": "default"}
        if amount is not None:
            props["amount"] = str(amount)
        if closedate is not None:
            props["closedate"] = shapes.stamp(closedate)
        deal_id = self._store("deals", props, created, updated)
        self.associate("deals", deal_id, "contacts", contact_id)
        return deal_id

    def associate(self, kind: str, object_id: str, to_kind: str, to_id: str) -> None:
        """Associates both ways, with the HUBSPOT_DEFINED type of each direction."""
        for a, a_id, b, b_id in (
            (kind, object_id, to_kind, to_id),
            (to_kind, to_id, kind, object_id),
        ):
            self.links.setdefault((a, a_id, b), {})[b_id] = shapes.ASSOCIATION_TYPES[(a, b)]

    def _store(
        self,
        kind: str,
        props: dict[str, str],
        created: datetime | None = None,
        updated: datetime | None = None,
    ) -> str:
        object_id = str(next(self._ids))
        made = shapes.stamp(created or datetime.now(UTC))
        changed = shapes.stamp(updated or created or datetime.now(UTC))
        stamps = {"hs_object_id": object_id, "hs_createdate": made, "hs_lastmodifieddate": changed}
        if kind in ("contacts", "deals"):
            stamps["createdate"] = made
        if kind == "contacts":
            stamps["lastmodifieddate"] = changed
        self.objects[kind][object_id] = {
            "id": object_id,
            "properties": stamps | props,
            "createdAt": made,
            "updatedAt": changed,
            "archived": False,
        }
        return object_id

    # The server.
    async def route(self, request: web.Request, body: Any) -> Answer:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            raise error(401, "INVALID_AUTHENTICATION", "Authentication credentials not found.")
        self._rate_limit()
        if request.path.endswith("/search") and self.search_limit is not None:
            self._search_rate_limit()
        try:
            return self._dispatch(request.method, request.path, request.query, body)
        except shapes.Invalid as problem:
            raise self.invalid(str(problem)) from None

    def _dispatch(self, method: str, path: str, query: Mapping[str, str], body: Any) -> Answer:
        kind = shapes.object_type
        if found := re.fullmatch(r"/crm/v3/objects/([^/]+)/search", path):
            return self._search(kind(found[1]), shapes.body("search", body))
        if found := re.fullmatch(r"/crm/v3/objects/([^/]+)/batch/read", path):
            return self._batch_read(kind(found[1]), shapes.body("batch read", body))
        if (found := re.fullmatch(r"/crm/v3/objects/([^/]+)", path)) and method == "POST":
            return self._create(kind(found[1]), shapes.body("create", body))
        if (found := re.fullmatch(r"/crm/v3/objects/([^/]+)/([^/]+)", path)) and method == "GET":
            return self._get(kind(found[1]), found[2], query)
        if (found := re.fullmatch(r"/crm/v3/objects/([^/]+)", path)) and method == "GET":
            return self._list(kind(found[1]), query)
        if path == "/crm/v3/owners" and method == "GET":
            return self._owners(query)
        if (found := re.fullmatch(r"/crm/v3/objects/([^/]+)/([^/]+)", path)) and method == "PATCH":
            return self._update(kind(found[1]), found[2], shapes.body("update", body))
        if found := re.fullmatch(r"/crm/v4/associations/([^/]+)/([^/]+)/batch/read", path):
            return self._batch_links(kind(found[1]), kind(found[2]), body)
        if found := re.fullmatch(r"/crm/v4/objects/([^/]+)/([^/]+)/associations/([^/]+)", path):
            return self._associations(kind(found[1]), found[2], kind(found[3]), query)
        self.violations.append(f"{method} {path}: no such endpoint")
        raise error(404, "OBJECT_NOT_FOUND", f"No route for {method} {path}")

    def _rate_limit(self) -> None:
        now = self.clock()
        while self._recent and now - self._recent[0] >= self.window:
            self._recent.popleft()
        if len(self._recent) >= self.limit:
            self.rate_limited += 1
            message = "You have reached your ten_secondly_rolling limit."
            policy = {"errorType": "RATE_LIMIT", "policyName": "TEN_SECONDLY_ROLLING"}
            raise error(429, "RATE_LIMITS", message, **policy)
        self._recent.append(now)

    def _search_rate_limit(self) -> None:
        assert self.search_limit is not None
        now = self.clock()
        while self._searches and now - self._searches[0] >= self.search_window:
            self._searches.popleft()
        if len(self._searches) >= self.search_limit:
            self.rate_limited += 1
            message = "You have reached your secondly limit."
            policy = {"errorType": "RATE_LIMIT", "policyName": "SECONDLY"}
            raise error(429, "RATE_LIMITS", message, **policy)
        self._searches.append(now)

    def _view(self, obj: dict[str, Any], wanted: list[str] | None) -> dict[str, Any]:
        """The object as HubSpot answers: the properties asked for, null when unset."""
        props = obj["properties"]
        if wanted is not None:
            props = {k: props.get(k) for k in [*wanted, "hs_object_id"]}
        return obj | {"properties": props}

    def _find(self, kind: str, prop: str, value: str) -> dict[str, Any] | None:
        wanted = value.lower()
        return next(
            (
                o
                for o in self.objects[kind].values()
                if (o["properties"].get(prop) or "").lower() == wanted
            ),
            None,
        )

    def _create(self, kind: str, body: dict[str, Any]) -> Answer:
        props = shapes.properties(kind, body["properties"])
        links = [shapes.association(kind, a) for a in body["associations"]]
        for to_kind, to_id in links:
            if to_id not in self.objects[to_kind]:
                message = f"One or more associations are invalid: no {to_kind} {to_id}"
                raise error(400, "VALIDATION_ERROR", message)
        if kind == "contacts" and props.get("email"):
            props["email"] = props["email"].lower()
            if existing := self._find("contacts", "email", props["email"]):
                message = f"Contact already exists. Existing ID: {existing['id']}"
                raise error(409, "CONFLICT", message)
        object_id = self._store(kind, props)
        for to_kind, to_id in links:
            self.associate(kind, object_id, to_kind, to_id)
        return Answer(201, self._view(self.objects[kind][object_id], None))

    def _search(self, kind: str, body: dict[str, Any]) -> Answer:
        shapes.search(body)
        matches = searching.matcher(body["filterGroups"])
        hits = [
            o
            for i, o in self.objects[kind].items()
            if i not in self.unsearchable and not o["archived"] and matches(o["properties"])
        ]
        hits = searching.ordered(hits, body["sorts"])
        start, limit = int(body["after"] or 0), body["limit"]
        if start >= searching.CEILING:
            message = f"Paging is limited to {searching.CEILING} results for any one query."
            raise error(400, "VALIDATION_ERROR", message)
        page = [self._view(o, body["properties"] or None) for o in hits[start : start + limit]]
        answer: dict[str, Any] = {"total": len(hits), "results": page}
        if start + limit < len(hits):
            answer["paging"] = {"next": {"after": str(start + limit)}}
        return Answer(200, answer)

    def _list(self, kind: str, query: Mapping[str, str]) -> Answer:
        limit, start, archived, wanted = shapes.list_query(query)
        found = [o for o in self.objects[kind].values() if o["archived"] == archived]
        found.sort(key=lambda o: int(o["id"]))
        answer: dict[str, Any] = {
            "results": [self._view(o, wanted) for o in found[start : start + limit]]
        }
        if start + limit < len(found):
            answer["paging"] = {"next": {"after": str(start + limit), "link": "?after="}}
        return Answer(200, answer)

    def _owners(self, query: Mapping[str, str]) -> Answer:
        limit, start, archived, email = shapes.owners_query(query)
        found = [
            o
            for o in self.owners
            if o["archived"] == archived and (email is None or o["email"].lower() == email.lower())
        ]
        answer: dict[str, Any] = {"results": found[start : start + limit]}
        if start + limit < len(found):
            answer["paging"] = {"next": {"after": str(start + limit), "link": "?after="}}
        return Answer(200, answer)

    def _batch_read(self, kind: str, body: dict[str, Any]) -> Answer:
        ids, stored = shapes.batch_ids(body), self.objects[kind]
        now = shapes.stamp(datetime.now(UTC))
        answer: dict[str, Any] = {"status": "COMPLETE", "startedAt": now, "completedAt": now}
        answer["results"] = [self._view(stored[i], body["properties"]) for i in ids if i in stored]
        if not (missing := [i for i in ids if i not in stored]):
            return Answer(200, answer)
        message = f"Could not get some {kind} objects, they may be deleted or not exist."
        problem = shapes.error_body("OBJECT_NOT_FOUND", message, context={"ids": missing})
        return Answer(207, answer | {"numErrors": 1, "errors": [problem]})

    def _batch_links(self, kind: str, to_kind: str, body: Any) -> Answer:
        """v4 batch read of associations: objects with none are left out, as HubSpot does."""
        ids = shapes.link_ids(body)
        now = shapes.stamp(datetime.now(UTC))
        results = [
            {
                "from": {"id": i},
                "to": [
                    {
                        "toObjectId": t,
                        "associationTypes": [
                            {"category": "HUBSPOT_DEFINED", "typeId": n, "label": None}
                        ],
                    }
                    for t, n in sorted(linked.items())
                ],
            }
            for i in ids
            if (linked := self.links.get((kind, i, to_kind)))
        ]
        answer = {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now}
        return Answer(200, answer)

    def _update(self, kind: str, object_id: str, body: dict[str, Any]) -> Answer:
        props = shapes.properties(kind, body["properties"], partial=True)
        obj = self.objects[kind].get(object_id)
        if obj is None:
            raise error(404, "OBJECT_NOT_FOUND", "Object not found.  objectId are usually numeric.")
        changed = shapes.stamp(datetime.now(UTC))
        obj["properties"] |= props | {"hs_lastmodifieddate": changed}
        obj["updatedAt"] = changed
        return Answer(200, self._view(obj, None))

    def _get(self, kind: str, object_id: str, query: Mapping[str, str]) -> Answer:
        wanted = query["properties"].split(",") if query.get("properties") else None
        prop = query.get("idProperty", "hs_object_id")
        obj = self._find(kind, prop, object_id)
        if obj is None:
            raise error(404, "OBJECT_NOT_FOUND", "Object not found.  objectId are usually numeric.")
        return Answer(200, self._view(obj, wanted))

    def _associations(
        self, kind: str, object_id: str, to_kind: str, query: Mapping[str, str]
    ) -> Answer:
        limit = min(int(query.get("limit", 500)), self.max_page)
        start = int(query.get("after", 0))
        linked = sorted(self.links.get((kind, object_id, to_kind), {}).items())
        results = [
            {
                "toObjectId": int(i),
                "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": t, "label": None}],
            }
            for i, t in linked[start : start + limit]
        ]
        answer: dict[str, Any] = {"results": results}
        if start + limit < len(linked):
            answer["paging"] = {"next": {"after": str(start + limit)}}
        return Answer(200, answer)
