"""One claim protocol for every queue (the inbox, the outbox). A worker claims a row with a
lease, and the claim counts an attempt; whatever the worker then does to the row is fenced on
its name and that attempt, and says whether the claim still held. A worker whose lease ran out
and whose row was claimed again, even by a process of the same name, is refused and leaves the
row to the new holder.

Each queue's `.sql` file has the same fenced `extend` and `release`; what finishes a row (done,
sent, blocked) is the queue's own, with the same fence."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from db.queries import Executor, Queries


class Claimed(Protocol):
    """A row held by a claim: which row, which worker, which attempt at it."""

    @property
    def id(self) -> int: ...

    @property
    def worker(self) -> str: ...

    @property
    def attempt(self) -> int: ...


def fence(claim: Claimed) -> dict[str, Any]:
    """The parameters of every fenced query: `id`, `worker` and `attempt`."""
    return {"id": claim.id, "worker": claim.worker, "attempt": claim.attempt}


async def extend(
    queue: Queries, db: Executor, *, held: Sequence[Claimed], until: datetime
) -> set[int]:
    """Keeps the leases of claims that still hold until `until`; returns their rows' ids."""
    rows = await queue.fetch(
        db,
        "extend",
        ids=[c.id for c in held],
        workers=[c.worker for c in held],
        attempts=[c.attempt for c in held],
        until=until,
    )
    return {r["id"] for r in rows}


async def release(
    queue: Queries,
    db: Executor,
    *,
    claim: Claimed,
    not_before: datetime,
    error: str | None = None,
    counts: bool = True,
) -> bool:
    """Gives the row back, to be claimed from `not_before`: a failed attempt counts (unless
    `counts` is False: it was not the row's fault); a release without an error (a shutdown, a
    wait asked for) does not. False when the claim was lost."""
    refund = 0 if error and counts else 1
    released = await queue.fetchval(
        db, "release", **fence(claim), not_before=not_before, error=error, refund=refund
    )
    return released is not None
