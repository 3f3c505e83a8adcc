"""Connections to PostgreSQL."""

from __future__ import annotations

import json
import urllib.parse

import asyncpg

AWAY = (
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,  # a protocol state left by a connection lost mid-query
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
)
"""What the client raises when the server is away (restarting, unreachable, full) rather than
refusing what was asked: the transaction was rolled back (or, lost during its commit, may have
committed), so work fenced on its claim may be tried again once the server is back."""


def database_away(error: BaseException) -> bool:
    """Whether `error`, or an error it was raised while handling, says the server is away; or
    `error` is a failure to reach it (a socket refused). A timeout is a deadline, not this, and
    a socket error deeper in the chain is another client's (the model's HTTP)."""
    if isinstance(error, OSError) and not isinstance(error, TimeoutError):
        return True
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, AWAY):
            return True
        seen = seen.__cause__ or (None if seen.__suppress_context__ else seen.__context__)
    return False


async def _init_connection(conn: asyncpg.Connection) -> None:
    for name in ("json", "jsonb"):
        await conn.set_type_codec(name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Replaces asyncpg's reset on release, a round trip per turn (advisory unlock, UNLISTEN,
    RESET ALL). Nothing here leaves session state behind: no SET, no cursors, no temporary
    tables; the listener unlistens before it gives its connection back and the migration lock
    is released in a `finally`. asyncpg still rolls back an open transaction itself."""


async def connect(dsn: str) -> asyncpg.Connection:
    conn = await asyncpg.connect(dsn)
    await _init_connection(conn)
    return conn


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, init=_init_connection, reset=_keep_session
    )
    assert pool is not None
    return pool


def with_database(dsn: str, database: str) -> str:
    """The same server, another database."""
    parts = urllib.parse.urlsplit(dsn)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{database}"))
