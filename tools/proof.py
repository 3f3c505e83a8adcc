"""Proving that a rep owns their email before the bot acts as it: a one-time code mailed to the
address (only its salted hash is kept; it expires, allows a few wrong tries and works once), or
the Google sign-in as that address. What the admins' card says about it comes from here too."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta
from enum import StrEnum

from db import verification
from db.models import Rep
from tools import texts
from tools.clients.errors import IntegrationError
from tools.deps import Deps

log = logging.getLogger(__name__)
DIGITS = 6


class Sent(StrEnum):
    """What became of a code to send."""

    SENT = "code_sent"
    FAILED = "mail_failed"
    TOO_MANY = "too_many_codes"
    NO_SERVER = "no_mail_server"
    VERIFIED = "already_verified"


class Checked(StrEnum):
    VERIFIED = "verified"
    WRONG = "wrong_code"
    NO_CODE = "no_live_code"
    """Expired, used up by wrong tries, replaced by a newer one, or never sent."""


async def send_code(deps: Deps, rep: Rep) -> Sent:
    """Mails a fresh code to the rep's email (the earlier ones stop working). A mail server that
    does not answer loses nothing: the rep can ask for a code again."""
    mail = deps.services.mail
    if rep.email_verified:
        return Sent.VERIFIED
    if mail is None:
        return Sent.NO_SERVER
    now = deps.now()
    since = now - timedelta(days=1)
    if await verification.codes_sent_since(deps.db, rep_id=rep.id, since=since) >= (
        deps.rules.codes_per_day
    ):
        return Sent.TOO_MANY
    code = f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"
    minutes = round(deps.rules.code_ttl.total_seconds() / 60)
    lang = rep.language
    try:
        await mail.send(
            to=rep.email,
            subject=texts.text("mail.code_subject", lang, code=code),
            body=texts.text("mail.code_body", lang, code=code, minutes=minutes),
        )
    except IntegrationError as e:
        log.warning("could not mail a code to rep %s: %s", rep.id, e)
        return Sent.FAILED
    await verification.issue_code(
        deps.db,
        rep_id=rep.id,
        email=rep.email,
        code_hash=_hashed(code, secrets.token_hex(16)),
        expires_at=now + deps.rules.code_ttl,
        now=now,
    )
    return Sent.SENT


async def check_code(deps: Deps, rep: Rep, typed: str) -> tuple[Checked, int]:
    """The outcome and how many wrong tries are left. A wrong try is counted outside the turn,
    so that a turn undone cannot give tries back."""
    now = deps.now()
    live = await verification.live_code(deps.db, rep_id=rep.id, email=rep.email, now=now)
    if live is None:
        return Checked.NO_CODE, 0
    limit = deps.rules.code_attempts
    code = "".join(c for c in typed if c.isdigit())
    if not _matches(code, live.code_hash):
        tried = await verification.count_attempt(
            deps.journal, code_id=live.id, limit=limit, now=now
        )
        return Checked.WRONG, max(limit - max(tried, live.attempts + 1), 0)
    if not await verification.spend_code(deps.db, code_id=live.id, now=now):
        return Checked.NO_CODE, 0
    await verification.mark_verified(deps.db, rep_id=rep.id, email=rep.email, by="code", now=now)
    return Checked.VERIFIED, limit - live.attempts


def card_state(deps: Deps, rep: Rep, sent: Sent | None = None) -> str:
    """The `verify.state.*` key that says where the rep's email stands."""
    if rep.email_verified_by == "google":
        return "google"
    if rep.email_verified:
        return "code"
    if sent in (Sent.SENT, Sent.FAILED, Sent.TOO_MANY):
        return str(sent)
    if deps.services.mail is not None:
        return "code_asked"
    return "sign_in" if deps.services.sign_in is not None else "no_mail_server"


def unproved(deps: Deps, rep: Rep) -> str:
    """Why the rep's calendar is not used yet, and what they can do, for the model."""
    if deps.services.mail is not None:
        how = (
            "ask them to type the code mailed to that address (verify_my_email), or send a new "
            "one with send_email_code"
        )
    elif deps.services.sign_in is not None:
        how = "connect_calendar sends a Google sign-in link: signing in as that address proves it"
    else:
        how = "no mail server is configured, so an admin must set up SMTP first"
    return (
        f"the user's email {rep.email} is not verified yet, and the calendar is used only for a "
        f"verified email (so nobody can act as someone else). Tell them to verify it first: {how}"
    )


def _hashed(code: str, salt: str) -> str:
    digest = hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()
    return f"sha256${salt}${digest}"


def _matches(code: str, stored: str) -> bool:
    _, salt, _ = stored.split("$")
    return len(code) == DIGITS and hmac.compare_digest(_hashed(code, salt), stored)
