"""The fake Telegram server, driven by the real python-telegram-bot client over HTTP."""

import asyncio
import datetime as dt

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter

from tests.fakes import telegram as tg
from tests.fakes import telegram_spec
from tests.fakes.clock import FakeClock
from tests.fakes.telegram import FakeTelegram, text_update


@pytest.fixture
async def fake():
    async with FakeTelegram() as server:
        yield server
    assert server.violations == []


@pytest.fixture
async def bot(fake):
    async with Bot(fake.token, base_url=fake.base_url) as client:
        yield client


async def post(fake, method, **kwargs):
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{fake.url}/bot{fake.token}/{method}", **kwargs) as response,
    ):
        return response.status, await response.json()


async def test_a_message_with_a_keyboard_is_recorded_decoded(fake, bot):
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Book", callback_data="book:7")]])
    message = await bot.send_message(42, "Hello", reply_markup=keyboard)
    await bot.send_message(42, "123")

    assert (message.message_id, message.chat.id, message.text) == (1, 42, "Hello")
    assert (message.reply_markup, message.from_user.username) == (keyboard, "salesbot_test_bot")
    assert fake.sent(42)[0].fields == {
        "chat_id": 42,
        "text": "Hello",
        "reply_markup": {"inline_keyboard": [[{"text": "Book", "callback_data": "book:7"}]]},
    }
    assert (fake.texts(42), fake.sent(43)) == (["Hello", "123"], [])
    assert [c.method for c in fake.calls] == ["getMe", "sendMessage", "sendMessage"]


async def test_html_is_parsed_and_bad_html_is_refused(fake, bot):
    message = await bot.send_message(7, "<b>Deal</b> &lt;won&gt; &amp; <i>closed</i>", "HTML")
    assert message.text == "Deal <won> & closed"

    for text, reason in [
        ("<div>x</div>", 'unsupported start tag "div"'),
        ("<b>open", 'can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'unmatched end tag "i", expected "</b>"'),
        ("Tom & Jerry", '"&" must be escaped as an HTML entity'),
        ("&nbsp;", 'unsupported HTML entity "&nbsp;"'),
        ('<a name="x">y</a>', 'tag "a" must have an "href" attribute'),
    ]:
        with pytest.raises(BadRequest) as raised:
            await bot.send_message(7, text, parse_mode="HTML")
        # PTB drops "Bad Request: " and applies str.capitalize(), lowering the rest.
        assert raised.value.message == f"Can't parse entities: {reason}".capitalize()
    assert fake.texts(7) == ["<b>Deal</b> &lt;won&gt; &amp; <i>closed</i>"]
    assert len(fake.failed) == 6


async def test_text_length_is_counted_in_utf16_after_parsing(fake, bot):
    await bot.send_message(1, "😀" * 2048)
    await bot.send_message(1, f"<b>{'a' * 4096}</b>", parse_mode="HTML")
    for text in ["a" * 4097, "😀" * 2049]:
        with pytest.raises(BadRequest, match="Message is too long"):
            await bot.send_message(1, text)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(1, "<b> </b>", parse_mode="HTML")
    assert len(fake.sent(1)) == 2


async def test_long_poll_returns_a_push_and_offset_confirms(fake, bot):
    polling = asyncio.create_task(bot.get_updates(timeout=30))
    await fake.polling()
    assert not polling.done()
    fake.push(text_update(42, "hello", username="ann"))

    (update,) = await polling
    assert (update.update_id, update.message.text) == (1, "hello")
    assert update.effective_user.username == "ann"
    assert [u.update_id for u in await bot.get_updates()] == [1]  # not yet confirmed
    assert await bot.get_updates(offset=2, timeout=0) == ()
    assert fake.confirmed_offset == 2
    assert fake.push(text_update(42, "again"), update_id=2) == 2
    assert fake.push(text_update(42, "next")) == 3
    assert [u.update_id for u in await bot.get_updates(offset=2, limit=1)] == [2]


async def test_a_second_poller_ends_the_first_with_a_conflict(fake, bot):
    # PTB's getUpdates pool has one connection: overlapping polls need a second Bot.
    async with Bot(fake.token, base_url=fake.base_url) as other:
        first = asyncio.create_task(bot.get_updates(timeout=30))
        await fake.polling()
        second = asyncio.create_task(other.get_updates(timeout=30))
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await first
        fake.push(tg.command_update(5, "/start"))
        assert [u.message.text for u in await second] == ["/start"]
    assert len(fake.failed) == 1


async def test_retry_after(fake, bot, monkeypatch):
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    fake.fail("sendMessage", retry_after=7, chat_id=9)
    await bot.send_message(8, "other chat")
    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(9, "hi")
    assert raised.value.retry_after == dt.timedelta(seconds=7)
    await bot.send_message(9, "hi again")
    assert [c.fields["text"] for c in fake.failed] == ["hi"]
    assert fake.texts(9) == ["hi again"]


async def test_server_errors_and_blocked_users(fake, bot):
    fake.fail("sendMessage", status=502, description="Bad Gateway", times=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match="Bad Gateway") as raised:
            await bot.send_message(1, "x")
        assert type(raised.value) is NetworkError
    fake.block(1)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(1, "x")
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_chat_action(1, "typing")
    fake.unblock(1)
    assert await bot.send_chat_action(1, "typing") is True
    assert [c.method for c in fake.failed] == ["sendMessage"] * 3 + ["sendChatAction"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"chat_id": "1", "text": "x", "colour": "red"}, 'unknown field "colour"'),
        ({"chat_id": "true", "text": "x"}, 'field "chat_id": expected Integer or String, got bool'),
        ({"chat_id": "1"}, 'missing required field "text"'),
        (
            {"chat_id": "1", "text": "x", "reply_markup": '{"inline_keyboard": [[{"text": 5}]]}'},
            'field "reply_markup.inline_keyboard[0][0].text": expected String, got int',
        ),
    ],
)
async def test_spec_violations_are_refused_and_recorded(fake, data, reason):
    status, body = await post(fake, "sendMessage", data=data)
    assert status == 400
    assert body["description"].startswith("Bad Request: ")
    assert reason in body["description"]
    assert len(fake.violations) == 1 and reason in fake.violations[0]
    assert fake.calls == []
    fake.violations.clear()


