"""The bot end to end in one process: updates from the fake Bot API through the inbox, the turn
and the outbox back to the fake, with the real python-telegram-bot client."""

from __future__ import annotations

import asyncio

from agent.runtime import utc_now
from agent.telegram import intake
from db.embedded import throwaway_cluster
from db.migrate import migrate
from db.pool import connect
from tests.agent.telegram.harness import Echo, running
from tests.fakes.telegram import (
    callback_update,
    command_update,
    photo_update,
    sticker_update,
    text_update,
)


async def test_a_message_is_answered(db_dsn: str) -> None:
    async with running(db_dsn) as bot:
        bot.push(text_update(501, "привет"))
        await bot.until(lambda: len(bot.tg.sent(501)) == 1)
        assert bot.tg.texts(501) == ["echo: привет"]


async def test_a_duplicate_update_gets_one_reply(db_dsn: str) -> None:
    async with running(db_dsn) as bot:
        update = text_update(501, "one")
        bot.push(update, update_id=40)
        bot.push(update, update_id=40)
        bot.push(text_update(501, "two"), update_id=41)
        await bot.until(lambda: len(bot.tg.sent(501)) == 2)
        await bot.until(bot.settled)
        bot.push(update, update_id=40)  # Telegram delivers it once more, later
        bot.push(text_update(501, "three"), update_id=42)
        await bot.until(lambda: len(bot.tg.sent(501)) == 3)
        assert bot.tg.texts(501) == ["echo: one", "echo: two", "echo: three"]
        assert await bot.pool.fetchval("SELECT count(*) FROM turns") == 3


async def test_a_flood_wait_is_honoured_and_nothing_is_dropped(db_dsn: str) -> None:
    async with running(db_dsn) as bot:
        bot.tg.fail("sendMessage", retry_after=1, chat_id=501)
        bot.push(text_update(501, "first"))
        bot.push(text_update(501, "second"))
        bot.push(text_update(502, "elsewhere"))
        await bot.until(lambda: len(bot.tg.sent(501)) == 2)
        refused = [c for c in bot.tg.failed if c.method == "sendMessage"]
        accepted = bot.tg.sent(501)
        assert len(refused) == 1
        assert accepted[0].at - refused[0].at >= 1.0
        assert bot.tg.texts(501) == ["echo: first", "echo: second"]
        assert bot.tg.sent(502)[0].at < accepted[0].at  # the other chat did not wait


async def test_a_server_error_is_retried(db_dsn: str) -> None:
    async with running(db_dsn) as bot:
        bot.tg.fail("sendMessage", times=2, status=502, description="Bad Gateway")
        bot.push(text_update(501, "hello"))
        await bot.until(lambda: len(bot.tg.sent(501)) == 1)
        assert bot.tg.texts(501) == ["echo: hello"]
        assert len(bot.tg.failed) == 2
        row = await bot.pool.fetchrow("SELECT status, attempts, last_error FROM outbox")
        assert row is not None
        assert (row["status"], row["attempts"]) == ("sent", 3)


async def test_a_user_who_blocked_the_bot_stalls_no_one(db_dsn: str) -> None:
    async with running(db_dsn) as bot:
        bot.tg.block(666)
        for n in range(3):
            bot.push(text_update(666, f"blocked {n}"))
            bot.push(text_update(501, f"fine {n}"))
        await bot.until(lambda: len(bot.tg.sent(501)) == 3)
        await bot.until(bot.settled)
        statuses = await bot.pool.fetch(
            "SELECT status, last_error FROM outbox WHERE chat_id = 666 ORDER BY id"
        )
        assert [(r["status"], r["last_error"]) for r in statuses] == [
            ("blocked", "Forbidden: bot was blocked by the user")
        ] * 3


async def test_a_press_is_answered_its_keyboard_removed_and_heard(db_dsn: str) -> None:
    async with running(db_dsn) as bot:
        bot.push(callback_update(501, "cancel", message_id=77, callback_id="cb-1"))
        await bot.until(lambda: len(bot.tg.sent(501)) == 1)
        answered = bot.tg.calls_of("answerCallbackQuery")
        edited = bot.tg.calls_of("editMessageReplyMarkup")
        assert [c.fields for c in answered] == [{"callback_query_id": "cb-1"}]
        assert [(c.fields["chat_id"], c.fields["message_id"]) for c in edited] == [(501, 77)]
        assert answered[0].at <= bot.tg.sent(501)[0].at
        assert bot.tg.texts(501) == [
            "echo: [The user pressed «cancel», but nothing is waiting for confirmation any more]"
        ]


