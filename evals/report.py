"""What the suite found: pass^k over the trials (τ-bench), per case the first difference in
words, tokens, requests and latency; as tables for people, JSON for machines, and each case's
transcript as the users saw it."""

from __future__ import annotations

import statistics
from math import comb
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from evals.replay import Run
from evals.runner import Outcome


def pass_hat(outcomes: list[Outcome], k: int) -> float:
    """The chance that all of k trials of a case pass, averaged over the cases (τ-bench's
    unbiased estimate from n ≥ k trials with c passes: C(c, k) / C(n, k))."""
    scores = [comb(sum(t.passed for t in o.trials), k) / comb(len(o.trials), k) for o in outcomes]
    return sum(scores) / len(scores) if scores else 0.0


def summary(outcomes: list[Outcome], *, seconds: float, model: str) -> dict[str, Any]:
    trials = max((len(o.trials) for o in outcomes), default=0)
    runs = [t.run for o in outcomes for t in o.trials]
    turn_times = [s.seconds for r in runs for s in r.steps if s.seconds]
    return {
        "model": model,
        "cases": len(outcomes),
        "trials": trials,
        "runs": len(runs),
        "pass": {f"pass^{k}": round(pass_hat(outcomes, k), 4) for k in range(1, trials + 1)},
        "requests": sum(r.requests for r in runs),
        "input_tokens": sum(r.input_tokens for r in runs),
        "output_tokens": sum(r.output_tokens for r in runs),
        "turn_seconds": _spread(turn_times),
        "wall_seconds": round(seconds, 2),
        "cases_detail": [_case(o) for o in outcomes],
    }


def _case(outcome: Outcome) -> dict[str, Any]:
    return {
        "name": outcome.case.name,
        "source": outcome.case.source,
        "tags": outcome.case.tags,
        "passed": sum(t.passed for t in outcome.trials),
        "trials": [
            {
                "passed": t.passed,
                "failure": t.failure,
                "requests": t.run.requests,
                "input_tokens": t.run.input_tokens,
                "output_tokens": t.run.output_tokens,
                "seconds": round(t.run.seconds, 3),
            }
            for t in outcome.trials
        ],
    }


def _spread(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median": round(statistics.median(ordered), 4), "p95": round(p95, 4)}


def print_summary(console: Console, report: dict[str, Any]) -> None:
    table = Table(title=f"salesbot eval — {report['model']}", show_lines=False)
    for column in ("dataset", "cases", "passed", "failed"):
        table.add_column(column, justify="left" if column == "dataset" else "right")
    by_source: dict[str, list[dict[str, Any]]] = {}
    for case in report["cases_detail"]:
        by_source.setdefault(case["source"], []).append(case)
    for source, cases in sorted(by_source.items()):
        full = sum(c["passed"] == len(c["trials"]) for c in cases)
        table.add_row(source, str(len(cases)), str(full), str(len(cases) - full))
    console.print(table)
    for case in report["cases_detail"]:
        for n, trial in enumerate(case["trials"], 1):
            if not trial["passed"]:
                console.print(
                    f"[red]✗ {escape(case['name'])}[/red] (trial {n}): {escape(trial['failure'])}",
                    highlight=False,
                )
    scores = "  ".join(f"{k} {v:.1%}" for k, v in report["pass"].items())
    turn = report["turn_seconds"]
    console.print(
        f"{report['cases']} cases × {report['trials']} trial(s): {scores}\n"
        f"model requests {report['requests']}, tokens in {report['input_tokens']} / out "
        f"{report['output_tokens']}; turn latency median {turn.get('median', 0) * 1000:.0f} ms, "
        f"p95 {turn.get('p95', 0) * 1000:.0f} ms; {report['wall_seconds']:.1f} s in all",
        highlight=False,
    )


def print_transcript(console: Console, run: Run, failure: str | None) -> None:
    mark = "[green]✓[/green]" if failure is None else "[red]✗[/red]"
    console.rule(f"{mark} {escape(run.case.name)}  [dim]{escape(run.case.source)}[/dim]")
    for step in run.steps:
        console.print(f"[bold]{escape(step.shown)}[/bold]", highlight=False)
        for call in step.calls:
            outcome = call["outcome"] if call["allowed"] else "refused"
            console.print(
                f"  [dim]↳ {call['tool']}({escape(_args(call['args']))}) → {outcome}[/dim]",
                highlight=False,
            )
        for message in step.messages:
            text = escape(message.text).replace("\n", "\n      ")
            console.print(f"  [green]bot → {message.chat_id}:[/green] {text}", highlight=False)
            for row in message.buttons or []:
                console.print("      " + "  ".join(f"[{escape(b['text'])}]" for b in row))
    if failure:
        console.print(f"[red]{escape(failure)}[/red]", highlight=False)


def _args(args: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in args.items())
