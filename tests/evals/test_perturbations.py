"""How the gold calls are garbled, and the plan: every case at least once, every kind used."""

from __future__ import annotations

from collections import Counter

from inline_snapshot import snapshot

from evals import cases
from evals.perturbations import KINDS, Kind, Perturbation, not_offered, plan

CASES = cases.load()


def _case(name: str) -> cases.Case:
    return next(c for c in CASES if c.name == name)


def _garbled(kind: Kind, case: str, turn: int, call: int = 0) -> list[object]:
    c = _case(case)
    return list(Perturbation(c, kind, turn, call).responses(c.turns[turn].gold()))


def test_each_kind_garbles_the_call_as_a_misbehaving_model_would():
    book = "meetings-book-confirm-ru"
    assert _garbled(Kind.CASE, book, 0) == snapshot(
        [
            [
                (
                    "book_calendar",
                    {
                        "prospect": "алексей петров",
                        "start": "2026-11-24T14:00:00",
                        "duration_minutes": 30,
                    },
                )
            ]
        ]
    )
    assert _garbled(Kind.SPACING, book, 0) == snapshot(
        [
            [
                (
                    "book_calendar",
                    {
                        "prospect": "  Алексей  Петров ",
                        "start": "2026-11-24T14:00:00",
                        "duration_minutes": 30,
                    },
                )
            ]
        ]
    )
    assert _garbled(Kind.OFFSET, book, 0) == snapshot(
        [
            [
                (
                    "book_calendar",
                    {
                        "prospect": "Алексей Петров",
                        "start": "2026-11-24T06:00:00+00:00",
                        "duration_minutes": 30,
                    },
                )
            ]
        ]
    )
    assert _garbled(Kind.WRONG_TYPE, book, 0) == snapshot(
        [
            [
                (
                    "book_calendar",
                    {"prospect": 42, "start": "2026-11-24T14:00:00", "duration_minutes": 30},
                )
            ]
        ]
    )
    assert _garbled(Kind.MISSING, book, 0) == snapshot(
        [[("book_calendar", {"start": "2026-11-24T14:00:00", "duration_minutes": 30})]]
    )
    assert _garbled(Kind.BAD_JSON, book, 0) == snapshot(
        [
            [
                (
                    "book_calendar",
                    '{"prospect": "Алексей Петров", "start": "2026-11-24T14:00:00", "duration_minutes": 30',
                )
            ]
        ]
    )
    call = (
        "book_calendar",
        {"prospect": "Алексей Петров", "start": "2026-11-24T14:00:00", "duration_minutes": 30},
    )
    assert _garbled(Kind.DUPLICATE, book, 0) == [[call], [call]]
    assert _garbled(Kind.PARALLEL, book, 0) == [[call, call]]
    assert _garbled(Kind.NOT_OFFERED, book, 0) == [[], [call]]
    assert _garbled(Kind.SKIP, book, 0) == []


def test_the_call_a_speaker_is_not_offered_names_someone_of_the_case():
    case = _case("team-self-approve-en")
    offered = {"my_status", "update_my_email", "unregister_me"}
    tool, args = not_offered(case, 0, offered)
    assert tool not in offered
    assert set(args) <= {"rep", "prospect", "start", "status", "name", "email"}
    assert not_offered(case, 0, offered | {"approve_rep"})[0] != "approve_rep"


def test_the_sample_plays_every_case_once_and_spreads_the_kinds():
    sample = plan(CASES, sample=True)
    assert sorted(p.case.name for p in sample) == sorted(c.name for c in CASES)
    used = Counter(p.kind for p in sample)
    assert set(used) == set(KINDS)
    assert max(used.values()) - min(used.values()) <= len(CASES) // len(KINDS)


def test_the_full_plan_garbles_every_gold_call_in_every_way_that_applies():
    full = plan(CASES, sample=False)
    calls = sum(len(t.calls) for c in CASES for t in c.turns)
    by_kind = Counter(p.kind for p in full)
    for kind in (Kind.DUPLICATE, Kind.PARALLEL, Kind.BAD_JSON):
        assert by_kind[kind] == calls
    assert by_kind[Kind.OFFSET] >= 10
    assert len({p.site for p in full}) >= calls
