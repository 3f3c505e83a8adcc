"""Log lines as text or as one JSON object a line, each carrying the chat and turn it belongs
to, and never a secret (`tools.redaction` masks every line, whoever wrote it: our code, a
library's request line, a traceback quoting a header)."""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import IO, Any, Literal

from tools import redaction
from tools.redaction import scrub

_context: contextvars.ContextVar[dict[str, int]] = contextvars.ContextVar("log_context")


@contextlib.contextmanager
def bound(**ids: int | None) -> Iterator[None]:
    """Every line logged inside carries these ids (`chat`, `turn`, `item`)."""
    token = _context.set({**_context.get({})})
    note(**ids)
    try:
        yield
    finally:
        _context.reset(token)


def note(**ids: int | None) -> None:
    """Adds ids to the innermost `bound` block (a turn learns its id once it has begun)."""
    current = _context.get(None)
    if current is not None:
        current.update({k: v for k, v in ids.items() if v is not None})


class _Format(logging.Formatter):
    def __init__(self, style: Literal["text", "json"]) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.style = style

    def format(self, record: logging.LogRecord) -> str:
        ids = _context.get({})
        if self.style == "text":
            line = super().format(record)
            where = " ".join(f"{k}={v}" for k, v in ids.items())
            return scrub(f"{line} [{where}]" if where else line)
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": scrub(record.getMessage()),
            **ids,
        }
        if record.exc_info:
            entry["error"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def handler(*, style: Literal["text", "json"], stream: IO[str] | None = None) -> logging.Handler:
    """A handler writing `style` lines to stderr (or `stream`), secrets masked."""
    out = logging.StreamHandler(stream)
    out.setFormatter(_Format(style))
    return out


def configure(
    *, level: str, style: Literal["text", "json"], secrets: Iterable[str | None] = ()
) -> None:
    """Replaces the root logger's handlers with one masking handler at `level`; `secrets` are
    masked from now on wherever text is logged or kept."""
    redaction.register(secrets)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler(style=style))
    root.setLevel(level.upper())
    if root.level > logging.DEBUG:  # a request line per Telegram call drowns the rest
        logging.getLogger("httpx").setLevel(logging.WARNING)
