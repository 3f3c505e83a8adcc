"""Updates in, before Telegram hears they arrived: kept once by update_id, a press answered once;
polling acknowledges only what the inbox holds; the webhook checks Telegram's secret and says
when to deliver again; the health page asks the database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer
from telegram.error import InvalidToken

from agent.telegram import intake
from agent.telegram.transport import make_bot
from db import inbox
from db.pool import create_pool
from tests.agent.telegram.harness import running
from tests.conftest import NOW
from tests.fakes.telegram import FakeTelegram, callback_update, location_update, text_update

CHAT = 501
SECRET = "s3cret"


@pytest.fixture
async def pool(db_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(db_dsn, min_size=1, max_size=4)
    yield pool
    await pool.close()


def numbered(update: dict[str, Any], update_id: int) -> dict[str, Any]:
    return {**update, "update_id": update_id}


async def kept(pool: asyncpg.Pool) -> list[tuple[int, str]]:
    rows = await inbox.items_of_chat(pool, chat_id=CHAT)
    return [(r["update_id"], r["kind"]) for r in rows]


async def answers(pool: asyncpg.Pool) -> list[Any]:
    rows = await pool.fetch("SELECT payload FROM outbox WHERE kind = 'callback_answer'")
    return [r["payload"] for r in rows]


async def test_updates_are_kept_once_and_a_press_is_answered_once(pool: asyncpg.Pool) -> None:
    press = numbered(callback_update(CHAT, "yes", message_id=77, callback_id="cb-1"), 2)
    first = [numbered(text_update(CHAT, "hi"), 1), press]
    assert await intake.store(pool, first, NOW) == 2
    assert await intake.store(pool, [press, numbered(text_update(CHAT, "again"), 3)], NOW) == 1
    assert await kept(pool) == [(1, "message"), (2, "callback"), (3, "message")]
    assert await answers(pool) == [{"callback_query_id": "cb-1", "message_id": 77}]


async def test_an_update_the_bot_has_nothing_to_do_with_is_not_kept(pool: asyncpg.Pool) -> None:
    poll_answer = {"update_id": 5, "poll_answer": {"poll_id": "p", "option_ids": [0]}}
    assert await intake.store(pool, [poll_answer], NOW) == 0
    assert await inbox.pending_count(pool) == 0


async def test_polling_acknowledges_only_what_the_inbox_holds(pool: asyncpg.Pool) -> None:
    async with FakeTelegram() as tg, make_bot(tg.token, base_url=tg.base_url) as bot:
        tg.webhook_url = "https://old.example/hook"
        tg.push(text_update(CHAT, "one"), update_id=10)
        tg.push(text_update(CHAT, "two"), update_id=11)
        stop = asyncio.Event()
        polling = asyncio.create_task(
            intake.poll(bot, pool, wall=lambda: NOW, stop=stop, long_poll=1)
        )
        for _ in range(400):
            if tg.confirmed_offset == 12:
                break
            await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(polling, 10)
        assert tg.webhook_url is None  # polling took over from a webhook
        assert await kept(pool) == [(10, "message"), (11, "message")]
        assert tg.confirmed_offset == 12
        assert tg.violations == []


@pytest.fixture
async def web(pool: asyncpg.Pool) -> AsyncIterator[TestClient[Any, Any]]:
    app = intake.web_app(pool, wall=lambda: NOW, webhook=("/hook", SECRET))
    async with TestClient(TestServer(app)) as client:
        yield client


async def post(web: TestClient[Any, Any], body: Any, secret: str = SECRET) -> int:
    headers = {intake.SECRET_HEADER: secret}
    async with web.post("/hook", json=body, headers=headers) as response:
        return response.status


async def test_the_webhook_keeps_an_update_once(web, pool: asyncpg.Pool) -> None:
    update = numbered(text_update(CHAT, "hi"), 20)
    assert [await post(web, update), await post(web, update)] == [200, 200]
    assert await kept(pool) == [(20, "message")]


async def test_the_webhook_refuses_a_wrong_secret_and_what_is_not_an_update(
    web, pool: asyncpg.Pool
) -> None:
    update = numbered(text_update(CHAT, "hi"), 21)
    assert await post(web, update, secret="guess") == 401
    assert await post(web, ["not", "an", "update"]) == 400
    assert await post(web, {"message": {}}) == 400
    assert await kept(pool) == []


async def test_one_update_the_database_would_refuse_holds_back_no_one(pool: asyncpg.Pool) -> None:
    poisoned = numbered(text_update(CHAT, "nul\x00 and \udc00 lone"), 30)
    other = numbered(text_update(CHAT + 1, "hello"), 31)
    assert await intake.store(pool, [poisoned, other], NOW) == 2
    texts = await pool.fetch("SELECT payload->'message'->>'text' AS t FROM inbox ORDER BY id")
    assert [r["t"] for r in texts] == ["nul and \ufffd lone", "hello"]


class AwayOnce:
    """The pool as a database restart leaves it: the first use fails, then it answers."""

    def __init__(self, pool: asyncpg.Pool, error: Exception) -> None:
        self.pool, self.error, self.failed = pool, error, False

    def acquire(self) -> Any:
        if not self.failed:
            self.failed = True
            raise self.error
        return self.pool.acquire()


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.InterfaceError("connection was closed in the middle of operation"),
        asyncpg.InternalClientError("unexpected state"),
        ConnectionResetError("reset by peer"),
        asyncpg.CannotConnectNowError("the database system is starting up"),
    ],
    ids=["interface", "internal", "reset", "starting"],
)
async def test_polling_survives_the_database_going_away_and_fetches_everything(
    pool: asyncpg.Pool, error: Exception
) -> None:
    waits: list[int] = []

    def backoff(failures: int) -> float:
        waits.append(failures)
        return 0

    away = AwayOnce(pool, error)
    async with FakeTelegram() as tg, make_bot(tg.token, base_url=tg.base_url) as bot:
        tg.push(text_update(CHAT, "one"), update_id=40)
        tg.push(text_update(CHAT + 1, "two"), update_id=41)
        stop = asyncio.Event()
        polling = asyncio.create_task(
            intake.poll(bot, away, wall=lambda: NOW, stop=stop, long_poll=1, backoff=backoff)  # type: ignore[arg-type]
        )
        for _ in range(400):
            if tg.confirmed_offset == 42 or polling.done():
                break
            await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(polling, 10)
    ids = await pool.fetch("SELECT update_id FROM inbox ORDER BY update_id")
    assert [r["update_id"] for r in ids] == [40, 41]
    assert tg.confirmed_offset == 42
    assert waits == [1]


async def test_polling_survives_telegram_asking_it_to_wait_and_ends_on_a_refused_token(
    pool: asyncpg.Pool,
) -> None:
    async with FakeTelegram() as tg, make_bot(tg.token, base_url=tg.base_url) as bot:
        tg.fail("getUpdates", retry_after=1)
        tg.push(text_update(CHAT, "one"), update_id=60)
        stop = asyncio.Event()
        polling = asyncio.create_task(
            intake.poll(bot, pool, wall=lambda: NOW, stop=stop, long_poll=1, backoff=lambda _: 0)
        )
        for _ in range(400):
            if tg.confirmed_offset == 61 or polling.done():
                break
            await asyncio.sleep(0.01)
        assert tg.confirmed_offset == 61
        tg.fail("getUpdates", status=401, description="Unauthorized")
        with pytest.raises(InvalidToken):
            await asyncio.wait_for(polling, 10)
    assert await kept(pool) == [(60, "message")]


async def test_an_update_the_database_refuses_is_answered_and_holds_back_no_one(
    db_dsn: str,
) -> None:
    """JSON's Infinity, which PostgreSQL's jsonb does not take, stands for any update that the
    database refuses for what it holds."""
    async with running(db_dsn) as bot:
        bot.push(text_update(CHAT, "one"))
        refused = bot.push(location_update(CHAT + 1, float("inf"), language_code="ru"))
        bot.push(text_update(CHAT + 2, "three"))
        await bot.until(bot.settled)
        assert bot.tg.texts(CHAT) == ["echo: one"]
        assert bot.tg.texts(CHAT + 2) == ["echo: three"]
        assert bot.tg.texts(CHAT + 1) == [
            "Не получилось прочитать это сообщение. Пожалуйста, отправьте его ещё раз."
        ]
        assert (bot.tg.confirmed_offset or 0) > refused
        row = await bot.pool.fetchrow("SELECT * FROM inbox WHERE update_id = $1", refused)
        assert row is not None
        assert (row["kind"], row["status"]) == ("unstored", "failed")
        assert "the database refused the update" in row["last_error"]
        assert bot.model.calls == 2


async def test_a_single_refused_update_is_kept_as_a_note_to_answer(pool: asyncpg.Pool) -> None:
    update = numbered(location_update(CHAT, float("nan"), language_code="de"), 50)
    assert await intake.store(pool, [update], NOW) == 1
    assert await kept(pool) == [(50, "unstored")]
    note = await pool.fetchval("SELECT payload FROM inbox WHERE update_id = 50")
    assert {k: note[k] for k in ("update_id", "private", "language_code")} == {
        "update_id": 50,
        "private": True,
        "language_code": "de",
    }
    assert note["error"].startswith("the database refused the update: InvalidTextRepresentation")
