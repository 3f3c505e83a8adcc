"""How the fake HubSpot's CRM search picks and orders objects: filterGroups (OR of groups, AND of
filters), sorts, and HubSpot's ceiling of 10,000 results a query can page through."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from tests.fakes import hubspot_shapes as shapes

CEILING = 10_000
IMPLEMENTED = {"EQ", "NEQ", "LT", "LTE", "GT", "GTE", "IN", "NOT_IN", "HAS_PROPERTY"}


def _comparable(value: Any) -> Any:
    """Dates (ISO or epoch milliseconds) and numbers compare as such, the rest as lower text."""
    text = str(value)
    if text.isdigit() and len(text) >= 12:
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except ValueError:
        pass
    try:
        return Decimal(text)
    except InvalidOperation:
        return text.lower()


def _test(f: dict[str, Any]) -> Callable[[dict[str, Any]], bool]:
    op, name = f["operator"], f["propertyName"]
    if op not in IMPLEMENTED:
        raise shapes.Invalid(f"search: the fake does not implement {op}")
    if op in ("IN", "NOT_IN"):
        values = f.get("values")
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise shapes.Invalid(f"search: {op} needs `values`, a list of strings: {f!r}")
        wanted = {v.lower() for v in values}
        inside = op == "IN"
        return lambda props: (str(props.get(name) or "").lower() in wanted) == inside
    if op == "HAS_PROPERTY":
        return lambda props: props.get(name) not in (None, "")
    if not isinstance(f.get("value"), str):
        raise shapes.Invalid(f"search: {op} needs `value`, a string: {f!r}")
    value = _comparable(f["value"])

    def test(props: dict[str, Any]) -> bool:
        if props.get(name) in (None, ""):
            return bool(op == "NEQ")
        have = _comparable(props[name])
        if type(have) is not type(value):
            have, other = str(props[name]).lower(), str(f["value"]).lower()
        else:
            other = value
        return bool(
            {
                "EQ": have == other,
                "NEQ": have != other,
                "LT": have < other,
                "LTE": have <= other,
                "GT": have > other,
                "GTE": have >= other,
            }[op]
        )

    return test


def matcher(groups: list[dict[str, Any]]) -> Callable[[dict[str, Any]], bool]:
    tests = [[_test(f) for f in g.get("filters", [])] for g in groups]
    return lambda props: not tests or any(all(t(props) for t in g) for g in tests)


def ordered(hits: list[dict[str, Any]], sorts: list[Any]) -> list[dict[str, Any]]:
    """Sorted by each sort in turn (a property name, or {propertyName, direction}); by id at last."""
    result = sorted(hits, key=lambda o: int(o["id"]))
    for sort in reversed(sorts):
        name, direction = (
            (sort, "ASCENDING")
            if isinstance(sort, str)
            else (
                sort["propertyName"],
                sort.get("direction", "ASCENDING"),
            )
        )
        present = [o for o in result if o["properties"].get(name) not in (None, "")]
        absent = [o for o in result if o["properties"].get(name) in (None, "")]
        present.sort(
            key=lambda o: _comparable(o["properties"][name]), reverse=direction == "DESCENDING"
        )
        result = present + absent
    return result
