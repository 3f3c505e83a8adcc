"""HubSpot's CRM v3/v4 request shapes as the fake checks them, from HubSpot's documentation and
the facts in shared/specs/NOTES.md, section 4 (HubSpot's OpenAPI files are not licensed for
reuse, so nothing is read from them). Each check raises `Invalid` with what is wrong."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

OBJECT_TYPE_IDS = {
    "0-1": "contacts",
    "0-2": "companies",
    "0-3": "deals",
    "0-46": "notes",
    "0-47": "meetings",
}
# HUBSPOT_DEFINED association type ids, both ways.
ASSOCIATION_TYPES = {
    ("notes", "contacts"): 202,
    ("contacts", "notes"): 201,
    ("meetings", "contacts"): 200,
    ("contacts", "meetings"): 199,
    ("deals", "contacts"): 3,
    ("contacts", "deals"): 4,
}
_EVERY_OBJECT = {"hubspot_owner_id", "hs_object_id", "hs_createdate", "hs_lastmodifieddate"}
# The properties an account has by default that the fake knows; HubSpot refuses others.
PROPERTIES = {
    "contacts": {"email", "firstname", "lastname", "phone", "company", "createdate"}
    | {"lastmodifieddate", "lifecyclestage", "mobilephone"},
    "companies": {"name", "domain"},
    "deals": {"dealname", "dealstage", "amount", "closedate", "pipeline", "createdate"}
    | {"hs_is_closed", "hs_is_closed_won", "hs_v2_date_entered_current_stage"},
    "notes": {"hs_timestamp", "hs_note_body"},
    "meetings": {"hs_timestamp", "hs_meeting_title", "hs_meeting_body", "hs_meeting_location"}
    | {"hs_meeting_start_time", "hs_meeting_end_time", "hs_meeting_external_url"}
    | {"hs_meeting_outcome"},
}
MEETING_OUTCOMES = {"SCHEDULED", "COMPLETED", "RESCHEDULED", "NO_SHOW", "CANCELED"}
OPERATORS = {"EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN", "HAS_PROPERTY"}
OPERATORS |= {"NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"}
# Top-level body fields of each operation: (allowed, required), as HubSpot's specs list them.
BODIES = {
    "create": (
        {"properties", "associations", "objectWriteTraceId"},
        {"properties", "associations"},
    ),
    "update": ({"properties", "objectWriteTraceId"}, {"properties"}),
    "search": (
        {"after", "filterGroups", "limit", "properties", "sorts", "query"},
        {"after", "filterGroups", "limit", "properties", "sorts"},
    ),
    "batch read": (
        {"inputs", "properties", "propertiesWithHistory", "idProperty"},
        {"inputs", "properties", "propertiesWithHistory"},
    ),
}
SEARCH_MAX = 200
OWNERS_MAX = 500
LIST_MAX = 100
LINKS_MAX = 1_000
BATCH_MAX = 100


class Invalid(ValueError):
    """The request does not have the documented shape."""


def error_body(category: str, message: str, **extra: Any) -> dict[str, Any]:
    """HubSpot's Error: category, correlationId and message are always there."""
    body = {"status": "error", "message": message, "correlationId": str(uuid.uuid4())}
    return body | {"category": category} | extra


def standard_error(category: str, message: str, context: dict[str, list[str]]) -> dict[str, Any]:
    """One item of a batch answer's `errors` (HubSpot's StandardError): no correlationId."""
    return {"status": "error", "category": category, "message": message, "context": context} | {
        "links": {},
        "errors": [],
    }


def stamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def object_type(name: str) -> str:
    """The object type a path names, by name or by id (`deals` or `0-3`)."""
    kind = OBJECT_TYPE_IDS.get(name, name)
    if kind not in PROPERTIES:
        raise Invalid(f"Unable to infer object type from: {name}")
    return kind


def body(operation: str, value: Any) -> dict[str, Any]:
    allowed, required = BODIES[operation]
    if not isinstance(value, dict):
        raise Invalid(f"{operation}: the body must be a JSON object")
    if unknown := sorted(set(value) - allowed):
        raise Invalid(f"{operation}: unknown fields {unknown}")
    if missing := sorted(required - set(value)):
        raise Invalid(f"{operation}: missing required fields {missing}")
    return value


def properties(kind: str, props: Any, *, partial: bool = False) -> dict[str, str]:
    if not isinstance(props, dict):
        raise Invalid(f"{kind}: properties must be an object")
    for name, value in props.items():
        if name not in PROPERTIES[kind] | _EVERY_OBJECT:
            raise Invalid(f'{kind}: Property "{name}" does not exist')
        if not isinstance(value, str):
            raise Invalid(f"{kind}: property {name} is {type(value).__name__}, not a string")
    if props.get("hs_meeting_outcome", "SCHEDULED") not in MEETING_OUTCOMES:
        raise Invalid(f"{kind}: no hs_meeting_outcome {props['hs_meeting_outcome']!r}")
    if kind in ("notes", "meetings") and "hs_timestamp" not in props and not partial:
        raise Invalid(f"{kind}: hs_timestamp is required")
    return dict(props)


