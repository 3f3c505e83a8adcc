"""Embedded database start-up: the first start (initdb, start, migrations) and a warm start
(an existing cluster: start, connect, nothing to migrate).

    python bench/embedded_start.py [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from db.embedded import EmbeddedPostgres
from db.migrate import migrate
from db.pool import connect


async def _migrate(dsn: str) -> int:
    conn = await connect(dsn)
    try:
        return len(await migrate(conn))
    finally:
        await conn.close()


def _timed(server: EmbeddedPostgres) -> tuple[float, int]:
    started = time.perf_counter()
    applied = asyncio.run(_migrate(server.start()))
    return time.perf_counter() - started, applied


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    cold, warm = [], []
    for _ in range(runs):
        folder = Path(tempfile.mkdtemp(prefix="salesbot-bench-"))
        folder.chmod(0o755)
        server = EmbeddedPostgres(folder / "data")
        try:
            seconds, applied = _timed(server)
            assert applied > 0
            cold.append(seconds)
            server.stop()
            seconds, applied = _timed(server)
            assert applied == 0
            warm.append(seconds)
        finally:
            server.stop(force=True)
            shutil.rmtree(folder, ignore_errors=True)
    for label, values in (("first start + migrations", cold), ("warm start", warm)):
        print(
            f"{label:26} median {statistics.median(values):.2f} s, "
            f"max {max(values):.2f} s over {runs} runs"
        )


if __name__ == "__main__":
    main()
