"""The server being away is told from a query refused: only the first is worth trying again."""

from __future__ import annotations

import asyncpg
import pytest

from db.pool import connect, database_away

LOST = (asyncpg.InterfaceError, asyncpg.InternalClientError, asyncpg.PostgresConnectionError)
"""Which of these is raised depends on when the client notices."""


async def test_a_connection_the_server_dropped_says_it_is_away(db_dsn: str) -> None:
    doomed, other = await connect(db_dsn), await connect(db_dsn)
    try:
        await other.execute("SELECT pg_terminate_backend($1)", doomed.get_server_pid())
        with pytest.raises(LOST) as raised:
            await doomed.fetchval("SELECT 1")
        assert database_away(raised.value)
    finally:
        await other.close()
        await doomed.close()


async def test_no_server_to_connect_to_is_away(db_dsn: str) -> None:
    with pytest.raises(FileNotFoundError) as raised:
        await connect(db_dsn.replace("host=", "host=%2Fnowhere") + "&port=1")
    assert database_away(raised.value)


async def test_a_query_refused_is_not_the_server_away(conn: asyncpg.Connection) -> None:
    with pytest.raises(asyncpg.PostgresError) as raised:
        await conn.execute("SELECT 1 / 0")
    assert not database_away(raised.value)


def raised_while(handling: BaseException, error: Exception) -> Exception:
    try:
        try:
            raise handling
        except BaseException:
            raise error  # noqa: B904
    except Exception as e:
        return e


def test_what_is_raised_while_handling_a_lost_connection_is_the_server_away() -> None:
    lost = asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation")
    assert database_away(raised_while(lost, RuntimeError("rolling back")))
    assert not database_away(TimeoutError())  # the turn's deadline
    assert not database_away(raised_while(ConnectionRefusedError(), RuntimeError("the model")))
