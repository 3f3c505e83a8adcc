"""The database a case runs on: the setup rows added to the default state, and the state the
case is judged by, as plain values a dataset can write."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from db.queries import Executor, Queries
from evals.cases import Setup

_q = Queries("world", package="evals")

COMPARED = {
    "reps": ("telegram_id", "name", "email", "status", "calendar", "snoozed_until"),
    "prospects": ("name", "telegram", "email", "status", "rep"),
    "meetings": ("rep", "prospect_name", "starts_at", "duration_minutes", "status", "zoom"),
    "outside_calls": ("service", "operation", "prospect_name", "times"),
    "practices": ("rep", "prospect_name", "status"),
}
"""The columns compared with the gold state: what the tools decide, not free text or ids (a
prospect added during a case has a new random id in each run, so prospects go by name)."""

KEYS = {"reps": ("telegram_id",), "prospects": ("name",)}


@dataclass(frozen=True)
class State:
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)

    def compared(self) -> dict[str, list[dict[str, Any]]]:
        return {
            table: [{c: row[c] for c in columns} for row in self.tables[table]]
            for table, columns in COMPARED.items()
        }


async def add_setup(db: Executor, setup: Setup, now: datetime, *, timezone: str) -> None:
    """The case's rows; a rep without a timezone gets `timezone`, the settings' default."""
    seeded = {r["id"] for r in await db.fetch("SELECT id FROM prospects")}
    changed = [p for p in setup.prospects if p.get("id") in seeded]
    added = [p for p in setup.prospects if p.get("id") not in seeded]
    await _q.execute(db, "add_reps", rows=_json(setup.reps), now=now, timezone=timezone)
    await _q.execute(db, "add_prospects", rows=_json(added), now=now)
    await _q.execute(db, "assign_seeded", rows=_json(changed), now=now)
    await _q.execute(db, "add_meetings", rows=_json(setup.meetings), now=now)
    await _q.execute(db, "add_deals", rows=_json(setup.deals), now=now)
    await _q.execute(db, "add_activities", rows=_json(setup.activities), now=now)


CHECKED = (*COMPARED, "events", "deals")
"""The tables `expect` can name rows of."""


async def state(db: Executor) -> State:
    tables = {name: [plain(dict(r)) for r in await _q.fetch(db, name)] for name in CHECKED}
    refused = [r["tool"] for r in await _q.fetch(db, "refused")]
    return State(tables, refused)


def plain(value: Any) -> Any:
    """A database value as YAML would write it: instants in UTC ISO form, ids as text."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def _json(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows for a `jsonb` parameter (the pool encodes it)."""
    encoded: list[dict[str, Any]] = plain(rows)
    return encoded