async def test_what_is_not_text_is_answered_without_the_model(db_dsn: str) -> None:
    async with running(db_dsn) as bot:
        bot.push(photo_update(501, language_code="en"))
        bot.push(sticker_update(501))
        await bot.until(lambda: len(bot.tg.sent(501)) == 2)
        assert bot.model.calls == 0
        assert bot.tg.texts(501)[0].startswith("I cannot see photos")


async def test_a_group_is_told_once_to_use_private_chat(db_dsn: str) -> None:
    async with running(db_dsn) as bot:
        for n in range(3):
            bot.push(text_update(-300, f"@bot {n}", chat_type="group", user_id=7))
        bot.push(text_update(501, "private"))
        await bot.until(lambda: len(bot.tg.sent(501)) == 1)
        await bot.until(bot.settled)
        assert len(bot.tg.sent(-300)) == 1
        assert bot.model.calls == 1


async def test_start_works_with_and_without_a_payload(db_dsn: str) -> None:
    async with running(db_dsn) as bot:
        bot.push(command_update(501, "/start"))
        bot.push(command_update(502, "/start", "from_site"))
        await bot.until(lambda: len(bot.tg.sent(501)) == len(bot.tg.sent(502)) == 1)
        assert bot.tg.texts(502) == [
            "echo: [The user opened the chat with /start from a link with payload «from_site»]"
        ]


async def test_a_long_reply_is_split_and_names_cannot_break_the_formatting(db_dsn: str) -> None:
    async with running(db_dsn) as bot:
        paragraph = "Клиент <Иван_Петров> & Co: **важно** " + "слово " * 300
        bot.push(text_update(501, "\n\n".join([paragraph.strip()] * 4)))
        await bot.until(bot.settled)
        texts = bot.tg.texts(501)
        assert len(texts) == 2
        assert all(len(t) <= 4096 for t in texts)
        assert texts[0].startswith("echo: Клиент &lt;Иван_Петров&gt; &amp; Co: <b>важно</b> слово")
        row = await bot.pool.fetchrow("SELECT status, parts_sent FROM outbox")
        assert row is not None
        assert (row["status"], row["parts_sent"]) == ("sent", 1)


async def test_a_broken_model_gets_an_apology_in_the_users_language(db_dsn: str) -> None:
    async with running(db_dsn, model=Echo(fail_on={"сломайся"})) as bot:
        bot.push(text_update(501, "сломайся"))
        bot.push(text_update(501, "а теперь?"))
        await bot.until(lambda: len(bot.tg.sent(501)) == 2)
        first, second = bot.tg.texts(501)
        assert first.startswith("Извините, у меня не получилось обработать сообщение")
        assert second == "echo: а теперь?"
        statuses = await bot.pool.fetch("SELECT status FROM inbox ORDER BY id")
        assert [r["status"] for r in statuses] == ["done", "done"]


async def test_a_slow_turn_shows_typing(db_dsn: str) -> None:
    thinking = asyncio.Event()
    async with running(db_dsn, model=Echo(gate=thinking)) as bot:
        bot.push(text_update(501, "думай"))
        await bot.until(lambda: bool(bot.tg.calls_of("sendChatAction")))
        thinking.set()
        await bot.until(lambda: len(bot.tg.sent(501)) == 1)
        typing = bot.tg.calls_of("sendChatAction")
        assert [(c.fields["chat_id"], c.fields["action"]) for c in typing] == [(501, "typing")]
        assert typing[0].at < bot.tg.sent(501)[0].at


async def test_two_hundred_chats_are_served_at_once(db_dsn: str) -> None:
    """All 200 turns are with the model at the same time: none waits for another to end."""
    thinking = asyncio.Event()
    async with running(db_dsn, model=Echo(gate=thinking), workers=200) as bot:
        for chat in range(1, 201):
            bot.push(text_update(chat, f"hi {chat}"))
        await bot.until(lambda: bot.model.inside == 200, seconds=60)
        assert bot.tg.sent() == []
        thinking.set()
        await bot.until(lambda: len(bot.tg.sent()) == 200, seconds=60)
        assert sorted(c.fields["chat_id"] for c in bot.tg.sent()) == list(range(1, 201))