def association(kind: str, item: Any) -> tuple[str, str]:
    """(type, id) of the object a create's association points to."""
    try:
        to_id, (association_type,) = str(item["to"]["id"]), item["types"]
        category = association_type["associationCategory"]
        type_id = association_type["associationTypeId"]
    except (KeyError, TypeError, ValueError):
        raise Invalid(f"{kind}: malformed association {item!r}") from None
    to_kind = next(
        (b for (a, b), t in ASSOCIATION_TYPES.items() if (a, t) == (kind, type_id)), None
    )
    if category != "HUBSPOT_DEFINED" or to_kind is None:
        raise Invalid(f"{kind}: no {category} association type {type_id!r} from {kind}")
    return to_kind, to_id


def search(value: dict[str, Any]) -> None:
    limit, after, groups = value["limit"], value["after"], value["filterGroups"]
    if not isinstance(limit, int) or not 0 < limit <= SEARCH_MAX:
        raise Invalid(f"search: limit {limit!r} is not 1 to {SEARCH_MAX}")
    if not isinstance(after, str):
        raise Invalid(f"search: after {after!r} is not a string")
    if not all(isinstance(s, str) for s in value["properties"]):
        raise Invalid("search: properties is a list of strings")
    for sort in value["sorts"]:
        if isinstance(sort, str):
            continue
        if not isinstance(sort, dict) or not isinstance(sort.get("propertyName"), str):
            raise Invalid(
                f"search: a sort is a property name or {{propertyName, direction}}: {sort!r}"
            )
        if sort.get("direction", "ASCENDING") not in ("ASCENDING", "DESCENDING"):
            raise Invalid(f"search: no sort direction {sort.get('direction')!r}")
    for group in groups:
        for f in group.get("filters", []):
            if f.get("operator") not in OPERATORS or not isinstance(f.get("propertyName"), str):
                raise Invalid(f"search: bad filter {f!r}")


def owners_query(query: Any) -> tuple[int, int, bool, str | None]:
    """limit (1 to 500, default 100), after, archived, email of GET /crm/v3/owners."""
    if unknown := sorted(set(query) - {"limit", "after", "archived", "email", "idProperty"}):
        raise Invalid(f"owners: unknown parameters {unknown}")
    try:
        limit, start = int(query.get("limit", 100)), int(query.get("after", 0))
    except ValueError:
        raise Invalid(f"owners: limit and after are integers, got {dict(query)!r}") from None
    if not 0 < limit <= OWNERS_MAX:
        raise Invalid(f"owners: limit {limit} is not 1 to {OWNERS_MAX}")
    if query.get("archived", "false") not in ("true", "false"):
        raise Invalid(f"owners: archived is true or false, got {query['archived']!r}")
    return limit, start, query.get("archived") == "true", query.get("email")


def list_query(query: Any) -> tuple[int, int, bool, list[str] | None]:
    """limit (1 to 100, default 10), after, archived, properties of GET /crm/v3/objects/{type}."""
    known = {"limit", "after", "archived", "properties", "propertiesWithHistory", "associations"}
    if unknown := sorted(set(query) - known):
        raise Invalid(f"list: unknown parameters {unknown}")
    try:
        limit, start = int(query.get("limit", 10)), int(query.get("after", 0))
    except ValueError:
        raise Invalid(f"list: limit and after are integers, got {dict(query)!r}") from None
    if not 0 < limit <= LIST_MAX:
        raise Invalid(f"list: limit {limit} is not 1 to {LIST_MAX}")
    if query.get("archived", "false") not in ("true", "false"):
        raise Invalid(f"list: archived is true or false, got {query['archived']!r}")
    wanted = query["properties"].split(",") if query.get("properties") else None
    return limit, start, query.get("archived") == "true", wanted


def link_ids(value: Any) -> list[str]:
    """The ids of a v4 associations batch read: {inputs: [{id}]}, at most 1,000."""
    if not isinstance(value, dict) or set(value) != {"inputs"}:
        raise Invalid(f"associations batch read: the body is {{inputs}}, got {value!r}")
    inputs = value["inputs"]
    if not isinstance(inputs, list) or not 0 < len(inputs) <= LINKS_MAX:
        raise Invalid(f"associations batch read: 1 to {LINKS_MAX} inputs")
    if not all(isinstance(i, dict) and isinstance(i.get("id"), str) for i in inputs):
        raise Invalid(f"associations batch read: every input is {{id: string}}, got {inputs!r}")
    return [i["id"] for i in inputs]


def batch_ids(value: dict[str, Any]) -> list[str]:
    inputs = value["inputs"]
    if not isinstance(inputs, list) or len(inputs) > BATCH_MAX:
        raise Invalid(f"batch read: inputs must be a list of at most {BATCH_MAX}")
    if not all(isinstance(i, dict) and isinstance(i.get("id"), str) for i in inputs):
        raise Invalid(f"batch read: every input is {{id: string}}, got {inputs!r}")
    return [i["id"] for i in inputs]
