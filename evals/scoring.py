"""Whether a run did the right thing: the state it left against the gold state, then the
case's `expect` checks; the first difference, in words, or None when it passed."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

from agent.language import detect
from evals.cases import Case, Sent
from evals.replay import Message, Run
from evals.world import KEYS, State


def judge(run: Run, gold: State | None = None, *, scripted: bool = True) -> str | None:
    """`gold`: the state the gold calls leave (None when this run is the gold run). The refusals
    are checked only for the gold run: a real model is not offered what it may not use."""
    if run.error:
        return f"the run broke: {run.error}"
    checks = [
        _against_gold(run.state, gold) if gold is not None else None,
        *(_rows(table, rows, run.state) for table, rows in _expected_rows(run.case)),
        *(_sent(want, run.messages) for want in run.case.expect.sent),
        _refused(run) if scripted else None,
        _language(run),
    ]
    return next((c for c in checks if c), None)


def _expected_rows(case: Case) -> list[tuple[str, list[dict[str, Any]]]]:
    e = case.expect
    return [
        ("reps", e.reps),
        ("prospects", e.prospects),
        ("meetings", e.meetings),
        ("events", e.events),
        ("practices", e.practices),
        ("outside_calls", e.outside_calls),
        ("deals", e.deals),
    ]


def _against_gold(actual: State, gold: State) -> str | None:
    mine, theirs = actual.compared(), gold.compared()
    for table, gold_rows in theirs.items():
        if table in KEYS:
            found = _keyed(table, mine[table], gold_rows)
        else:
            found = _unkeyed(table, mine[table], gold_rows)
        if found:
            return found
    return None


def _keyed(table: str, mine: list[dict[str, Any]], gold: list[dict[str, Any]]) -> str | None:
    key = KEYS[table][0]
    by_key = {r[key]: r for r in mine}
    gold_keys = {r[key] for r in gold}
    for want in gold:
        got = by_key.get(want[key])
        if got is None:
            return f"{table}: {key} {want[key]} is missing; the gold state has {_row(want)}"
        for column, value in want.items():
            if got[column] != value:
                return (
                    f"{table} {want[key]}: {column} is {got[column]!r}, "
                    f"the gold state has {value!r}"
                )
    have, want = Counter(r[key] for r in mine), Counter(r[key] for r in gold)
    if twice := next((k for k in have if have[k] > max(want[k], 1)), None):
        return f"{table}: {have[twice]} rows with {key} {twice!r}, the gold state has {want[twice]}"
    extra = [r for r in mine if r[key] not in gold_keys]
    return f"{table}: an extra row {_row(extra[0])}, not in the gold state" if extra else None


def _unkeyed(table: str, mine: list[dict[str, Any]], gold: list[dict[str, Any]]) -> str | None:
    have, want = Counter(map(_frozen, mine)), Counter(map(_frozen, gold))
    if missing := want - have:
        return f"{table}: the gold state has {_row(dict(next(iter(missing))))}, this run has not"
    if extra := have - want:
        return f"{table}: an extra row {_row(dict(next(iter(extra))))}, not in the gold state"
    return None


def _rows(table: str, expected: list[dict[str, Any]], st: State) -> str | None:
    rows = st.tables[table]
    for expectation in expected:
        want = {k: v for k, v in expectation.items() if k not in ("absent", "count")}
        found = next((row for row in rows if _matches(want, row)), None)
        if "count" in expectation:
            n = sum(_matches(want, row) for row in rows)
            if n != expectation["count"]:
                return f"{table}: {n} rows with {_row(want)}, not {expectation['count']}"
            continue
        if expectation.get("absent"):
            if found is not None:
                return f"{table}: a row with {_row(want)} must not exist, and does"
            continue
        if found is not None:
            continue
        near = _nearest(table, want, rows)
        seen = f"; closest: {_row({k: near.get(k) for k in want})}" if near else "; none at all"
        return f"{table}: no row with {_row(want)}{seen}"
    return None


def _matches(want: dict[str, Any], row: dict[str, Any]) -> bool:
    return all(column in row and _same(value, row[column]) for column, value in want.items())


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, datetime) and isinstance(actual, str):
        return datetime.fromisoformat(actual) == expected
    if isinstance(expected, date) and isinstance(actual, str):
        return actual[:10] == expected.isoformat()
    if isinstance(expected, str) and isinstance(actual, str) and "@" in expected:
        return expected.casefold() == actual.casefold()
    if isinstance(expected, dict) and isinstance(actual, dict):
        return _matches(expected, actual)
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(map(_same, expected, actual))
    return bool(expected == actual)


def _nearest(table: str, want: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    key = next((k for k in KEYS.get(table, ()) if k in want), None)
    if key is not None and (same := [r for r in rows if _same(want[key], r[key])]):
        return same[0]
    scored = [(sum(_same(v, r.get(k)) for k, v in want.items()), r) for r in rows]
    return max(scored, key=lambda s: s[0])[1] if scored else {}


def _sent(want: Sent, messages: list[Message]) -> str | None:
    mine = [m for m in messages if m.chat_id == want.to]
    hits = [m for m in mine if _says(m, want)]
    what = " and ".join([*(f"«{c}»" for c in want.contains), *(f"[{b}]" for b in want.buttons)])
    if want.absent:
        if hits:
            return (
                f"{want.to} got a message it must not get ({what or 'any'}): «{_cut(hits[0].text)}»"
            )
        return None
    if hits:
        return None
    got = "; ".join(f"«{_cut(m.text)}»" for m in mine[-3:]) or "nothing"
    return f"no message to {want.to} has {what or 'anything'}; it got {got}"


def _says(message: Message, want: Sent) -> bool:
    text = message.text.casefold()
    return all(c.casefold() in text for c in want.contains) and all(
        message.button(b) is not None for b in want.buttons
    )


def _refused(run: Run) -> str | None:
    want, got = set(run.case.expect.refused), set(run.state.refused)
    if missing := sorted(want - got):
        return f"{', '.join(missing)} should have been refused, and was not"
    if extra := sorted(got - want):
        return f"{', '.join(extra)} was refused, and the case does not expect it"
    return None


def _language(run: Run) -> str | None:
    lang = run.case.expect.language
    if lang is None:
        return None
    speakers = {t.chat_id for t in run.case.turns if t.say is not None or t.voice is not None}
    for message in run.messages:
        said = detect(message.text)
        if message.chat_id in speakers and said and said != lang:
            return f"a reply to {message.chat_id} is in {said}, not {lang}: «{_cut(message.text)}»"
    return None


def _frozen(row: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in row.items())


def _row(row: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in row.items())


def _cut(text: str, width: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
