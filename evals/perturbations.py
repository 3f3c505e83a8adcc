"""How a misbehaving model garbles a gold call, and where: names in the wrong case or with odd
spacing, a time in another form, the call made twice (one after the other, or twice in one
response), a call to a tool the speaker is not offered first, arguments of the wrong type, a
required argument left out, arguments that are not JSON. A perturbation is one kind at one gold
call of one case; the plan is every kind at every call it applies to, or a sample that plays each
case at least once and spreads the kinds evenly."""

from __future__ import annotations

import json
import zlib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from agent.settings import default_settings
from evals.cases import Case
from tools.toolsets import all_tools


class Kind(StrEnum):
    CASE = "case"
    """A reference (`rep`, `prospect`) in another case: «алексей петров», «ANNA@…»."""
    SPACING = "spacing"
    """A reference, a name or an email with spaces around it and doubled inside."""
    OFFSET = "offset"
    """A time written another way for the same instant: local without an offset, or in UTC."""
    DUPLICATE = "duplicate"
    """The call made again right after it."""
    PARALLEL = "parallel"
    """The call made twice in one response (parallel tool calls)."""
    NOT_OFFERED = "not_offered"
    """First a call to a tool this speaker is not offered, then the gold call."""
    WRONG_TYPE = "wrong_type"
    """An argument of the wrong type (a number for a text, a word for a number)."""
    MISSING = "missing"
    """A required argument left out."""
    BAD_JSON = "bad_json"
    """The arguments as a JSON string cut short."""
    SKIP = "skip"
    """The call left out: what "no change" means for the calls that replace it."""


ADDING = (Kind.DUPLICATE, Kind.PARALLEL, Kind.NOT_OFFERED)
"""Kinds that add calls around the gold call rather than replace it."""
KINDS = tuple(k for k in Kind if k is not Kind.SKIP)
REFERENCES = ("rep", "prospect")
WRITTEN = ("name", "email")
TIMES = ("start", "until")
TEMPTING = (
    "approve_rep",
    "suspend_rep",
    "assign_prospect",
    "book_calendar",
    "remove_rep",
    "update_prospect_status",
    "register_rep",
    "add_prospect",
)
"""Tools a model might call for a speaker who is not offered them, most consequential first."""

Response = list[tuple[str, dict[str, Any] | str]]
"""One model response: its tool calls, each with arguments as a dict or as raw JSON text."""


@dataclass(frozen=True)
class Perturbation:
    case: Case
    kind: Kind
    turn: int
    """The index of the turn in the case."""
    call: int
    """The index of the gold call in the turn (its length for a call added at the end)."""

    @property
    def site(self) -> tuple[str, int, int]:
        return (self.case.name, self.turn, self.call)

    def label(self) -> str:
        turn = self.case.turns[self.turn]
        calls = turn.gold()
        name = calls[self.call][0] if self.call < len(calls) else "(reply)"
        return f"{self.kind} at turn {self.turn + 1}, {name}"

    def responses(self, gold: list[tuple[str, dict[str, Any]]]) -> list[Response]:
        """What the model sends instead of the gold calls of the perturbed turn (each response
        after the previous one is answered); an empty response stands for the not-offered call,
        chosen when the offered tools are known."""
        before: list[Response] = [[call] for call in gold[: self.call]]
        after: list[Response] = [[call] for call in gold[self.call + 1 :]]
        if self.kind is Kind.SKIP:
            return [*before, *after]
        if self.call >= len(gold):
            return [*before, []]
        name, args = gold[self.call]
        if self.kind is Kind.DUPLICATE:
            return [*before, [(name, args)], [(name, args)], *after]
        if self.kind is Kind.PARALLEL:
            return [*before, [(name, args), (name, args)], *after]
        if self.kind is Kind.NOT_OFFERED:
            return [*before, [], [(name, args)], *after]
        return [*before, [(name, garble(self.kind, name, args, self.case, self.turn))], *after]


def applies(kind: Kind, name: str, args: dict[str, Any]) -> bool:
    if kind is Kind.CASE:
        return any(_text(args, k) and _recased(args[k]) != args[k] for k in REFERENCES)
    if kind is Kind.SPACING:
        return any(_text(args, k) for k in (*REFERENCES, *WRITTEN))
    if kind is Kind.OFFSET:
        return any(_text(args, k) and _moment(args[k]) for k in TIMES)
    if kind is Kind.WRONG_TYPE:
        return any(v is not None for v in args.values())
    if kind is Kind.MISSING:
        return any(k in args for k in required(name))
    return True


