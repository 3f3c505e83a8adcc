"""A rep's own settings: timezone, quiet hours, language, the hour of the daily digest. The
scheduler and every time shown follow them."""

from __future__ import annotations

import dataclasses
import re
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field
from pydantic_ai import FunctionToolset, ModelRetry, RunContext

from db import reps
from db.models import Rep
from tools import texts
from tools.access import NotDone, tool_for
from tools.actor import REGISTERED
from tools.deps import Deps, Rules
from tools.times import zone_name

preference_tools = FunctionToolset[Deps]()

_HOURS = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?\s*[-–—]\s*(\d{1,2})(?::(\d{2}))?\s*$")
_TIME = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?\s*$")


class MySettings(BaseModel):
    timezone: str = Field(description="IANA zone")
    zone_shown_as: str = Field(description="how to name the zone to the user")
    quiet_hours: str = Field(description="no reminders or digests then, local time")
    language: str
    digest_time: str = Field(description="when the daily digest comes, local time")


def settings_of(rep: Rep, rules: Rules) -> MySettings:
    start = rep.quiet_hours_start or rules.quiet_start
    end = rep.quiet_hours_end or rules.quiet_end
    return MySettings(
        timezone=rep.timezone,
        zone_shown_as=zone_name(rep.timezone, rep.language),
        quiet_hours=f"{start:%H:%M}-{end:%H:%M}",
        language=rep.language,
        digest_time=f"{rep.digest_time or rules.digest_time:%H:%M}",
    )


@tool_for(preference_tools, *REGISTERED)
async def update_my_settings(
    ctx: RunContext[Deps],
    timezone: str | None = None,
    quiet_hours: str | None = None,
    language: str | None = None,
    digest_time: str | None = None,
) -> MySettings:
    """Change the user's own settings; omit what stays.

    Args:
        timezone: IANA zone, e.g. Europe/Moscow
        quiet_hours: e.g. 20:00-09:00
        language: ru or en
        digest_time: HH:MM
    """
    deps = ctx.deps
    rep = deps.actor.rep
    if rep is None:
        raise NotDone("this user has no registration")
    quiet = _hours(quiet_hours) if quiet_hours else None
    digest = _time(digest_time, "digest_time") if digest_time else None
    _digest_outside_quiet(rep, deps.rules, quiet, digest)
    updated = await reps.update_settings(
        deps.db,
        rep_id=rep.id,
        now=deps.now(),
        timezone=_zone(timezone) if timezone else None,
        quiet_hours=quiet,
        language=_language(language) if language else None,
        digest_time=digest,
    )
    deps.actor = dataclasses.replace(deps.actor, rep=updated, language=updated.language)
    return settings_of(updated, deps.rules)


def _digest_outside_quiet(
    rep: Rep, rules: Rules, quiet: tuple[time, time] | None, digest: time | None
) -> None:
    start, end = quiet or (
        rep.quiet_hours_start or rules.quiet_start,
        rep.quiet_hours_end or rules.quiet_end,
    )
    at = digest or rep.digest_time or rules.digest_time
    inside = start <= at < end if start < end else (at >= start or at < end)
    if inside:
        raise ModelRetry(
            f"the digest at {at:%H:%M} would fall in the quiet hours {start:%H:%M}-{end:%H:%M}; "
            "ask the user for a digest time outside them"
        )


def _zone(name: str) -> str:
    try:
        return ZoneInfo(name.strip()).key
    except (ZoneInfoNotFoundError, ValueError):
        raise ModelRetry(
            f"{name!r} is not an IANA time zone; give one like Europe/Moscow or Asia/Makassar "
            "(for a city, its zone), or ask the user which city they are in"
        ) from None


def _hours(text: str) -> tuple[time, time]:
    found = _HOURS.match(text)
    if found is None:
        raise ModelRetry(f"quiet_hours {text!r}: write it as start-end, e.g. 20:00-09:00")
    h1, m1, h2, m2 = found.groups()
    start, end = _clock(h1, m1, "quiet_hours"), _clock(h2, m2, "quiet_hours")
    if start == end:
        raise ModelRetry("quiet hours must start and end at different times")
    return start, end


def _time(text: str, what: str) -> time:
    found = _TIME.match(text)
    if found is None:
        raise ModelRetry(f"{what} {text!r}: write it as HH:MM, e.g. 09:30")
    hours, minutes = found.groups()
    return _clock(hours, minutes, what)


def _clock(hours: str, minutes: str | None, what: str) -> time:
    try:
        return time(int(hours), int(minutes or 0))
    except ValueError:
        raise ModelRetry(f"{what}: {hours}:{minutes or '00'} is not a time of day") from None


def _language(code: str) -> str:
    known = texts.languages()
    if code.strip().lower() not in known:
        raise ModelRetry(f"language {code!r}: one of {', '.join(known)}")
    return code.strip().lower()
