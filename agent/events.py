"""A scheduler event as a turn: the agent is told, in a note that is not the user's words, what
came due and what to write; it writes to the person with the same tools and rules as ever."""

from __future__ import annotations

import json
from typing import Any

from agent.channel import Inbound, Kinds, Sender, Unreadable
from db.inbox import Claim
from db.scheduler import EventKind

ASK: dict[EventKind, str] = {
    EventKind.PROSPECT_ASSIGNED: (
        "A new prospect was assigned to this rep by round-robin. Tell them who it is and why "
        "they matter (the context), draft a short first message to the prospect in the "
        "prospect's language with a link to their Telegram (https://t.me/USERNAME), and ask the"
        " rep to tell you once they have written."
    ),
    EventKind.UNREACHED_REMINDER: (
        "This prospect is still unreached since it was assigned. Remind the rep kindly, offer a"
        " fresh draft of a first message in the prospect's language, and ask them to report "
        "when they write (or to say if they want reminders later)."
    ),
    EventKind.FOLLOW_UP: (
        "The rep contacted this prospect a while ago and has not reported an answer. Ask "
        "whether the prospect replied; offer a short, honest follow-up draft in the prospect's "
        "language (no invented scarcity or pressure)."
    ),
    EventKind.MEETING_PREP: (
        "The rep has this meeting within the hour. If it is with a prospect, first call "
        "meeting_brief for them (the deal's signals and what was recorded lately). Then give a "
        "prep plan from those facts only: the situation in two lines citing the signals, three "
        "concrete steps for the call, and the likely objections with answers."
    ),
    EventKind.MEETING_DEBRIEF: (
        "This meeting has ended. Ask the rep how it went. When they answer, offer to log it to "
        "HubSpot (log_hubspot) and to update the prospect's status."
    ),
    EventKind.PENDING_APPLICATION: (
        "This application has been waiting for a decision for a long time. Tell the admin who "
        "it is and ask them to approve or reject it."
    ),
    EventKind.STALE_DIGEST: (
        "The daily digest: these open prospects of the rep have had no activity for days, and "
        "these open deals have not moved stage. List them briefly (longest first, a deal with "
        "its stage and amount) and suggest one next step for each."
    ),
    EventKind.TEAM_DIGEST: (
        "The daily team digest for an admin: per rep, open, stale and unreached prospects, open "
        "deals and those stuck in a stage, and pending applications. Summarise in a few lines; "
        "point out who needs help."
    ),
    EventKind.CALENDAR_REMINDER: (
        "The rep has not connected their Google Calendar yet. Remind them in one or two "
        "sentences and offer to do it now (connect_calendar)."
    ),
}
"""What the agent is asked to do with each kind of event: every kind has its note."""


def inbound_for(item: Claim) -> Inbound:
    payload: dict[str, Any] = item.payload
    try:
        kind = EventKind(str(payload.get("event")))
    except ValueError:
        raise Unreadable(f"unknown scheduler event {payload.get('event')!r}") from None
    data = json.dumps(payload.get("data", {}), ensure_ascii=False, default=str)
    note = f"[Scheduler event «{kind}»; not the user's words. {ASK[kind]} Data: {data}]"
    return Inbound(item.chat_id, Sender(item.chat_id), note=note, claim=item)


KINDS: Kinds = {"event": inbound_for}
