"""The command menu and the descriptions, through python-telegram-bot against the fake Bot API
(which checks each call against the spec): set once in every language, then left alone."""

from __future__ import annotations

from inline_snapshot import snapshot

from agent.telegram import profile
from agent.telegram.transport import make_bot
from tests.fakes.telegram import FakeTelegram


async def test_the_profile_is_set_in_each_language_once_and_then_left_alone() -> None:
    async with FakeTelegram() as tg, make_bot(tg.token, base_url=tg.base_url) as bot:
        first = await profile.publish(bot)
        sets = len([c for c in tg.calls if c.method.startswith("setMy")])
        again = await profile.publish(bot)
        assert tg.violations == []
    assert first == snapshot(
        [
            "commands default",
            "description default",
            "short description default",
            "commands ru",
            "description ru",
            "short description ru",
            "commands en",
            "description en",
            "short description en",
        ]
    )
    assert (sets, again) == (9, [])
    assert tg.profile[("Commands", "ru")] == snapshot(
        [
            {"command": "start", "description": "Начать: регистрация или что я умею"},
            {"command": "help", "description": "Что я умею"},
        ]
    )
    assert tg.profile[("ShortDescription", "")] == snapshot(
        "The sales team's assistant: prospects, meetings, HubSpot, coaching."
    )


async def test_a_profile_telegram_refuses_is_logged_and_the_bot_goes_on() -> None:
    async with FakeTelegram() as tg, make_bot(tg.token, base_url=tg.base_url) as bot:
        tg.fail("getMyCommands", status=400, description="Bad Request: no", times=10)
        assert await profile.publish(bot) == []
