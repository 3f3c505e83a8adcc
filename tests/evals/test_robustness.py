"""A misbehaving model never changes the state wrongly: the gold calls of every case, garbled
(a sample: each case once, the kinds spread evenly), leave the gold state or no change."""

from __future__ import annotations

import asyncio
import dataclasses

from evals.perturbations import KINDS, Kind, Perturbation
from evals.replay import Run
from evals.robustness import Finding, Verdict, difference, run_perturbed, verdict
from evals.world import State


def test_no_perturbation_of_any_case_leaves_a_wrong_state_or_breaks_a_turn(gold, postgres_dsn):
    cases = [o.case for o in gold.values()]
    runs = {name: o.trials[0].run for name, o in gold.items()}
    findings = asyncio.run(
        run_perturbed(cases, postgres_dsn, sample=True, gold=runs, concurrency=4)
    )
    assert {f.perturbation.case.name for f in findings} == set(gold)
    assert {f.perturbation.kind for f in findings} == set(KINDS)
    bad = [
        f"{f.perturbation.case.name}, {f.perturbation.label()}: {f.detail}"
        for f in findings
        if f.bad
    ]
    assert bad == []
    assert {f.verdict for f in findings} == {Verdict.GOLD, Verdict.UNCHANGED}


def _with(run: Run, **changes: object) -> Run:
    return dataclasses.replace(run, **changes)  # type: ignore[arg-type]


async def _judged(run: Run, gold: Run, left_out: Run) -> Finding:
    p = Perturbation(run.case, Kind.CASE, 0, 0)

    async def skip(_: Perturbation) -> Run:
        return left_out

    return await verdict(p, run, gold, skip)


def test_a_state_like_neither_the_gold_one_nor_the_unchanged_one_is_wrong(gold):
    run = gold["prospects-add-assign-en"].trials[0].run
    before = gold["registration-happy-en"].trials[0].run
    tables = {**run.state.tables}
    twin = [*tables["prospects"], tables["prospects"][-1]]
    doubled = _with(run, state=State({**tables, "prospects": twin}))
    assert difference(doubled.state, run.state) is not None
    assert difference(run.state, run.state) is None

    assert asyncio.run(_judged(run, run, before)).verdict is Verdict.GOLD
    assert asyncio.run(_judged(before, run, before)).verdict is Verdict.UNCHANGED
    wrong = asyncio.run(_judged(doubled, run, before))
    assert wrong.verdict is Verdict.WRONG and wrong.detail
    assert wrong.detail.startswith("prospects: an extra row name=")
    broken = asyncio.run(_judged(_with(run, failed_turns=["failed: InterfaceError"]), run, before))
    assert (broken.verdict, broken.detail) == (
        Verdict.FAILED,
        "a turn ended failed: InterfaceError",
    )
