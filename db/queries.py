"""Named SQL queries, read lazily from `db/sql/*.sql`.

A file holds queries that each start with a `-- name: NAME` line. Parameters are written
`:name` in the SQL and passed as keywords; they become asyncpg's `$n` placeholders.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

import asyncpg

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

Connection: TypeAlias = "asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]"
"""A connection of one's own or one borrowed from a pool: what a transaction runs on."""

_NAME = re.compile(r"^--\s*name:\s*(\w+)\s*$", re.MULTILINE)
_PARAM = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")


class Executor(Protocol):
    """A connection, a pooled connection or a pool: anything asyncpg can run a query on."""

    async def fetch(self, query: str, *args: Any, timeout: float | None = None) -> list[Any]: ...

    async def fetchrow(self, query: str, *args: Any, timeout: float | None = None) -> Any: ...

    async def fetchval(
        self, query: str, *args: Any, column: int = 0, timeout: float | None = None
    ) -> Any: ...

    async def execute(self, query: str, *args: Any, timeout: float | None = None) -> str: ...


@dataclass(frozen=True, slots=True)
class Query:
    name: str
    sql: str
    params: tuple[str, ...]

    def args(self, values: dict[str, Any]) -> list[Any]:
        missing = set(self.params) - values.keys()
        extra = values.keys() - set(self.params)
        if missing or extra:
            raise TypeError(
                f"query {self.name}: missing {sorted(missing)}, unexpected {sorted(extra)}"
            )
        return [values[p] for p in self.params]


def compile_query(name: str, text: str) -> Query:
    params: list[str] = []

    def placeholder(match: re.Match[str]) -> str:
        param = match.group(1)
        if param not in params:
            params.append(param)
        return f"${params.index(param) + 1}"

    return Query(name=name, sql=_PARAM.sub(placeholder, text).strip(), params=tuple(params))


def parse(text: str) -> dict[str, Query]:
    parts = _NAME.split(text)
    queries = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        if name in queries:
            raise ValueError(f"query {name} is defined twice")
        queries[name] = compile_query(name, body)
    return queries


@functools.cache
def load(file: str, package: str = "db") -> dict[str, Query]:
    text = resources.files(package).joinpath("sql", f"{file}.sql").read_text(encoding="utf-8")
    return parse(text)


class Queries:
    """The queries of one `.sql` file (in `PACKAGE/sql/`), run by name with keyword parameters."""

    def __init__(self, file: str, package: str = "db") -> None:
        self.file = file
        self.package = package

    def __getitem__(self, name: str) -> Query:
        return load(self.file, self.package)[name]

    async def fetch(self, db: Executor, name: str, /, **params: Any) -> list[asyncpg.Record]:
        query = self[name]
        return await db.fetch(query.sql, *query.args(params))

    async def fetchrow(self, db: Executor, name: str, /, **params: Any) -> asyncpg.Record | None:
        query = self[name]
        row: asyncpg.Record | None = await db.fetchrow(query.sql, *query.args(params))
        return row

    async def fetchval(self, db: Executor, name: str, /, **params: Any) -> Any:
        query = self[name]
        return await db.fetchval(query.sql, *query.args(params))

    async def execute(self, db: Executor, name: str, /, **params: Any) -> str:
        query = self[name]
        return await db.execute(query.sql, *query.args(params))


@contextlib.asynccontextmanager
async def savepoint(db: Executor) -> AsyncIterator[None]:
    """Confines a statement that may fail on purpose (a unique violation): inside a transaction,
    a failed statement would otherwise abort everything the turn did. A pool needs none."""
    transaction = getattr(db, "transaction", None)
    if transaction is None:
        yield
        return
    async with transaction():
        yield
