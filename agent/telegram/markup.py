"""What a message carries besides its text: the keyboard made of the outbox's buttons, and
whether its links show a preview."""

from __future__ import annotations

import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions

from db.outbox import Buttons


def keyboard(buttons: Buttons | None) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup([[_button(b) for b in row] for row in buttons])


def _button(button: dict[str, str]) -> InlineKeyboardButton:
    if "url" in button:
        return InlineKeyboardButton(button["text"], url=button["url"])
    return InlineKeyboardButton(button["text"], callback_data=button["data"])


_NO_PREVIEW = re.compile(
    r"https?://(?:[\w-]+\.)*(?:zoom\.us|calendar\.google\.com|meet\.google\.com)/"
)
_OFF = LinkPreviewOptions(is_disabled=True)


def previews(text: str) -> LinkPreviewOptions | None:
    """A Zoom or calendar link's preview is a big grey card that says nothing: off."""
    return _OFF if _NO_PREVIEW.search(text) else None
