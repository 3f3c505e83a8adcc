"""Every dataset loads, every case comes in Russian and in English, and every case passes with
its own gold calls (what CI runs: the tools, rules, state and messages, deterministically)."""

from __future__ import annotations

from collections import Counter

import pytest

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