async def test_unknown_method_wrong_token_json_and_query(fake):
    assert await post(fake, "sendMesage", data={}) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found: method not found"},
    )
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{fake.url}/bot1:wrong/getMe") as response:
            assert response.status == 401
            assert (await response.json())["description"] == "Unauthorized"
        url = f"{fake.url}/bot{fake.token}/sendMessage?chat_id=5&text=true"
        async with session.get(url) as response:
            assert response.status == 200
    assert fake.violations == ["sendMesage: no such method", "getMe: wrong token"]
    fake.violations.clear()
    status, body = await post(fake, "sendMessage", json={"chat_id": 5, "text": "hi"})
    assert status == 200 and body["result"]["message_id"] == 2
    assert fake.texts(5) == ["true", "hi"]


async def test_answers_follow_the_spec(fake):
    for method, data, kind in [
        ("getMe", {}, "User"),
        ("sendMessage", {"chat_id": "3", "text": "hi"}, "Message"),
        ("editMessageText", {"chat_id": "3", "message_id": "1", "text": "ho"}, "Message"),
        ("getWebhookInfo", {}, "WebhookInfo"),
    ]:
        status, body = await post(fake, method, data=data)
        assert status == 200
        assert telegram_spec.validate_type(kind, body["result"]) == []
    assert telegram_spec.validate_type("Message", {"message_id": 1, "chat": {}}) == [
        'missing required field "date"',
        'missing required field "chat.id"',
        'missing required field "chat.type"',
    ]


@pytest.mark.parametrize(
    "build",
    [
        lambda: text_update(10, "hi", language_code="de", message_id=4),
        lambda: text_update(-100, "edited", user_id=11, edited=True),
        lambda: tg.command_update(10, "/start", "ref-42"),
        lambda: tg.callback_update(10, "book:7", message_id=3),
        lambda: tg.photo_update(10, caption="card"),
        lambda: tg.sticker_update(10),
        lambda: tg.voice_update(10, duration=9),
        lambda: tg.document_update(10, file_name="deck.pdf"),
        lambda: tg.location_update(10, latitude=48.1, longitude=11.6),
    ],
)
def test_update_builders_follow_the_spec_and_parse(build):
    data = build()
    assert "update_id" not in data
    assert telegram_spec.validate_type("Update", data | {"update_id": 77}) == []
    update = Update.de_json(data | {"update_id": 77}, Bot("1:x"))
    assert (update.effective_chat.id, update.effective_user.id) in [(10, 10), (-100, 11)]
    assert update.effective_message is not None
    assert set(update.to_dict()) == set(data) | {"update_id"}


