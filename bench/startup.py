"""Start-up of the `salesbot` command, each run as a user runs it, in a process of its own:
`salesbot --help`, and a warm `salesbot migrate` (nothing left to migrate) on an existing
embedded cluster that each run starts and stops, or on a throwaway database at `DATABASE_URL`
when it is set.

    python -m bench.startup [--runs 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg

from db.embedded import EmbeddedPostgres
from db.pool import with_database

ROOT = Path(__file__).parents[1]
SALESBOT = Path(sys.executable).parent / "salesbot"


def _command() -> list[str]:
    """The installed console script, else the module it points at."""
    return [str(SALESBOT)] if SALESBOT.exists() else [sys.executable, "-m", "agent.cli"]


def _timed(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    # An empty folder for a working directory: no `.env` of the checkout's is read.
    with tempfile.TemporaryDirectory() as cwd:
        done = subprocess.run([*_command(), *args], env=env, cwd=cwd, capture_output=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"salesbot {' '.join(args)} failed:\n{done.stderr.decode()}")
    return seconds


async def _admin(dsn: str, statement: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@contextlib.contextmanager
def _database(env: dict[str, str]) -> Iterator[dict[str, str]]:
    """The environment for `salesbot migrate`: a throwaway database on DATABASE_URL's server, or
    a throwaway embedded cluster."""
    if url := env.get("DATABASE_URL"):
        name = f"bench_startup_{uuid.uuid4().hex[:8]}"
        asyncio.run(_admin(url, f'CREATE DATABASE "{name}"'))
        try:
            yield {**env, "DATABASE_URL": with_database(url, name)}
        finally:
            asyncio.run(_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        return
    folder = Path(tempfile.mkdtemp(prefix="salesbot-bench-"))
    folder.chmod(0o755)  # as root, the server's user enters it
    try:
        yield {**env, "SALESBOT_DATA_DIR": str(folder / "data")}
    finally:
        EmbeddedPostgres(folder / "data").stop(force=True)
        shutil.rmtree(folder, ignore_errors=True)


def _report(label: str, values: list[float]) -> None:
    print(
        f"{label:26} median {statistics.median(values):.2f} s, best {min(values):.2f} s, "
        f"max {max(values):.2f} s over {len(values)} runs"
    )


def main(runs: int) -> None:
    # This checkout's code, whichever checkout the console script was installed from.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    _report("salesbot --help", [_timed(["--help"], env) for _ in range(runs)])
    with _database(env) as migrate_env:
        where = "DATABASE_URL" if "DATABASE_URL" in env else "embedded"
        _report(f"first migrate ({where})", [_timed(["migrate"], migrate_env)])
        warm = [_timed(["migrate"], migrate_env) for _ in range(runs)]
        _report(f"warm migrate ({where})", warm)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    main(parser.parse_args().runs)
