"""Which of a look-up's rows are what someone meant: the `find` queries rank, this picks."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg


def best(rows: Sequence[asyncpg.Record]) -> list[asyncpg.Record]:
    """An exact match on an identifier stands alone; otherwise the names that matched best (a
    whole word beats a word's beginning), so "Иван" is not asked about "Иванна"."""
    exact = [r for r in rows if r["exact"]]
    if len(exact) == 1:
        return exact
    top = max((r["named"] for r in rows), default=0)
    return [r for r in rows if r["exact"] or r["named"] == top]
