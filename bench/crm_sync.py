"""The HubSpot sync at account scale: CONTACTS contacts (all in the synced lifecycle stages) and
DEALS deals, one contact each, in the local fake HubSpot; a first sync into a scratch database
through the real client, then 1% of the contacts and of the deals changed and an incremental
sync. The fake enforces HubSpot's published limits (100 requests per 10 s, the search API's 5 a
second) and the client its own limiter for each, all on one virtual clock that moves only when
the client waits: the virtual time is what the limits cost, the wall time is this machine's work
(client, fake and PostgreSQL). Prints per run the requests by kind, the floor the limits set (for
each limit, the requests under it ÷ its rate; the largest) and the virtual time against it.

    python -m bench.crm_sync [--contacts 100000] [--deals 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx

from bench.common import scratch_database
from db.pool import connect
from tests.fakes.clock import FakeClock
from tests.fakes.hubspot import FakeHubSpot
from tools.clients.hubspot import HubSpotClient
from tools.clients.hubspot_sync import SEARCH_PAGE
from tools.clients.retry import RetryPolicy
from tools.crm_sync import sync_crm

TOKEN = "pat-bench-token"
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
OWNERS = 20
GENERAL = (100, 10.0)  # requests per 10 s: a private app on Free or Starter
SEARCH = (5, 1.0)  # search requests per second, per account
STAGES = ("lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity")
DEAL_STAGES = ("appointmentscheduled", "qualifiedtobuy", "presentationscheduled", "closedwon")


def seed(fake: FakeHubSpot, contacts: int, deals: int) -> tuple[list[str], list[str]]:
    owners = [fake.add_owner(f"rep{n}@example.com", "Rep", str(n)) for n in range(OWNERS)]
    span = timedelta(days=365) / contacts
    contact_ids = [
        fake.add_contact(
            f"c{i}@example.com",
            "Contact",
            str(i),
            updated=NOW - timedelta(days=366) + i * span,
            lifecyclestage=STAGES[i % len(STAGES)],
            hubspot_owner_id=owners[i % OWNERS],
            phone=f"+62 {i}",
        )
        for i in range(contacts)
    ]
    span = timedelta(days=365) / max(deals, 1)
    deal_ids = []
    for i in range(deals):
        at = NOW - timedelta(days=366) + i * span
        deal = fake.add_deal(
            contact_ids[i * contacts // deals], f"Deal {i}", DEAL_STAGES[i % len(DEAL_STAGES)],
            1000 + i, NOW + timedelta(days=30), created=at, updated=at,
        )  # fmt: skip
        fake.objects["deals"][deal]["properties"]["hubspot_owner_id"] = owners[i % OWNERS]
        deal_ids.append(deal)
    return contact_ids, deal_ids


def kind(path: str) -> str:
    if path.endswith("/search"):
        return "search " + path.split("/")[4]
    if "/associations/" in path:
        return "batch associations"
    if path == "/crm/v3/owners":
        return "owners"
    return "archived " + path.split("/")[4]


def report(
    label: str, fake: FakeHubSpot, took: float, wall: float, cpu: float, busy: float
) -> None:
    answered = [c for c in fake.calls if c.status != 429]
    kinds = Counter(kind(c.path) for c in answered)
    searches = sum(n for k, n in kinds.items() if k.startswith("search"))
    floors = {
        "search": searches / (SEARCH[0] / SEARCH[1]),
        "general": len(answered) / (GENERAL[0] / GENERAL[1]),
    }
    bound, floor = max(floors.items(), key=lambda f: f[1])
    refused = len(fake.calls) - len(answered)
    print(f"{label}: {len(answered)} requests ({', '.join(f'{n} {k}' for k, n in kinds.items())})")
    print(
        f"  floor {floor:.1f} s (the {bound} limit; search {floors['search']:.1f} s, "
        f"general {floors['general']:.1f} s); virtual time {took:.1f} s = "
        f"{took / floor if floor else math.nan:.2f}x the floor; {refused} answered 429"
    )
    print(
        f"  this machine: {wall:.1f} s wall, {cpu:.1f} s CPU of this process (fake included); "
        f"the fake answering {busy:.1f} s of it, so the sync's own {wall - busy:.1f} s = "
        f"{(wall - busy) / floor if floor else math.nan:.2f}x the floor"
    )


async def main(contacts: int, deals: int) -> None:
    clock = FakeClock(0.0)
    policy = RetryPolicy(sleep=clock.sleep)
    async with (
        scratch_database() as dsn,
        FakeHubSpot(token=TOKEN, clock=clock, schemas=False) as fake,
    ):
        fake.limit, fake.window = GENERAL
        fake.search_limit, fake.search_window = SEARCH
        contact_ids, deal_ids = seed(fake, contacts, deals)
        print(
            f"{contacts} contacts, {deals} deals, {OWNERS} owners; pages of {SEARCH_PAGE}; "
            f"at least {math.ceil(contacts / SEARCH_PAGE) + math.ceil(deals / SEARCH_PAGE)} "
            "searches for a first sync"
        )
        db = await connect(dsn)
        await db.execute(
            """INSERT INTO reps (telegram_id, name, email, status, timezone, approved_at,
                                 email_verified_at, email_verified_by, created_at, updated_at)
               SELECT 10000 + n, 'Rep ' || n, 'rep' || n || '@example.com', 'active',
                      'Asia/Makassar', $1, $1, 'code', $1, $1
                 FROM generate_series(0, $2 - 1) n""",
            NOW,
            OWNERS,
        )
        async with httpx.AsyncClient(timeout=60) as http:

            async def run(label: str, now: datetime) -> None:
                hubspot = HubSpotClient(
                    token=TOKEN, api_url=fake.url, http=http, clock=lambda: now, policy=policy,
                    limit=GENERAL[0], window_seconds=GENERAL[1], search_limit=SEARCH[0],
                    search_window_seconds=SEARCH[1], monotonic=clock, sleep=clock.sleep,
                )  # fmt: skip
                fake.calls.clear()
                fake.busy = 0.0
                started, wall, cpu = clock(), time.perf_counter(), time.process_time()
                result = await sync_crm(db, hubspot, now=now)
                report(
                    label, fake, clock() - started,
                    time.perf_counter() - wall, time.process_time() - cpu, fake.busy,
                )  # fmt: skip
                print(
                    f"  prospects {result.created} new, {result.updated} updated; deals "
                    f"{result.deals_created} new, {result.deals_updated} updated"
                )
                clock.now += GENERAL[1]  # the next sync starts with the limits' windows empty

            await run("first sync", NOW)
            changed = NOW + timedelta(minutes=5)
            for i in range(0, contacts, 100):
                fake.change("contacts", contact_ids[i], changed, phone=f"+62 9{i}")
            for i in range(0, deals, 100):
                fake.change("deals", deal_ids[i], changed, amount=str(5000 + i))
            await run("incremental, 1% changed", NOW + timedelta(minutes=15))
        await db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--deals", type=int, default=20_000)
    args = parser.parse_args()
    asyncio.run(main(args.contacts, args.deals))
