"""Replies in context: when a person replies to one of the bot's messages, the turn is told which
message it was and what it was about (its scheduler event, prospect, meeting or applicant, from
the database), so that "написал ему" under a reminder means that prospect. A note, not the
user's words; what they may do with it is still decided by the tools."""

from __future__ import annotations

from agent.channel import Inbound
from db import outbox
from db.outbox import RepliedTo
from db.queries import Connection
from tools.names import NAME_SHOWN, one_line

QUOTED = 200
"""How much of the replied-to message the note repeats."""


async def note(conn: Connection, inbound: Inbound) -> str | None:
    """The note for a reply, or None when the message replies to nothing."""
    if inbound.reply_to is None:
        return None
    sent = await outbox.replied_to(conn, chat_id=inbound.chat_id, message_id=inbound.reply_to)
    if sent is None:  # not one we know (older, or the user's own): Telegram's quote is all
        if not inbound.quoted:
            return None
        return f"[The user replies to an earlier message, which read: «{_quote(inbound.quoted)}»]"
    subjects = _subjects(sent)
    about = f" about {'; '.join(subjects)}" if subjects else ""
    return (
        f"[The user replies to your message{about}; what they say refers to it. It began: "
        f"«{_quote(sent.text)}»]"
    )


def _subjects(sent: RepliedTo) -> list[str]:
    found = []
    if sent.event:
        found.append(f"scheduler event «{sent.event}»")
    if sent.prospect_id:
        found.append(f"prospect «{_name(sent.prospect_name)}» (id {sent.prospect_id})")
    if sent.meeting_id:
        when = sent.meeting_starts_at.isoformat() if sent.meeting_starts_at else "?"
        found.append(f"meeting «{_name(sent.meeting_title)}» at {when} (id {sent.meeting_id})")
    if sent.rep_id:
        who = f"«{_name(sent.rep_name)}» <{one_line(sent.rep_email or '')}>"
        found.append(f"the rep application of {who} (rep id {sent.rep_id})")
    return found


def _name(text: str | None) -> str:
    return one_line(text or "", NAME_SHOWN)


def _quote(text: str) -> str:
    return one_line(text, QUOTED)
