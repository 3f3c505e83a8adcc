"""Messages the tools send to other people (admins, the rep concerned), in their language.
They are written by code, not by the model: what they say is exactly what happened."""

from __future__ import annotations

from db import outbox
from db.chats import chat_language
from db.models import Rep
from db.outbox import Buttons
from tools.deps import Deps

_TEXT = {
    "new_application": {
        "ru": "Новая заявка на регистрацию!\n\nИмя: {name}\nEmail: {email}\nTelegram: {handle}\n\n"
        "Одобрить или отклонить?",
        "en": "New registration request!\n\nName: {name}\nEmail: {email}\nTelegram: {handle}\n\n"
        "Approve or reject?",
    },
    "approved": {
        "ru": "Отличные новости! Ваша заявка одобрена, вы в команде.\n\nСледующий шаг — подключить "
        "Google Calendar, чтобы я мог назначать встречи с клиентами. Напишите «подключи "
        "календарь», и я всё сделаю.",
        "en": "Great news! Your application is approved and you are on the team.\n\nNext step: "
        "connecting your Google Calendar so I can book meetings with clients. Write "
        '"connect my calendar" and I will set it up.',
    },
    "calendar_link": {
        "ru": "Чтобы подключить Google Calendar, нажмите кнопку ниже и разрешите доступ к "
        "календарю. Ссылка действует {minutes} минут.",
        "en": "To connect your Google Calendar, press the button below and allow access to your "
        "calendar. The link works for {minutes} minutes.",
    },
    "calendar_button": {"ru": "🔗 Подключить Google Calendar", "en": "🔗 Connect Google Calendar"},
    "calendar_connected": {
        "ru": "Google Calendar подключён ({account}). Теперь я могу искать свободное время и "
        "назначать встречи с клиентами.",
        "en": "Your Google Calendar is connected ({account}). I can now find free time and book "
        "meetings with clients.",
    },
    "rejected": {
        "ru": "К сожалению, ваша заявка отклонена.{reason}\n\nЕсли это ошибка, напишите мне снова.",
        "en": "Unfortunately, your application was rejected.{reason}\n\n"
        "If this is a mistake, write to me again.",
    },
    "suspended": {
        "ru": "Ваш доступ приостановлен администратором.{reason}",
        "en": "An admin has suspended your access.{reason}",
    },
    "removed": {
        "ru": "Администратор удалил вас из команды.{reason}",
        "en": "An admin has removed you from the team.{reason}",
    },
    "reason": {"ru": "\nПричина: {reason}", "en": "\nReason: {reason}"},
    "prospect_assigned": {
        "ru": "Вам назначен новый клиент: {name}.\n{context}",
        "en": "A new prospect is assigned to you: {name}.\n{context}",
    },
    "hubspot_logged": {
        "ru": "Встреча «{title}» ({when}) теперь записана в HubSpot: раньше он не отвечал.",
        "en": "The meeting «{title}» ({when}) is now logged in HubSpot; it was down before.",
    },
    "approve": {"ru": "✅ Одобрить", "en": "✅ Approve"},
    "reject": {"ru": "❌ Отклонить", "en": "❌ Reject"},
}


def text(key: str, language: str | None, **values: str) -> str:
    return _TEXT[key]["en" if language == "en" else "ru"].format(**values)


async def send(deps: Deps, chat_id: int, message: str, *, buttons: Buttons | None = None) -> None:
    await outbox.enqueue(
        deps.db,
        chat_id=chat_id,
        text=message,
        buttons=buttons,
        turn_id=deps.turn_id,
        now=deps.now(),
    )


async def application_to_admins(deps: Deps, rep: Rep) -> int:
    handle = f"@{rep.telegram_username}" if rep.telegram_username else f"id {rep.telegram_id}"
    for admin_id in deps.rules.admin_ids:
        language = await chat_language(deps.db, chat_id=admin_id)
        buttons = [
            [
                {"text": text("approve", language), "data": f"approve:{rep.id}"},
                {"text": text("reject", language), "data": f"reject:{rep.id}"},
            ]
        ]
        message = text("new_application", language, name=rep.name, email=rep.email, handle=handle)
        await send(deps, admin_id, message, buttons=buttons)
    return len(deps.rules.admin_ids)


async def status_to_rep(deps: Deps, rep: Rep, key: str, reason: str | None = None) -> None:
    because = text("reason", rep.language, reason=reason) if reason else ""
    await send(deps, rep.telegram_id, text(key, rep.language, reason=because))
