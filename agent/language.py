"""The user's language, from the letters they write, and their yes / no to a confirmation."""

from __future__ import annotations

import re

from tools import texts

_YES = {
    "да",
    "ага",
    "угу",
    "ок",
    "окей",
    "конечно",
    "подтверждаю",
    "давай",
    "верно",
    "yes",
    "y",
    "yeah",
    "yep",
    "sure",
    "ok",
    "okay",
    "confirm",
    "go ahead",
    "да конечно",
    "yes please",
}
_NO = {
    "нет",
    "не",
    "не надо",
    "отмена",
    "отменить",
    "отмени",
    "стоп",
    "no",
    "n",
    "nope",
    "cancel",
    "stop",
    "don't",
    "do not",
}


_NOT_WORDS = re.compile(r"\S+@\S+|https?://\S+|@\w+")


def detect(text: str | None, fallback: str | None = None) -> str | None:
    """Russian or English by the letters of the words (emails, links and @handles aside)."""
    if text:
        text = _NOT_WORDS.sub(" ", text)
        cyrillic = len(re.findall(r"[а-яё]", text, re.IGNORECASE))
        latin = len(re.findall(r"[a-z]", text, re.IGNORECASE))
        if cyrillic or latin:
            return "ru" if cyrillic >= latin else "en"
    return fallback


def from_code(code: str | None) -> str | None:
    """The language to answer in, from Telegram's `language_code`, before the user writes."""
    return texts.language_of(code) if code else None


def yes_or_no(text: str | None) -> bool | None:
    """True for a yes, False for a no, None for anything else."""
    if not text:
        return None
    words = re.sub(r"[^\w\s']", " ", text.lower()).split()
    said = " ".join(words)
    if said in _YES:
        return True
    if said in _NO:
        return False
    return None
