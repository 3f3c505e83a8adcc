"""What a rep leaves behind when they leave or are removed: nothing of theirs stays usable, and
none of their clients is left without someone who knows about them."""

from __future__ import annotations

from db import prospects
from db.models import Rep
from tools import calendar_push, notices
from tools.calendar_access import forget
from tools.deps import Deps


async def wind_up(deps: Deps, rep: Rep) -> int:
    """Forgets the rep's Google access and gives their open prospects back (the admins are told
    which); returns how many went back. Google stops pushing their calendar's changes first,
    while the bot may still act for them."""
    await calendar_push.stop_all(deps, rep)
    await forget(deps, rep)
    released = await prospects.release_prospects_of(deps.db, rep_id=rep.id, now=deps.now())
    if released:
        await notices.prospects_released(deps, rep, released)
    return len(released)
