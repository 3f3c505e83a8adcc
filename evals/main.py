"""`salesbot eval`: load the datasets, run the suite with a progress bar, print the summary
(and the transcripts with `--show`), write the JSON report, and say whether it passed."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from pydantic_ai.models import Model
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from agent.model import build_model
from agent.settings import Settings
from evals import cases as datasets
from evals import robustness
from evals.cases import Case
from evals.perturbations import plan
from evals.players import idle_model
from evals.report import pass_hat, print_summary, print_transcript, summary
from evals.runner import default_concurrency, run_suite, server

PERTURBED = "perturbed"


@dataclass(frozen=True)
class EvalOptions:
    paths: list[Path]
    model: str = "scripted"
    trials: int = 1
    min_pass: float = 1.0
    report: Path | None = None
    show: bool = False
    concurrency: int = 0


def model_for(name: str, settings: Settings) -> Model | None:
    """None for the gold calls; raises ModelNotConfigured for a model without a key or URL."""
    if name == "scripted":
        return None
    if name == "idle":
        return idle_model()
    return build_model(settings.model_copy(update={"salesbot_model": name}))


async def evaluate(options: EvalOptions, settings: Settings, console: Console) -> int:
    """Runs the suite; 0 when pass^1 reaches `min_pass`, else 1."""
    cases = datasets.load(options.paths)
    if options.model == PERTURBED:
        return await _perturbed(cases, options, settings, console)
    model = model_for(options.model, settings)
    runs = len(cases) * (options.trials + (model is not None))
    name = "scripted (gold calls)" if model is None else model.model_name
    started = time.perf_counter()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with (
        server(settings.database_url) as dsn,
        Progress(*columns, TimeElapsedColumn(), console=console, transient=True) as progress,
    ):
        task = progress.add_task("eval", total=runs)
        outcomes = await run_suite(
            cases,
            dsn,
            model=model,
            trials=options.trials,
            concurrency=options.concurrency or default_concurrency(),
            done=lambda case: progress.update(task, advance=1, description=case.name),
        )
    report = summary(outcomes, seconds=time.perf_counter() - started, model=name)
    if options.show:
        for outcome in outcomes:
            for trial in outcome.trials:
                print_transcript(console, trial.run, trial.failure)
    print_summary(console, report)
    if options.report:
        options.report.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    return 0 if pass_hat(outcomes, 1) >= options.min_pass else 1


async def _perturbed(
    cases: list[Case], options: EvalOptions, settings: Settings, console: Console
) -> int:
    """Every perturbation of every gold call; 0 when none left a wrong state or broke a turn."""
    started = time.perf_counter()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with (
        server(settings.database_url) as dsn,
        Progress(*columns, TimeElapsedColumn(), console=console, transient=True) as progress,
    ):
        task = progress.add_task("eval", total=len(plan(cases, sample=False)))
        findings = await robustness.run_perturbed(
            cases,
            dsn,
            sample=False,
            concurrency=options.concurrency or default_concurrency(),
            done=lambda label: progress.update(task, advance=1, description=label),
        )
    report = robustness.summary(findings, seconds=time.perf_counter() - started)
    robustness.print_summary(console, report)
    if options.report:
        options.report.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    return 1 if report["bad"] else 0
