"""PTB over aiohttp against the fake Bot API: the same requests, answers and errors as httpx."""

import asyncio
import datetime as dt
import socket

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import Forbidden, NetworkError, RetryAfter, TimedOut

from agent.telegram.transport import AiohttpRequest, TelegramBot, make_bot
from tests.fakes.telegram import FakeTelegram, Upload, text_update


@pytest.fixture
async def fake():
    async with FakeTelegram() as server:
        yield server
    assert server.violations == []


@pytest.fixture
async def bot(fake):
    async with make_bot(fake.token, base_url=fake.base_url) as client:
        yield client


def quick_bot(fake: FakeTelegram, read_timeout: float) -> TelegramBot:
    """As `make_bot`, with short read and write timeouts for the calls that do not say theirs
    (aiohttp counts both from when the request is out)."""
    return TelegramBot(
        fake.token,
        base_url=fake.base_url,
        request=AiohttpRequest(read_timeout=read_timeout, write_timeout=read_timeout),
        get_updates_request=AiohttpRequest(
            connections=1, read_timeout=read_timeout, write_timeout=read_timeout
        ),
    )


async def outwait_a_read_timeout(fake: FakeTelegram, bot: TelegramBot) -> None:
    """Returns once a call sent now, with the bot's plain read timeout, has timed out: a long
    poll already waiting by then has outlasted that timeout, however fast the machine."""
    fake.gate.close()
    with pytest.raises(TimedOut):
        await bot.get_me()
    fake.gate.open()


async def test_a_message_with_a_keyboard_goes_as_fields_and_comes_back_parsed(fake, bot):
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Book", callback_data="book:7")]])
    message = await bot.send_message(42, "<b>Deal</b> &amp; co", "HTML", reply_markup=keyboard)

    assert (message.message_id, message.chat.id, message.text) == (1, 42, "Deal & co")
    assert message.reply_markup == keyboard
    assert fake.sent(42)[0].fields == {
        "chat_id": 42,
        "text": "<b>Deal</b> &amp; co",
        "parse_mode": "HTML",
        "reply_markup": {"inline_keyboard": [[{"text": "Book", "callback_data": "book:7"}]]},
    }


async def test_errors_are_ptbs(fake, bot, monkeypatch):
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    fake.fail("sendMessage", retry_after=7)
    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(9, "hi")
    assert raised.value.retry_after == dt.timedelta(seconds=7)

    fake.fail("sendMessage", status=502, description="Bad Gateway")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(9, "hi")

    fake.block(9)
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(9, "hi")
    assert fake.texts(9) == []


async def test_a_long_poll_outlasts_the_read_timeout(fake):
    async with quick_bot(fake, read_timeout=0.1) as bot:
        waiting = asyncio.create_task(bot.get_updates(timeout=30, read_timeout=0.1))
        await fake.polling()
        await outwait_a_read_timeout(fake, bot)
        fake.push(text_update(5, "late"))
        updates = await waiting
    assert [u.message.text for u in updates] == ["late"]


async def test_a_file_goes_as_multipart(fake, bot):
    await bot.send_document(3, InputFile(b"a,b\n1,2\n", filename="deals.csv"), caption="Q3")
    (call,) = fake.calls_of("sendDocument")
    assert call.fields["caption"] == "Q3"
    assert isinstance(call.fields["document"], Upload)
    assert (call.fields["document"].filename, call.fields["document"].data) == (
        "deals.csv",
        b"a,b\n1,2\n",
    )


async def test_a_silent_server_times_out():
    async def never(_: web.Request) -> web.Response:
        await asyncio.Event().wait()
        return web.Response()

    app = web.Application()
    app.router.add_post("/{tail:.*}", never)
    async with (
        TestServer(app) as server,
        AiohttpRequest(read_timeout=0.1, write_timeout=0.1) as request,
    ):
        with pytest.raises(TimedOut):
            await request.post(str(server.make_url("/bot1:x/getMe")))


async def test_no_server_is_a_network_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with AiohttpRequest() as request:
        with pytest.raises(NetworkError, match="aiohttp"):
            await request.post(f"http://127.0.0.1:{port}/bot1:x/getMe")


async def test_updates_come_as_telegram_sent_them(fake):
    sent = [text_update(5, "first"), text_update(5, "second", edited=True)]
    ids = [fake.push(u) for u in sent]
    kinds = ["message", "edited_message"]
    # Long enough for the first, answered call on a loaded machine; the timeout is outwaited once.
    async with quick_bot(fake, read_timeout=1) as bot:
        got = await bot.get_updates_json(None, long_poll=0, allowed_updates=kinds)
        assert got == [{**u, "update_id": i} for u, i in zip(sent, ids, strict=True)]
        next_id = got[-1]["update_id"] + 1
        waiting = asyncio.create_task(
            bot.get_updates_json(next_id, long_poll=30, allowed_updates=["message"])
        )
        await fake.polling()
        await outwait_a_read_timeout(fake, bot)  # the long poll adds to the read timeout
        fake.push(text_update(5, "late"))
        assert [u["message"]["text"] for u in await waiting] == ["late"]
