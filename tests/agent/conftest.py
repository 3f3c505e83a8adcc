from collections.abc import AsyncIterator

import pytest

from tests.agent.scripted import Dialogue, dialogue


@pytest.fixture
async def talk(db_dsn: str) -> AsyncIterator[Dialogue]:
    talk, pool = await dialogue(db_dsn)
    yield talk
    await pool.close()
