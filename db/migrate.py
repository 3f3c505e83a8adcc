"""Applies `db/migrations/NNN_name.sql` in order, each in its own transaction.

An advisory lock makes concurrent runners take turns; the second finds nothing left to do.
A migration edited after it was applied is refused rather than silently skipped.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources

import asyncpg

from db.queries import Connection, Queries

_q = Queries("migrations")
_FILE = re.compile(r"^(\d{3})_(\w+)\.sql$")
LOCK_KEY = 0x5A1E5B07


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def discover() -> list[Migration]:
    found: dict[int, Migration] = {}
    for entry in resources.files("db").joinpath("migrations").iterdir():
        match = _FILE.match(entry.name)
        if match is None:
            continue
        version = int(match.group(1))
        if version in found:
            raise MigrationError(f"two migrations are numbered {version:03d}")
        found[version] = Migration(version, match.group(2), entry.read_text(encoding="utf-8"))
    return [found[v] for v in sorted(found)]


async def migrate(
    conn: Connection, *, migrations: list[Migration] | None = None
) -> list[Migration]:
    """Applies what is missing and returns it; safe to run twice or from two processes."""
    migrations = discover() if migrations is None else migrations
    await _q.execute(conn, "lock", key=LOCK_KEY)
    try:
        await _q.execute(conn, "create_table")
        applied = {r["version"]: r["checksum"] for r in await _q.fetch(conn, "applied")}
        for m in migrations:
            if m.version in applied and applied[m.version] != m.checksum:
                raise MigrationError(
                    f"migration {m.version:03d}_{m.name} changed after it was applied; "
                    "add a new migration instead"
                )
        todo = [m for m in migrations if m.version not in applied]
        for m in todo:
            async with conn.transaction():
                await conn.execute(m.sql)
                await _q.execute(
                    conn, "record", version=m.version, name=m.name, checksum=m.checksum
                )
        return todo
    finally:
        await _q.execute(conn, "unlock", key=LOCK_KEY)


async def applied_migrations(conn: Connection) -> list[asyncpg.Record]:
    if not await _q.fetchval(conn, "table_exists"):
        return []
    return await _q.fetch(conn, "applied")
