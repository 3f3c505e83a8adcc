"""What people type, made safe to store and to show: one line, no control or invisible
characters, and within what the database takes (`CHECK (length(name) BETWEEN 1 AND 255)` on
reps and prospects)."""

from __future__ import annotations

import re
import unicodedata

from pydantic_ai import ModelRetry

NAME_MAX = 255
NAME_SHOWN = 100
"""How much of a name a card or a question shows."""
TEXT_SHOWN = 500
"""How much of other typed text (a reason, a prospect's context) a notice shows."""

_KEPT_FORMAT = {"\u200d"}  # the zero-width joiner holds emoji sequences together
_GONE = {"Cc", "Cf", "Zl", "Zp", "Cs"}
_SURROGATE = re.compile("[\ud800-\udfff]")


def storable(text: str) -> str:
    """Text PostgreSQL accepts: no NUL, no lone surrogate (both refused with the whole row)."""
    return _SURROGATE.sub("\ufffd", text.replace("\x00", ""))


def one_line(text: str, limit: int | None = None) -> str:
    """The text as one line: every line break, control and invisible character (bidi marks
    included) is a space, runs of space are one; cut to `limit` with an ellipsis."""
    kept = (
        " " if unicodedata.category(c) in _GONE and c not in _KEPT_FORMAT else c
        for c in storable(text)
    )
    line = " ".join("".join(kept).split())
    return line if limit is None or len(line) <= limit else line[: limit - 1] + "…"


def person_name(name: str, *, whose: str) -> str:
    """A name to store: one line, not blank, not longer than the schema allows."""
    line = one_line(name)
    if not line:
        raise ModelRetry(f"The {whose} name is blank; ask the user for it.")
    if len(line) > NAME_MAX:
        raise ModelRetry(
            f"The {whose} name has {len(line)} characters; at most {NAME_MAX} fit. Ask the user "
            "for a shorter form of it."
        )
    return line
