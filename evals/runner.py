"""The suite: every case on a fresh database cloned from one migrated template, several at
once; with the gold calls (scripted), or with a model whose final state is compared with the
state the gold calls leave."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field

import asyncpg
from pydantic_ai.models import Model

from agent.assistant import build_agent
from db.embedded import throwaway_server
from db.migrate import migrate
from db.pool import connect, with_database
from evals.cases import Case
from evals.replay import Run, replay
from evals.scoring import judge


@dataclass
class Trial:
    run: Run
    failure: str | None

    @property
    def passed(self) -> bool:
        return self.failure is None


@dataclass
class Outcome:
    case: Case
    trials: list[Trial] = field(default_factory=list)
    gold: Run | None = None


@contextlib.contextmanager
def server(database_url: str | None) -> Iterator[str]:
    """`DATABASE_URL`'s server, or a throwaway embedded one (no fsync: nothing here is kept)."""
    if database_url:
        yield database_url
        return
    with throwaway_server() as dsn:
        yield dsn


class Databases:
    """A migrated template, and a fresh clone of it for each run (milliseconds, not a
    migration); every database made is dropped at the end."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.template = f"salesbot_eval_{uuid.uuid4().hex[:8]}"

    async def __aenter__(self) -> Databases:
        await self._admin(f'CREATE DATABASE "{self.template}"')
        conn = await connect(with_database(self.dsn, self.template))
        try:
            await migrate(conn)
        finally:
            await conn.close()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._admin(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')

    @contextlib.asynccontextmanager
    async def fresh(self) -> AsyncIterator[str]:
        name = f"{self.template}_{uuid.uuid4().hex[:8]}"
        await self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        try:
            yield with_database(self.dsn, name)
        finally:
            await self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    async def _admin(self, statement: str) -> None:
        conn = await asyncpg.connect(self.dsn)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()


async def run_suite(
    cases: list[Case],
    dsn: str,
    *,
    model: Model | None = None,
    trials: int = 1,
    concurrency: int = 4,
    done: Callable[[Case], None] = lambda case: None,
) -> list[Outcome]:
    """`model=None` plays the gold calls; `done` is told after each run (for a progress bar)."""
    agent = build_agent()
    limit = asyncio.Semaphore(concurrency)

    async with Databases(dsn) as databases:

        async def once(case: Case, played: Model | None) -> Run:
            async with limit, databases.fresh() as case_dsn:
                run = await replay(case, case_dsn, agent, played)
            done(case)
            return run

        async def evaluate(case: Case) -> Outcome:
            outcome = Outcome(case)
            if model is not None:
                outcome.gold = await once(case, None)
            gold_state = outcome.gold.state if outcome.gold and not outcome.gold.error else None
            runs = await asyncio.gather(*(once(case, model) for _ in range(trials)))
            for run in runs:
                failure = _broken_gold(outcome) or judge(run, gold_state, scripted=model is None)
                outcome.trials.append(Trial(run, failure))
            return outcome

        return list(await asyncio.gather(*(evaluate(c) for c in cases)))


def _broken_gold(outcome: Outcome) -> str | None:
    """A case whose own gold calls fail its checks cannot judge a model."""
    if outcome.gold is not None and (failure := judge(outcome.gold)):
        return f"the gold run fails: {failure}"
    return None


def default_concurrency() -> int:
    return max(2, min(8, 2 * (os.cpu_count() or 1)))
