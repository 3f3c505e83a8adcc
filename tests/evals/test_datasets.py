"""Every dataset loads, every case comes in Russian and in English, and every case passes with
its own gold calls (what CI runs: the tools, rules, state and messages, deterministically)."""

from __future__ import annotations

from collections import Counter

import pytest
from pydantic import ValidationError

from db.scheduler import EventKind
from evals import cases

CASES = cases.load()


@pytest.mark.parametrize("name", [c.name for c in CASES])
def test_the_case_passes_with_its_gold_calls(gold, name):
    (trial,) = gold[name].trials
    assert trial.failure is None, trial.failure


def test_every_case_is_in_russian_and_in_english():
    bases = Counter(c.name.rsplit("-", 1)[0] for c in CASES)
    languages = {c.name: c.name.rsplit("-", 1)[1] for c in CASES}
    assert set(languages.values()) == {"ru", "en"}
    assert {base for base, n in bases.items() if n != 2} == set()
    for case in CASES:
        assert case.expect.language == languages[case.name], case.name


def test_the_suite_is_large_enough():
    assert len(CASES) >= 80


def test_every_event_kind_is_played_by_some_case():
    played = {t.event for c in CASES for t in c.turns if t.event is not None}
    expected = {e.get("event") for c in CASES for e in c.expect.events}
    assert set(EventKind) <= played | expected


def test_a_case_naming_an_unknown_event_kind_does_not_load():
    case = {
        "name": "x-en",
        "clock": "2026-11-20T10:00:00+08:00",
        "turns": [{"event": "birthday", "to": 1}],
    }
    with pytest.raises(ValidationError, match="birthday"):
        cases.Case.model_validate(case)
    expect = {"events": [{"to": 1, "event": "birthday"}]}
    with pytest.raises(ValidationError, match="birthday"):
        cases.Case.model_validate(case | {"turns": [{"tick": True}], "expect": expect})


def test_a_case_with_a_setting_that_does_not_exist_or_a_wrong_value_does_not_load():
    case = {
        "name": "x-en",
        "clock": "2026-11-20T10:00:00+08:00",
        "turns": [{"from": 1, "voice": {"say": "hello", "seconds": 5}}],
    }
    assert cases.Case.model_validate(case | {"settings": {"voice_max_seconds": 60}})
    with pytest.raises(ValidationError, match="no such setting: voice_seconds"):
        cases.Case.model_validate(case | {"settings": {"voice_seconds": 60}})
    with pytest.raises(ValidationError, match="voice_max_seconds"):
        cases.Case.model_validate(case | {"settings": {"voice_max_seconds": 0}})
    with pytest.raises(ValidationError, match="a file or a voice note needs `from`"):
        cases.Case.model_validate(case | {"turns": [{"voice": {"say": "hello"}}]})