def garble(
    kind: Kind, name: str, args: dict[str, Any], case: Case, turn: int
) -> dict[str, Any] | str:
    if kind is Kind.BAD_JSON:
        return json.dumps(args, ensure_ascii=False, default=str)[:-1]
    garbled = dict(args)
    if kind is Kind.CASE:
        key = next(k for k in REFERENCES if _text(args, k) and _recased(args[k]) != args[k])
        garbled[key] = _recased(args[key])
    elif kind is Kind.SPACING:
        key = next(k for k in (*REFERENCES, *WRITTEN) if _text(args, k))
        garbled[key] = f"  {'  '.join(str(args[key]).split(' '))} "
    elif kind is Kind.OFFSET:
        key = next(k for k in TIMES if _text(args, k) and _moment(args[k]))
        garbled[key] = _reoffset(str(args[key]), _zone(case, turn))
    elif kind is Kind.WRONG_TYPE:
        key = next(k for k, v in args.items() if v is not None)
        garbled[key] = _wrong(args[key])
    elif kind is Kind.MISSING:
        del garbled[next(k for k in required(name) if k in args)]
    return garbled


def not_offered(case: Case, turn: int, offered: set[str]) -> tuple[str, dict[str, Any]]:
    """A tempting tool this speaker is not offered, with arguments naming people of the case."""
    choices = [t for t in TEMPTING if t not in offered]
    tool = choices[zlib.crc32(case.name.encode()) % len(choices)]
    reps = sorted(case.setup.reps, key=lambda r: r.get("status") != "pending")
    rep = (reps[0].get("email") or f"@{reps[0].get('username')}") if reps else "ivan@example.com"
    prospect = next((p.get("id") or p.get("name") for p in case.setup.prospects), "x")
    tomorrow = (case.clock + timedelta(days=1)).replace(hour=11, minute=0, tzinfo=None)
    values = {
        "rep": rep,
        "prospect": prospect,
        "start": tomorrow.isoformat(),
        "status": "archived",
        "name": "Ivan Ivanov",
        "email": "ivan@truerealestate.bali",
    }
    return tool, {k: values[k] for k in required(tool) if k in values}


def plan(cases: list[Case], *, sample: bool) -> list[Perturbation]:
    """Every kind at every gold call it applies to; or, with `sample`, one perturbation per case,
    the kind least used so far among those the case allows, at a call picked by the case's name."""
    if not sample:
        return [p for case in cases for kind in KINDS for p in _sites(case, kind)]
    used: Counter[Kind] = Counter()
    chosen = []
    for case in cases:
        allowed = [k for k in KINDS if _sites(case, k)]
        kind = min(allowed, key=lambda k: (used[k], KINDS.index(k)))
        used[kind] += 1
        sites = _sites(case, kind)
        chosen.append(sites[zlib.crc32(case.name.encode()) % len(sites)])
    return chosen


def _sites(case: Case, kind: Kind) -> list[Perturbation]:
    sites = [
        Perturbation(case, kind, t, c)
        for t, turn in enumerate(case.turns)
        for c, (name, args) in enumerate(turn.gold())
        if applies(kind, name, args)
    ]
    if kind is Kind.NOT_OFFERED and not sites:  # a case without calls: one before a reply
        sites = [Perturbation(case, kind, 0, 0)]
    return sites


@cache
def _schemas() -> dict[str, dict[str, Any]]:
    return {tool.name: tool.function_schema.json_schema for tool in all_tools()}


def required(tool: str) -> list[str]:
    return list(_schemas()[tool].get("required", []))


def _text(args: dict[str, Any], key: str) -> bool:
    return isinstance(args.get(key), str) and bool(args[key].strip())


def _recased(value: str) -> str:
    return value.lower() if value != value.lower() else value.upper()


def _moment(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _reoffset(value: str, zone: ZoneInfo) -> str:
    """A local time without an offset as the same instant in UTC; one with an offset as the
    speaker's local time without it."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zone).astimezone(ZoneInfo("UTC")).isoformat()
    return moment.astimezone(zone).replace(tzinfo=None).isoformat()


def _zone(case: Case, turn: int) -> ZoneInfo:
    speaker = case.turns[turn].chat_id
    rep = next((r for r in case.setup.reps if r.get("telegram_id") == speaker), {})
    return ZoneInfo(rep.get("timezone") or default_settings().default_timezone)


def _wrong(value: Any) -> Any:
    if isinstance(value, bool):
        return "perhaps"
    if isinstance(value, int | float):
        return "about an hour"
    if isinstance(value, str):
        return 42
    return "?"