async def test_an_item_that_keeps_crashing_its_worker_is_set_aside(db_dsn: str) -> None:
    async with running(db_dsn) as bot:
        bot.push(text_update(501, "first", language_code="en"))
        await bot.until(bot.settled)
        # as if five workers had died holding it, their leases long gone
        await bot.pool.execute(
            "INSERT INTO inbox (chat_id, kind, update_id, payload, attempts, locked_by,"
            " locked_until) SELECT chat_id, kind, 999, payload, 5, 'dead', now() - interval '1 s'"
            " FROM inbox LIMIT 1"
        )
        await bot.pool.execute("NOTIFY salesbot_inbox")
        await bot.until(lambda: len(bot.tg.sent(501)) == 2)
        assert bot.tg.texts(501)[1].startswith("Sorry, I could not process that message even")
        row = await bot.pool.fetchrow("SELECT status, last_error FROM inbox WHERE update_id = 999")
        assert row is not None
        assert (row["status"], row["last_error"]) == ("failed", "set aside after 5 failed attempts")
        assert bot.model.calls == 1


async def test_when_polling_the_web_server_answers_health_and_metrics(db_dsn: str) -> None:
    import aiohttp

    from tests.agent.test_bot import free_port

    port = free_port()
    async with running(db_dsn, listen=f"127.0.0.1:{port}") as bot:
        bot.push(text_update(501, "hi"))
        await bot.until(lambda: len(bot.tg.sent(501)) == 1)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                health = await response.json()
                assert (response.status, health["ok"], health["problems"]) == (200, True, [])
                assert set(health["loops"]) == {
                    "the database listener",
                    "the outbox sender",
                    "the turn workers",
                    "polling",
                }
            async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                assert response.status == 200
                assert "salesbot_turns_total" in await response.text()
            async with http.get(f"http://127.0.0.1:{port}/oauth/google/callback") as response:
                assert response.status == 404  # no Google sign-in configured: no such page


async def test_a_process_that_takes_no_updates_still_answers_what_others_took_in(
    db_dsn: str,
) -> None:
    async with running(db_dsn, receive=False) as bot:
        bot.push(text_update(501, "left for the poller"))
        await intake.store(
            bot.pool, [{**text_update(502, "taken in elsewhere"), "update_id": 9}], utc_now()
        )
        await bot.until(lambda: len(bot.tg.sent(502)) == 1)
        assert bot.tg.texts(502) == ["echo: taken in elsewhere"]
        assert bot.tg.calls_of("getUpdates") == bot.tg.calls_of("deleteWebhook") == []
        assert bot.tg.sent(501) == []


async def test_every_message_is_answered_once_in_order_through_two_database_restarts() -> None:
    """A server of the test's own is stopped and started again twice while four chats write:
    messages in flight when it stops, others arriving while it is away. The same serving task
    answers every one once, in order, and still answers afterwards."""
    chats, waves = (601, 602, 603, 604), 0
    with throwaway_cluster() as server:
        dsn = await asyncio.to_thread(server.start)
        conn = await connect(dsn)
        await migrate(conn)
        await conn.close()
        async with running(dsn, workers=8, grace=1.0) as bot:

            def wave() -> None:
                nonlocal waves
                for n in range(waves * 3, waves * 3 + 3):
                    for chat in chats:
                        bot.push(text_update(chat, f"{chat}/{n}"))
                waves += 1

            wave()
            for _ in range(2):
                answered = len(bot.tg.sent())

                def more(than: int = answered) -> bool:
                    return len(bot.tg.sent()) > than

                await bot.until(more, seconds=60)
                wave()  # in flight as the server stops
                await asyncio.to_thread(server.stop, force=True)
                wave()  # arriving while it is away
                await asyncio.to_thread(server.start)
            wave()
            total = len(chats) * waves * 3
            await bot.until(lambda: len(bot.tg.sent()) >= total, seconds=120)
            await bot.until(bot.settled, seconds=30)
            for chat in chats:
                assert bot.tg.texts(chat) == [f"echo: {chat}/{n}" for n in range(waves * 3)]
            bot.push(text_update(chats[0], "still there?"))
            await bot.until(lambda: len(bot.tg.sent(chats[0])) == waves * 3 + 1, seconds=30)
            assert not bot.serving.done()
