"""The bot's profile in Telegram: the command menu and the two descriptions (the one on the
empty chat, and the short one on the bot's page), in every language we have texts for, the
team's default for everyone else's. Set at start-up only where they differ from what Telegram
has, so restarts cost a few reads, not writes (setMy* calls are rate limited)."""

from __future__ import annotations

import logging

from telegram import BotCommand
from telegram.error import TelegramError

from agent.telegram.transport import TelegramBot
from tools import texts

log = logging.getLogger(__name__)

COMMANDS = ("start", "help")


def commands(language: str) -> list[BotCommand]:
    return [BotCommand(c, texts.text(f"profile.commands.{c}", language)) for c in COMMANDS]


def _audiences() -> list[tuple[str | None, str]]:
    """(Telegram language code, our language): ours each, and English for every other."""
    return [(None, texts.FOREIGN)] + [(code, code) for code in texts.languages()]


async def publish(bot: TelegramBot) -> list[str]:
    """Sets what differs; returns what was set (e.g. "commands ru"). A failure is logged: the
    bot works without a menu."""
    changed = []
    try:
        for code, language in _audiences():
            changed += await _publish(bot, code, language)
    except TelegramError as e:
        log.warning("could not set the bot's commands and descriptions: %s", e)
    return changed


async def _publish(bot: TelegramBot, code: str | None, language: str) -> list[str]:
    changed, where = [], code or "default"
    wanted = commands(language)
    if list(await bot.get_my_commands(language_code=code)) != wanted:
        await bot.set_my_commands(wanted, language_code=code)
        changed.append(f"commands {where}")
    description = texts.text("profile.description", language)
    if (await bot.get_my_description(language_code=code)).description != description:
        await bot.set_my_description(description, language_code=code)
        changed.append(f"description {where}")
    short = texts.text("profile.short_description", language)
    if (await bot.get_my_short_description(language_code=code)).short_description != short:
        await bot.set_my_short_description(short, language_code=code)
        changed.append(f"short description {where}")
    return changed
