"""`salesbot run` as a real process against the fake Bot API and a fake OpenAI server: killed at
random moments, run twice on one database, stopped by a signal."""

from __future__ import annotations

import asyncio
import functools
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from agent.telegram.app import webhook_secret
from tests.agent.fake_openai import FakeOpenAI
from tests.fakes.telegram import FakeTelegram, text_update

CHECKOUT = {"PYTHONPATH": str(Path(__file__).parents[2])}
"""Runs this checkout's code in the bot's processes, wherever the package was installed from."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Bots:
    tg: FakeTelegram
    model: FakeOpenAI
    env: dict[str, str]
    cwd: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, **extra: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", "agent.cli", "run"],
            env={**self.env, **CHECKOUT, "WEBHOOK_LISTEN": f"127.0.0.1:{free_port()}", **extra},
            cwd=self.cwd,
            stdout=subprocess.DEVNULL,
            stderr=open(self.cwd / f"bot-{len(self.processes)}.log", "wb"),  # noqa: SIM115
        )
        self.processes.append(process)
        return process

    async def serving(self) -> subprocess.Popen[bytes]:
        """A new process, once it starts polling."""
        polls = len(self.tg.calls_of("deleteWebhook"))
        process = self.start()
        await self.until(lambda: len(self.tg.calls_of("deleteWebhook")) > polls)
        return process

    def logs(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.cwd.glob("bot-*.log")))

    async def until(self, check: Callable[[], bool | Awaitable[bool]], seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while not await _holds(check):
            if time.monotonic() > deadline:
                raise AssertionError(f"not within {seconds} s; logs:\n{self.logs()[-3000:]}")
            await asyncio.sleep(0.05)


async def _holds(check: Callable[[], bool | Awaitable[bool]]) -> bool:
    outcome = check()
    return outcome if isinstance(outcome, bool) else await outcome


async def settled(db_dsn: str) -> bool:
    """Nothing is left to take or to send: no reply can come any more."""
    conn = await asyncpg.connect(db_dsn)
    try:
        pending = await conn.fetchval(
            "SELECT (SELECT count(*) FROM inbox WHERE status = 'pending')"
            " + (SELECT count(*) FROM outbox WHERE status = 'pending')"
        )
    finally:
        await conn.close()
    return bool(pending == 0)


@asynccontextmanager
async def bots(db_dsn: str, tmp_path: Path, *, lease: int = 2) -> AsyncIterator[Bots]:
    model = FakeOpenAI(echo=True)
    server, model_url = model.serve()
    async with FakeTelegram() as tg:
        env = {
            **os.environ,
            "DATABASE_URL": db_dsn,
            "TELEGRAM_BOT_TOKEN": tg.token,
            "TELEGRAM_API_URL": tg.url,
            "OPENAI_BASE_URL": model_url,
            "OPENAI_API_KEY": "test",
            "TURN_WORKERS": "20",
            "LEASE_SECONDS": str(lease),
        }
        running = Bots(tg, model, env, tmp_path)
        try:
            yield running
        finally:
            for process in running.processes:
                if process.poll() is None:
                    process.kill()
                await asyncio.to_thread(process.wait)
            server.shutdown()
        assert tg.violations == []


def replies(tg: FakeTelegram, chat: int) -> list[str]:
    return [t.removeprefix("echo: ") for t in tg.texts(chat)]


async def in_flight(db_dsn: str, tg: FakeTelegram) -> set[str]:
    """Replies Telegram accepted but the killed process had not marked sent: the one moment
    where a crash can repeat a message, since Telegram has no idempotent send."""
    conn = await asyncpg.connect(db_dsn)
    try:
        rows = await conn.fetch("SELECT chat_id, text FROM outbox WHERE status = 'pending'")
    finally:
        await conn.close()
    return {r["text"] for r in rows if r["text"] in tg.texts(r["chat_id"])}


async def test_killed_at_random_moments_every_update_is_answered_once_in_order(
    db_dsn: str, tmp_path: Path
) -> None:
    chats, per_chat = range(1, 9), 10
    said = {chat: [f"c{chat} m{n}" for n in range(per_chat)] for chat in chats}
    rng = random.Random(20261122)
    async with bots(db_dsn, tmp_path) as run:
        run.model.delay = 0.1
        may_repeat: set[str] = set()
        process = await run.serving()
        for n in range(per_chat):
            for chat in chats:
                run.tg.push(text_update(chat, said[chat][n]))
            await asyncio.sleep(rng.uniform(0.0, 0.4))
            if n in (1, 3, 5, 7):  # mid-stream, while turns and sends are under way
                process.send_signal(signal.SIGKILL)
                await asyncio.to_thread(process.wait)
                may_repeat |= await in_flight(db_dsn, run.tg)
                process = await run.serving()
        await run.until(lambda: all(len(set(replies(run.tg, c))) == per_chat for c in chats))
        await run.until(functools.partial(settled, db_dsn))  # no late repeat can come
        for chat in chats:
            answered = replies(run.tg, chat)
            assert list(dict.fromkeys(answered)) == said[chat]
            repeated = {f"echo: {t}" for t, k in Counter(answered).items() if k > 1}
            assert repeated <= may_repeat
        process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(process.wait, 30) == 0


async def test_two_processes_on_one_database_answer_each_update_once(
    db_dsn: str, tmp_path: Path
) -> None:
    async with bots(db_dsn, tmp_path) as run:
        ports = [free_port(), free_port()]
        url = "https://bot.example.com/telegram"
        for port in ports:
            run.start(TELEGRAM_WEBHOOK_URL=url, WEBHOOK_LISTEN=f"127.0.0.1:{port}")
        secret = webhook_secret(run.tg.token)
        for port in ports:
            await run.until(functools.partial(_healthy, port))
        chats = range(1, 7)
        for n in range(8):
            for chat in chats:
                update = text_update(chat, f"c{chat} m{n}", update_id=chat * 100 + n)
                for port in ports:  # a duplicate delivery lands on the other process
                    target = f"http://127.0.0.1:{port}/telegram"
                    assert await run.tg.deliver(target, update, secret=secret) == 200
        await run.until(lambda: len(run.tg.sent()) == 48)
        await run.until(functools.partial(settled, db_dsn))  # no late repeat can come
        for chat in chats:
            assert replies(run.tg, chat) == [f"c{chat} m{n}" for n in range(8)]
        conn = await asyncpg.connect(db_dsn)
        try:
            workers = await conn.fetchval("SELECT count(DISTINCT locked_by) FROM inbox")
        finally:
            await conn.close()
        assert workers == 2  # both processes took turns
        assert [c.fields["url"] for c in run.tg.calls_of("setWebhook")] == [url, url]


async def test_a_wrong_secret_is_refused_and_health_is_served(db_dsn: str, tmp_path: Path) -> None:
    async with bots(db_dsn, tmp_path) as run:
        port = free_port()
        run.start(
            TELEGRAM_WEBHOOK_URL="https://bot.example.com/hook", WEBHOOK_LISTEN=f"127.0.0.1:{port}"
        )
        await run.until(lambda: _healthy(port))
        target = f"http://127.0.0.1:{port}/hook"
        assert await run.tg.deliver(target, text_update(5, "hi"), secret="wrong") == 401
        assert await run.tg.deliver(target, text_update(5, "hi")) == 401
        assert run.tg.sent() == []


async def test_sigterm_finishes_the_turn_in_hand_and_exits_cleanly(
    db_dsn: str, tmp_path: Path
) -> None:
    async with bots(db_dsn, tmp_path) as run:
        run.model.gate.clear()
        process = run.start()
        run.tg.push(text_update(7, "медленно"))
        await run.until(lambda: run.model.arrived == 1)  # the turn is with the model
        process.send_signal(signal.SIGTERM)
        run.model.gate.set()
        assert await asyncio.to_thread(process.wait, 30) == 0
        assert replies(run.tg, 7) == ["медленно"]


async def test_a_loop_that_ends_ends_the_process_with_an_error(db_dsn: str, tmp_path: Path) -> None:
    """Telegram no longer taking the token ends polling: the process does not live on without
    it, but stops and says why, for whatever runs it to start it again."""
    async with bots(db_dsn, tmp_path) as run:
        process = await run.serving()
        run.tg.fail("getUpdates", status=401, description="Unauthorized")
        run.tg.push(text_update(7, "hi"))  # ends the poll in flight; the next one is refused
        assert await asyncio.to_thread(process.wait, 60) == 2
        assert "polling failed; stopping the process" in run.logs()
        assert "salesbot stopped because polling ended unexpectedly" in run.logs()


def _healthy(port: int) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def run_once(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "agent.cli", "run"]
    return subprocess.run(
        command,
        env={**env, **CHECKOUT, "WEBHOOK_LISTEN": f"127.0.0.1:{free_port()}"},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("unset", "message"),
    [
        ("TELEGRAM_BOT_TOKEN", "TELEGRAM_BOT_TOKEN is not set"),
        ("OPENAI_API_KEY", "OPENAI_API_KEY"),
    ],
)
def test_without_a_token_or_a_model_it_says_what_to_set(
    tmp_path: Path, unset: str, message: str
) -> None:
    env: dict[str, Any] = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": "1:x",
        "OPENAI_API_KEY": "k",
        "DATABASE_URL": "postgresql://nobody@/nowhere",
    }
    env.pop(unset)
    env.pop("OPENAI_BASE_URL", None)
    done = run_once(env, tmp_path)
    assert done.returncode == 2
    assert message in done.stderr


def test_a_token_telegram_refuses_is_named(tmp_path: Path, db_dsn: str) -> None:
    async def refused() -> subprocess.CompletedProcess[str]:
        async with FakeTelegram(token="1:right") as tg:
            env = {
                **os.environ,
                "TELEGRAM_BOT_TOKEN": "1:wrong",
                "TELEGRAM_API_URL": tg.url,
                "OPENAI_API_KEY": "k",
                "DATABASE_URL": db_dsn,
            }
            return await asyncio.to_thread(run_once, env, tmp_path)

    done = asyncio.run(refused())
    assert done.returncode == 2
    assert "Telegram refused TELEGRAM_BOT_TOKEN" in done.stderr
