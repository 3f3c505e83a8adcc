"""`salesbot eval` as a user runs it: the summary, the transcripts, the JSON report, and the
exit code against `--min-pass`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from evals.cases import DATASETS


def salesbot(dsn: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": dsn, "COLUMNS": "200"}
    command = [sys.executable, "-m", "agent.cli", "eval", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)


def test_a_passing_dataset_reports_and_exits_zero(postgres_dsn, tmp_path):
    report = tmp_path / "report.json"
    done = salesbot(
        postgres_dsn, str(DATASETS / "registration.yaml"), "--show", "--report", str(report)
    )
    assert done.returncode == 0, done.stderr
    assert "@ivan_sales: привет" in done.stdout
    assert (
        "↳ register_rep(name='Иван Иванов', email='ivan@truerealestate.bali') → ok" in done.stdout
    )
    assert "pass^1 100.0%" in done.stdout
    data = json.loads(report.read_text())
    assert data["model"] == "scripted (gold calls)"
    assert data["pass"] == {"pass^1": 1.0}
    assert {c["name"] for c in data["cases_detail"]} >= {"registration-happy-ru"}
    assert all(c["passed"] == 1 for c in data["cases_detail"])


def test_below_min_pass_it_exits_one_and_names_the_difference(postgres_dsn, tmp_path):
    raw = yaml.safe_load((DATASETS / "registration.yaml").read_text())
    happy = [c for c in raw if c["name"] in ("registration-happy-ru", "registration-happy-en")]
    happy[0]["expect"]["reps"][0]["status"] = "suspended"
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(happy, allow_unicode=True, sort_keys=False))
    done = salesbot(postgres_dsn, str(broken), "--min-pass", "0.6")
    assert done.returncode == 1
    assert "✗ registration-happy-ru (trial 1): reps: no row with telegram_id=501" in done.stdout
    assert "status='suspended'" in done.stdout
    assert salesbot(postgres_dsn, str(broken), "--min-pass", "0.0").returncode == 0


def test_a_bad_dataset_is_named(postgres_dsn, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("- name: x\n  clock: 2026-11-20T10:00:00\n  turns: [{say: hi}]\n")
    done = salesbot(postgres_dsn, str(bad))
    assert done.returncode == 2
    assert "bad.yaml" in done.stderr and "clock needs an offset" in done.stderr
    assert "a message or a press needs `from`" in done.stderr


def test_a_model_without_a_key_says_what_to_set(postgres_dsn):
    env_free = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI")}
    command = [sys.executable, "-m", "agent.cli", "eval", "--model", "gpt-4.1"]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env={**env_free, "DATABASE_URL": postgres_dsn},
        timeout=60,
        cwd=Path(__file__).parent,
    )
    assert done.returncode == 2
    assert "set OPENAI_API_KEY" in done.stderr


def test_the_perturbed_player_reports_its_verdicts_per_kind_and_per_case(postgres_dsn, tmp_path):
    raw = yaml.safe_load((DATASETS / "registration.yaml").read_text())
    mine = [c for c in raw if c["name"].startswith("registration-my-status")]
    dataset = tmp_path / "status.yaml"
    dataset.write_text(yaml.safe_dump(mine, allow_unicode=True, sort_keys=False))
    report = tmp_path / "report.json"
    done = salesbot(postgres_dsn, str(dataset), "--model", "perturbed", "--report", str(report))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "perturbed gold calls" in done.stdout and "WRONG 0, FAILED 0" in done.stdout
    data = json.loads(report.read_text())
    assert set(data["cases"]) == {"registration-my-status-ru", "registration-my-status-en"}
    assert set(data["kinds"]) == {"bad_json", "duplicate", "not_offered", "parallel"}
    assert data["bad"] == []
    assert data["runs"] == sum(sum(counts.values()) for counts in data["cases"].values())
