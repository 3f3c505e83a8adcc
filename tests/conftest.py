"""A real PostgreSQL for the whole session: the embedded server in a temporary folder
(stopped at the end, whatever happened), or the server at `DATABASE_URL`. Each test gets its
own migrated database (`db_dsn`, cloned from a template: about 0.2 s), or a connection inside
a transaction on a shared migrated database that is rolled back afterwards (`conn`: about 5 ms)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest

from db.embedded import throwaway_server
from db.migrate import migrate
from db.pool import connect, with_database
from tests.fakes import hubspot_schemas
from tests.fakes.hubspot import FakeHubSpot

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def hubspot_drift() -> Iterator[list[str]]:
    """Every fake HubSpot of a test checks its bodies against HubSpot's published models; an
    answer that drifted from them fails the test."""
    with hubspot_schemas.watch() as drift:
        yield drift
    assert drift == [], "the fake HubSpot drifted from HubSpot's published schemas"


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    if url := os.environ.get("DATABASE_URL"):
        yield url
        return
    with throwaway_server() as dsn:
        yield dsn


async def _admin(dsn: str, *statements: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def template_db(postgres_dsn: str) -> Iterator[str]:
    name = f"salesbot_template_{uuid.uuid4().hex[:8]}"

    async def build() -> None:
        await _admin(postgres_dsn, f'CREATE DATABASE "{name}"')
        conn = await connect(with_database(postgres_dsn, name))
        try:
            await migrate(conn)
        finally:
            await conn.close()

    asyncio.run(build())
    yield name
    asyncio.run(_admin(postgres_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def fresh_database(postgres_dsn: str, template: str = "template0") -> str:
    name = f"test_{uuid.uuid4().hex[:12]}"
    await _admin(postgres_dsn, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return name


@pytest.fixture
async def empty_dsn(postgres_dsn: str) -> AsyncIterator[str]:
    """A database with nothing in it, not even the schema."""
    name = await fresh_database(postgres_dsn)
    yield with_database(postgres_dsn, name)
    await _admin(postgres_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def db_dsn(postgres_dsn: str, template_db: str) -> AsyncIterator[str]:
    """A migrated database of this test's own."""
    name = await fresh_database(postgres_dsn, template_db)
    yield with_database(postgres_dsn, name)
    await _admin(postgres_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def shared_db(postgres_dsn: str, template_db: str) -> Iterator[str]:
    name = asyncio.run(fresh_database(postgres_dsn, template_db))
    yield with_database(postgres_dsn, name)
    asyncio.run(_admin(postgres_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def conn(shared_db: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection whose every change is rolled back after the test."""
    connection = await connect(shared_db)
    transaction = connection.transaction()
    await transaction.start()
    try:
        yield connection
    finally:
        await transaction.rollback()
        await connection.close()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """The HTTP client the real client libraries are given; its timeout is only a guard."""
    async with httpx.AsyncClient(timeout=30.0) as client:
        yield client


@pytest.fixture
async def hubspot_fake() -> AsyncIterator[FakeHubSpot]:
    """The fake HubSpot (its default token); a request HubSpot would refuse fails the test."""
    async with FakeHubSpot() as server:
        yield server
    assert server.violations == []


@pytest.fixture
async def talk(db_dsn: str) -> AsyncIterator[Any]:
    """A dialogue with the agent over its own database, the model scripted by the test."""
    from tests.agent.scripted import dialogue

    conversation, pool = await dialogue(db_dsn)
    yield conversation
    await pool.close()
