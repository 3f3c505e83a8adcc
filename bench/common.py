"""A throwaway embedded database for benchmarks."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from db.embedded import EmbeddedPostgres
from db.migrate import migrate
from db.pool import connect


@contextlib.asynccontextmanager
async def scratch_database(*, durable: bool = False) -> AsyncIterator[str]:
    """`durable` keeps PostgreSQL's default fsync, as a real deployment runs."""
    folder = Path(tempfile.mkdtemp(prefix="salesbot-bench-"))
    folder.chmod(0o755)
    server = EmbeddedPostgres(folder / "data", settings={} if durable else {"fsync": "off"})
    try:
        dsn = server.start()
        conn = await connect(dsn)
        await migrate(conn)
        await conn.close()
        yield dsn
    finally:
        server.stop(force=True)
        shutil.rmtree(folder, ignore_errors=True)