def test_builders_fill_in_what_telegram_would():
    command = Update.de_json(tg.command_update(3, "/start", "ref-42", update_id=5), Bot("1:x"))
    assert command.update_id == 5
    assert command.message.parse_entities() == {command.message.entities[0]: "/start"}
    press = Update.de_json(tg.callback_update(3, "yes") | {"update_id": 1}, Bot("1:x"))
    assert (press.callback_query.data, press.callback_query.message.message_id) == ("yes", 1)
    assert telegram_spec.validate_type(
        "Update", text_update(1, "a", update_id=1) | tg.callback_update(1, "b")
    ) == ["an Update carries at most one payload, got ['callback_query', 'message']"]


async def test_a_webhook_blocks_get_updates(fake, bot):
    fake.push(text_update(1, "queued"))
    assert await bot.set_webhook("https://bot.example/hook", secret_token="s3cret")
    assert (fake.webhook_url, fake.webhook_secret) == ("https://bot.example/hook", "s3cret")
    info = await bot.get_webhook_info()
    assert (info.url, info.pending_update_count) == ("https://bot.example/hook", 1)
    with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
        await bot.get_updates()
    assert await bot.delete_webhook()
    assert fake.webhook_url is None
    assert [u.message.text for u in await bot.get_updates()] == ["queued"]
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates() == ()


async def test_deliver_posts_like_telegram(fake):
    seen = []

    async def hook(request):
        seen.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return web.Response(status=200 if seen[-1][0] == "s3cret" else 403)

    app = web.Application()
    app.router.add_post("/hook", hook)
    async with TestServer(app) as server:
        url = str(server.make_url("/hook"))
        assert await fake.deliver(url, text_update(1, "hi"), secret="s3cret") == 200
        assert await fake.deliver(url, text_update(1, "hi")) == 403
    assert seen[0][1]["message"]["text"] == "hi"
    assert [(secret, body["update_id"]) for secret, body in seen] == [("s3cret", 1), (None, 2)]


async def test_a_closed_gate_holds_every_answer_until_it_opens(fake, bot):
    fake.gate.close()
    answering = asyncio.create_task(bot.send_chat_action(1, "typing"))
    await fake.gate.reached(1)
    assert (answering.done(), fake.calls_of("sendChatAction")) == (False, [])
    fake.gate.open()
    assert await answering is True
    assert [c.fields for c in fake.calls_of("sendChatAction")] == [
        {"chat_id": 1, "action": "typing"}
    ]


async def test_flood_limit_records_without_refusing(fake, bot):
    fake.clock = clock = FakeClock()
    fake.flood_limit(per_chat_per_second=1, overall_per_second=4)
    for chat_id in [1, 1, 1, 1, 1, 2]:
        await bot.send_message(chat_id, "x")
    clock.now += 1.0  # a token back for chat 1, and the overall window moved on
    await bot.send_message(1, "x")
    assert len(fake.sent()) == 7
    assert [c.at for c in fake.sent()] == [100.0] * 6 + [101.0]
    assert fake.flood_violations == [
        "chat 1: over 1/s after a burst of 3",
        "chat 1: over 1/s after a burst of 3",
        "5 messages within 1 s, over 4/s",
        "6 messages within 1 s, over 4/s",
    ]


async def test_a_file_a_user_sent_is_fetched_with_get_file(fake):
    stored = fake.add_file(b"name,email\nAnna,anna@example.com\n", name="leads.csv")
    update = tg.document_update(10, file_name="leads.csv", mime_type="text/csv", file=stored)
    assert telegram_spec.validate_type("Update", update | {"update_id": 1}) == []
    async with Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url) as bot:
        file = await bot.get_file(update["message"]["document"]["file_id"])
        assert file.file_size == 33
        assert bytes(await file.download_as_bytearray()) == b"name,email\nAnna,anna@example.com\n"
        with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
            await bot.get_file("nope")
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{fake.url}/file/bot{fake.token}/documents/other") as response:
            assert response.status == 404
        async with session.get(f"{fake.url}/file/botwrong/{fake.files[file.file_id][0]}") as r:
            assert r.status == 404
