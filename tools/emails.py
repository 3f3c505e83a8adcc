"""Email checks whose failures the model can fix by asking the user again."""

from __future__ import annotations

import re

from pydantic_ai import ModelRetry

EMAIL_MAX = 255
"""The schema's `CHECK (length(email) BETWEEN 3 AND 255)`."""

_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


def mailbox(email: str) -> str:
    """The mailbox an address reaches: case and a "+tag" aside (as `mailbox()` in the schema)."""
    local, _, domain = email.strip().lower().rpartition("@")
    return f"{local.partition('+')[0]}@{domain}"


def valid_email(email: str) -> str:
    email = email.strip().strip("<>").lower()
    if len(email) > EMAIL_MAX:
        raise ModelRetry(
            f"That email has {len(email)} characters; an address has at most {EMAIL_MAX}. Ask the "
            "user to type it again."
        )
    if not _EMAIL.match(email):
        raise ModelRetry(f"{email!r} is not an email address; ask the user to type it again.")
    return email


def corporate_email(email: str, domain: str) -> str:
    email = valid_email(email)
    if email.rpartition("@")[2] != domain:
        raise ModelRetry(
            f"{email} is not a corporate address: it must end with @{domain}. Tell the user and "
            "ask for their corporate email; do not register any other address."
        )
    return email
