"""Secrets masked wherever text leaves the process or is kept: log lines, error messages stored
with inbox and outbox items, the audit log. The configured secret values are registered once at
start-up; anything shaped like a token is masked whether registered or not (a rep's OAuth token,
a header quoted in a traceback, the bot token in a Telegram URL)."""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "[secret]"

# A Telegram bot token, a bearer header, Google's access and refresh tokens, an OpenAI-style
# key, a HubSpot private app token.
_SHAPES = re.compile(
    r"(?<!\d)\d{6,12}:[A-Za-z0-9_-]{30,}"
    r"|(?i:bearer)\s+[A-Za-z0-9._~+/=-]{8,}"
    r"|\bya29\.[A-Za-z0-9._-]+"
    r"|\b1//[A-Za-z0-9._-]{10,}"
    r"|\bsk-[A-Za-z0-9_-]{12,}"
    r"|\bpat-[a-z0-9]{2,4}-[A-Za-z0-9-]{12,}"
)

_known: list[str] = []


def register(secrets: Iterable[str | None]) -> None:
    """Adds secret values (six characters or more) to mask from now on."""
    values = set(_known) | {s for s in secrets if s and len(s) >= 6}
    _known[:] = sorted(values, key=len, reverse=True)


def scrub(text: str) -> str:
    """`text` with every registered secret and every token-shaped string masked."""
    for secret in _known:
        text = text.replace(secret, MASK)
    return _SHAPES.sub(MASK, text)


def scrubbed(text: str | None) -> str | None:
    return None if text is None else scrub(text)
