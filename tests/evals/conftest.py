"""The eval suite runs on the tests' PostgreSQL server; the whole scripted suite once per
session (its outcomes are shared by the tests that read them)."""

from __future__ import annotations

import asyncio

import pytest

from evals import cases
from evals.runner import Outcome, run_suite


@pytest.fixture(scope="session")
def gold(postgres_dsn: str) -> dict[str, Outcome]:
    outcomes = asyncio.run(run_suite(cases.load(), postgres_dsn, concurrency=4))
    return {o.case.name: o for o in outcomes}
