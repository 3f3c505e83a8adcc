"""A misbehaving model never changes the state wrongly: each perturbed run of a case must leave
the state its gold calls leave (the tool understood the garbled call, or ignored what it added),
or the state with the perturbed call left out (the tool refused it); anything else is WRONG, and
a turn that broke where the gold run's did not is FAILED. Counted per case."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from agent.assistant import build_agent
from evals.cases import Case
from evals.perturbations import Kind, Perturbation, plan
from evals.players import PerturbedPlayer
from evals.replay import Run, replay
from evals.runner import Databases
from evals.world import State


class Verdict(StrEnum):
    GOLD = "gold"
    UNCHANGED = "unchanged"
    WRONG = "WRONG"
    FAILED = "FAILED"


@dataclass(frozen=True)
class Finding:
    perturbation: Perturbation
    verdict: Verdict
    detail: str | None = None
    """For WRONG, how the state differs from the gold one; for FAILED, how the turn ended."""

    @property
    def bad(self) -> bool:
        return self.verdict in (Verdict.WRONG, Verdict.FAILED)


async def run_perturbed(
    cases: list[Case],
    dsn: str,
    *,
    sample: bool,
    gold: dict[str, Run] | None = None,
    concurrency: int = 4,
    done: Callable[[str], None] = lambda label: None,
) -> list[Finding]:
    """Every perturbation of the plan; the gold runs are played too unless given by case name.
    The run with the call left out is played only when the perturbed one is not gold."""
    perturbations = plan(cases, sample=sample)
    agent = build_agent()
    limit = asyncio.Semaphore(concurrency)
    skipped: dict[tuple[str, int, int], asyncio.Task[Run]] = {}
    golden: dict[str, asyncio.Task[Run]] = {}

    async with Databases(dsn) as databases:

        async def play(case: Case, player: PerturbedPlayer | None) -> Run:
            async with limit, databases.fresh() as case_dsn:
                return await replay(case, case_dsn, agent, None, player=player)

        async def gold_run(case: Case) -> Run:
            if gold is not None:
                return gold[case.name]
            if case.name not in golden:
                golden[case.name] = asyncio.ensure_future(play(case, None))
            return await golden[case.name]

        async def skip_run(p: Perturbation) -> Run:
            if p.site not in skipped:
                left_out = Perturbation(p.case, Kind.SKIP, p.turn, p.call)
                skipped[p.site] = asyncio.ensure_future(play(p.case, PerturbedPlayer(left_out)))
            return await skipped[p.site]

        async def judge(p: Perturbation) -> Finding:
            run, reference = await asyncio.gather(
                play(p.case, PerturbedPlayer(p)), gold_run(p.case)
            )
            done(p.label())
            return await verdict(p, run, reference, skip_run)

        return list(await asyncio.gather(*(judge(p) for p in perturbations)))


async def verdict(
    p: Perturbation,
    run: Run,
    gold: Run,
    skip_run: Callable[[Perturbation], Awaitable[Run]],
) -> Finding:
    """Gold, unchanged (the run with the call left out is asked for only then), or not."""
    if run.error:
        return Finding(p, Verdict.FAILED, run.error)
    if gold.error:
        return Finding(p, Verdict.FAILED, f"the gold run broke: {gold.error}")
    if new := sorted((Counter(run.failed_turns) - Counter(gold.failed_turns)).elements()):
        return Finding(p, Verdict.FAILED, f"a turn ended {new[0]}")
    if difference(run.state, gold.state) is None:
        return Finding(p, Verdict.GOLD)
    left_out = await skip_run(p)
    if not left_out.error and difference(run.state, left_out.state) is None:
        return Finding(p, Verdict.UNCHANGED)
    return Finding(p, Verdict.WRONG, difference(run.state, gold.state))


def difference(actual: State, expected: State) -> str | None:
    """The first row one state has more or fewer times than the other (duplicates count)."""
    mine, theirs = actual.compared(), expected.compared()
    for table in theirs:
        have = Counter(map(_frozen, mine[table]))
        want = Counter(map(_frozen, theirs[table]))
        if extra := have - want:
            return f"{table}: an extra row {_row(next(iter(extra)))}"
        if missing := want - have:
            return f"{table}: a row is missing: {_row(next(iter(missing)))}"
    return None


def summary(findings: list[Finding], *, seconds: float) -> dict[str, Any]:
    cases: dict[str, Counter[str]] = {}
    for f in findings:
        cases.setdefault(f.perturbation.case.name, Counter())[f.verdict.value] += 1
    return {
        "model": "perturbed (gold calls garbled)",
        "runs": len(findings),
        "verdicts": dict(Counter(f.verdict.value for f in findings)),
        "kinds": {
            kind: dict(Counter(f.verdict.value for f in findings if f.perturbation.kind == kind))
            for kind in sorted({f.perturbation.kind.value for f in findings})
        },
        "cases": {name: dict(counts) for name, counts in cases.items()},
        "bad": [
            {
                "case": f.perturbation.case.name,
                "perturbation": f.perturbation.label(),
                "verdict": f.verdict.value,
                "detail": f.detail,
            }
            for f in findings
            if f.bad
        ],
        "wall_seconds": round(seconds, 2),
    }


def print_summary(console: Console, report: dict[str, Any]) -> None:
    table = Table(title="salesbot eval — perturbed gold calls")
    table.add_column("kind")
    for verdict in Verdict:
        table.add_column(verdict.value, justify="right")
    for kind, counts in report["kinds"].items():
        table.add_row(kind, *(str(counts.get(v.value, 0)) for v in Verdict))
    console.print(table)
    for bad in report["bad"]:
        console.print(
            f"[red]✗ {escape(bad['case'])}[/red] ({escape(bad['perturbation'])}): "
            f"{bad['verdict']}: {escape(bad['detail'] or '')}",
            highlight=False,
        )
    verdicts = ", ".join(f"{v.value} {report['verdicts'].get(v.value, 0)}" for v in Verdict)
    console.print(
        f"{len(report['cases'])} cases, {report['runs']} perturbed runs: {verdicts}; "
        f"{report['wall_seconds']:.1f} s in all",
        highlight=False,
    )


def _frozen(row: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in row.items())


def _row(row: tuple[tuple[str, Any], ...]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in row)
