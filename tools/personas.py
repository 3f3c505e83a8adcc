"""The client a practice call is played against: one of the rep's prospects as our records and
the deal's signals show them, or a typical client; and the objections they are likely to raise,
chosen in code from what is known about them."""

from __future__ import annotations

from typing import Any

from db.models import Prospect, ProspectStatus
from tools.signals import DealSignals

OBJECTIONS = {
    "who": "Who are you, and where did you get my contact?",
    "price": "It is more than I wanted to spend.",
    "ownership": "Foreigners cannot own land in Indonesia: is a leasehold safe?",
    "remote": "I cannot fly over to see it; why should I trust photos?",
    "yield": "Are the rental yields you promise real, after costs?",
    "family": "What about schools, doctors and safety for the children?",
    "busy": "Sorry, I was busy. Just send me something by email.",
    "timing": "Not now: maybe in a few months.",
    "trust": "How do I know the developer finishes on time?",
}
"""What clients of a Bali real-estate agency say, for the model to raise in character."""

HINTS = {
    "price": ("$", "бюджет", "budget", "цен", "price", "k "),
    "ownership": ("вилл", "villa", "земл", "land", "дом", "house"),
    "yield": ("инвест", "invest", "аренд", "rent"),
    "family": ("сем", "famil", "дет", "child", "kid"),
    "timing": ("через", "месяц", "month", "later", "позже"),
}
"""Words in a prospect's context or notes that make an objection likely."""

FALLBACK = ("price", "ownership", "remote", "trust")
SHOWN = 3

TYPICAL = {
    "ru": {"name": "Андрей", "language": "ru"},
    "en": {"name": "Mark", "language": "en"},
}
TYPICAL_SITUATION = (
    "A typical client, made up: an investor from abroad who saw an ad, never been to Bali, "
    "looking at a villa for rental income, budget about $300k, comparing agencies."
)
SIGNALS_SHOWN = (
    "stage",
    "days_in_pipeline",
    "days_since_last_activity",
    "touches",
    "meetings_held",
    "meetings_upcoming",
    "next_step",
    "next_step_overdue",
)


def prospect_persona(prospect: Prospect, signals: DealSignals) -> dict[str, Any]:
    """Who the model plays, from the records: never more than they hold."""
    return {
        "name": prospect.name,
        "language": prospect.language,
        "situation": prospect.context,
        "notes": prospect.notes,
        "deal": {k: getattr(signals, k) for k in SIGNALS_SHOWN},
    }


def typical_persona(language: str) -> dict[str, Any]:
    return {**TYPICAL.get(language, TYPICAL["en"]), "situation": TYPICAL_SITUATION}


def likely_objections(
    prospect: Prospect | None, signals: DealSignals | None, stale_days: int
) -> list[str]:
    """At most three, the likeliest first: what the deal's state says, then what their context
    says, then the usual ones."""
    keys: list[str] = []
    if prospect is not None and signals is not None:
        if prospect.status is ProspectStatus.UNREACHED or signals.touches == 0:
            keys.append("who")
        silent = signals.days_since_last_activity
        if silent is not None and silent >= stale_days:
            keys.append("busy")
        if signals.next_step_overdue:
            keys.append("timing")
        said = f"{prospect.context or ''} {prospect.notes or ''}".lower()
        keys += [k for k, words in HINTS.items() if any(w in said for w in words)]
        if signals.meetings_held == 0:
            keys.append("remote")
    keys += FALLBACK
    return [OBJECTIONS[k] for k in dict.fromkeys(keys)][:SHOWN]
