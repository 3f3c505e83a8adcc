"""The bot under a steady stream of messages while PostgreSQL is stopped for `--down` seconds
every `--every` seconds: how many messages were lost, answered twice or out of order, and how
long the worst reply took.

The bot runs in this process (`serve()`: polling, turn workers, sender, listener) against the
fake Bot API, with a model that echoes at once, on an embedded PostgreSQL of its own that is
stopped (`pg_ctl stop -m fast`) and started again on the same data folder. `--chats` users write
`--rate` messages a second between them, round robin, for `--seconds` (after one each to warm
up, not counted). A reply's delay is from the moment its message is there to be fetched to the
moment Telegram accepted the answer.

    python -m bench.db_restarts [--seconds 60] [--rate 20] [--every 10] [--down 2] [--chats 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections import Counter

from db.embedded import throwaway_cluster
from db.migrate import migrate
from db.pool import connect
from tests.agent.telegram.harness import running
from tests.fakes.telegram import text_update


async def main(args: argparse.Namespace) -> None:
    chats = list(range(9001, 9001 + args.chats))
    pushed: dict[str, float] = {}
    outages: list[tuple[float, float]] = []
    with throwaway_cluster() as server:
        dsn = await asyncio.to_thread(server.start)
        conn = await connect(dsn)
        await migrate(conn)
        await conn.close()
        async with running(dsn, workers=args.workers, grace=1.0) as bot:
            for chat in chats:  # warm up: connections opened, each chat known; not counted
                bot.push(text_update(chat, "hello"))
            await bot.until(lambda: answered(bot) >= len(chats), seconds=args.drain)
            warm = answered(bot)
            began = time.monotonic()

            async def write() -> None:
                total = int(args.seconds * args.rate)
                for i in range(total):
                    await asyncio.sleep(max(0.0, began + i / args.rate - time.monotonic()))
                    chat = chats[i % len(chats)]
                    text = f"{chat}/{i // len(chats)}"
                    bot.push(text_update(chat, text))
                    pushed[text] = time.monotonic()

            async def restart() -> None:
                while time.monotonic() - began + args.every <= args.seconds:
                    await asyncio.sleep(args.every - args.down)
                    stopping = time.monotonic()
                    await asyncio.to_thread(server.stop, force=True)
                    await asyncio.sleep(args.down)
                    await asyncio.to_thread(server.start)
                    outages.append((stopping, time.monotonic()))

            await asyncio.gather(write(), restart())
            written = time.monotonic()
            try:
                await bot.until(lambda: answered(bot) >= warm + len(pushed), seconds=args.drain)
                await bot.until(bot.settled, seconds=args.drain)
            except AssertionError:
                print(f"not everything was answered within {args.drain} s of the last message")
            alive = not bot.serving.done()
            report(bot, chats, pushed, outages, written - began, alive)


def answered(bot: object) -> int:
    return len(bot.tg.sent())  # type: ignore[attr-defined]


def report(
    bot: object,
    chats: list[int],
    pushed: dict[str, float],
    outages: list[tuple[float, float]],
    seconds: float,
    alive: bool,
) -> None:
    lost = duplicated = reordered = other = 0  # lost: not answered by the end of the drain
    delays: list[float] = []
    for chat in chats:
        calls = bot.tg.sent(chat)  # type: ignore[attr-defined]
        texts = [c.fields["text"] for c in calls]
        texts = [t for t in texts if t != "echo: hello"]
        echoed = [t.removeprefix("echo: ") for t in texts if t.startswith("echo: ")]
        other += len(texts) - len(echoed)
        counts = Counter(echoed)
        expected = [t for t in pushed if t.startswith(f"{chat}/")]
        lost += sum(1 for t in expected if t not in counts)
        duplicated += sum(n - 1 for n in counts.values())
        seen: set[str] = set()
        latest = -1
        for call in calls:
            body = call.fields["text"].removeprefix("echo: ")
            if body not in pushed or body in seen:
                continue
            seen.add(body)
            delays.append(call.at - pushed[body])
            n = int(body.partition("/")[2])
            reordered += n < latest
            latest = max(latest, n)
    delays.sort()
    down = [round(end - start, 1) for start, end in outages]
    print(
        f"{len(pushed)} messages from {len(chats)} chats over {seconds:.0f} s;"
        f" PostgreSQL stopped {len(outages)} times (stop to ready: {down} s)"
    )
    print(
        f"lost (unanswered at the end) {lost}, duplicated {duplicated}, reordered {reordered},"
        f" other replies {other}; the bot still serving: {alive}"
    )
    if delays:
        p99 = delays[max(0, int(len(delays) * 0.99) - 1)]
        print(
            f"reply delay: median {statistics.median(delays) * 1000:.0f} ms,"
            f" p99 {p99:.2f} s, worst {delays[-1]:.2f} s"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rate", type=float, default=20, help="messages a second, all chats")
    parser.add_argument("--every", type=float, default=10, help="seconds from stop to stop")
    parser.add_argument("--down", type=float, default=2, help="seconds stopped each time")
    parser.add_argument("--chats", type=int, default=20)
    parser.add_argument("--workers", type=int, default=20)
    parser.add_argument("--drain", type=float, default=120, help="seconds to wait at the end")
    asyncio.run(main(parser.parse_args()))
