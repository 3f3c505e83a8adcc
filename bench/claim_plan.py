"""The plan and the time of the inbox's and the outbox's claim over a large queue.

A history of `--done` finished items and `--pending` pending ones over `--chats` chats, a third
of them waiting for a retry; each claim runs in a transaction that is rolled back, so every run
sees the same queue.

    python -m bench.claim_plan [--done 500000] [--pending 20000] [--chats 1000] [--runs 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta

import asyncpg

from bench.common import scratch_database
from db.pool import connect
from db.queries import Queries

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


async def fill(conn: asyncpg.Connection, table: str, args: argparse.Namespace) -> None:
    done = "done" if table == "inbox" else "sent"
    columns = "payload" if table == "inbox" else "text"
    value = "'{}'" if table == "inbox" else "'hi'"
    kind = ", kind" if table == "inbox" else ""
    kind_value = ", 'message'" if table == "inbox" else ""
    await conn.execute(
        f"INSERT INTO {table} (chat_id{kind}, {columns}, status, created_at, not_before)"
        f" SELECT g % {args.chats * 5}{kind_value}, {value}, '{done}', $1, $1"
        f"   FROM generate_series(1, {args.done}) g",
        NOW,
    )
    await conn.execute(
        f"INSERT INTO {table} (chat_id{kind}, {columns}, created_at, not_before, attempts)"
        f" SELECT g % {args.chats}{kind_value}, {value}, $1,"
        f"        $1::timestamptz + (g % 3 = 0)::int * interval '1 min', (g % 3 = 0)::int"
        f"   FROM generate_series(1, {args.pending}) g",
        NOW,
    )


async def main(args: argparse.Namespace) -> None:
    async with scratch_database() as dsn:
        conn = await connect(dsn)
        try:
            for table in ("inbox", "outbox"):
                await fill(conn, table, args)
            await conn.execute("ANALYZE")
            for table in ("inbox", "outbox"):
                query = Queries(table)["claim"]
                values = {"worker": "bench", "limit": 100, "now": NOW, "until": NOW + timedelta(30)}
                params = query.args(values)
                times = []
                for _ in range(args.runs):
                    tx = conn.transaction()
                    await tx.start()
                    started = time.perf_counter()
                    rows = await conn.fetch(query.sql, *params)
                    times.append((time.perf_counter() - started) * 1000)
                    await tx.rollback()
                tx = conn.transaction()
                await tx.start()
                plan = await conn.fetch(f"EXPLAIN (ANALYZE, COSTS OFF) {query.sql}", *params)
                await tx.rollback()
                print(f"== {table}: {len(rows)} claimed; median {statistics.median(times):.1f} ms")
                print("\n".join(r[0] for r in plan))
        finally:
            await conn.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--done", type=int, default=500_000)
    parser.add_argument("--pending", type=int, default=20_000)
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=20)
    asyncio.run(main(parser.parse_args()))
