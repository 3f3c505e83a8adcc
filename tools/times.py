"""Times as the rep means them: in their timezone, inside their working hours, not in the past."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from tools import texts
from tools.clients.calendar_models import Interval
from tools.deps import Deps

SLOT = timedelta(minutes=30)


def zone_of(deps: Deps) -> ZoneInfo:
    rep = deps.actor.rep
    return ZoneInfo(rep.timezone if rep else deps.rules.default_timezone)


def zone_name(zone: ZoneInfo | str, language: str | None) -> str:
    """A zone as people name it ("время Бали", "Bali time"), or its IANA name if none is known:
    the one way a zone is shown to a person."""
    key = f"zone.{zone}"
    return texts.text(key, language) if texts.has(key) else str(zone)


def span(deps: Deps, start: datetime, end: datetime) -> str:
    """A stretch of time as the user reads it: "26.11 15:00–15:30 (время Бали)"."""
    zone = zone_of(deps)
    shown = f"{start.astimezone(zone):%d.%m %H:%M}–{end.astimezone(zone):%H:%M}"
    return f"{shown} ({zone_name(zone, deps.actor.language)})"


def in_zone(moment: datetime, zone: ZoneInfo) -> datetime:
    """A time the model wrote without an offset is the rep's local time."""
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)


def working_window(deps: Deps, day: date, zone: ZoneInfo) -> Interval:
    start = datetime.combine(day, deps.rules.work_start, zone)
    return Interval(start, datetime.combine(day, deps.rules.work_end, zone))


def hours_text(deps: Deps) -> str:
    return f"{deps.rules.work_start:%H:%M}–{deps.rules.work_end:%H:%M}"


def doubt(deps: Deps, start: datetime, end: datetime) -> str | None:
    """Why a meeting at this time should be questioned rather than booked, if it should."""
    local = start.astimezone(zone_of(deps))
    shown = f"{local:%a %d %b %H:%M} ({local.tzinfo})"
    if start <= deps.now():
        return f"{shown} is in the past; ask the user for a future time"
    window = working_window(deps, local.date(), zone_of(deps))
    if start < window.start or end > window.end:
        return (
            f"{shown} is outside working hours ({hours_text(deps)}); "
            "ask the user for a time within them"
        )
    return None


def free_ranges(window: Interval, busy: list[Interval], *, after: datetime) -> list[Interval]:
    """The free parts of `window`, starting on the half hour and not before `after`."""
    cursor = max(window.start, _ceil(after, window.start))
    free = []
    for block in sorted(busy, key=lambda b: b.start):
        if block.end <= cursor:
            continue
        if block.start >= window.end:
            break
        if block.start > cursor:
            free.append(Interval(cursor, min(block.start, window.end)))
        cursor = max(cursor, _ceil(block.end, window.start))
    if cursor < window.end:
        free.append(Interval(cursor, window.end))
    return free


def _ceil(moment: datetime, origin: datetime) -> datetime:
    steps = -(-(moment - origin) // SLOT)
    return origin + max(steps, 0) * SLOT
