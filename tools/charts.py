"""The team report as one chart: per rep, the report's numbers as grouped bars, sent as a PNG
photo with a caption. It is worth sending once there are reps to compare; the text report is
sent either way. matplotlib is imported when a chart is drawn, never at import time."""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from typing import Any

from db import outbox
from tools import texts
from tools.deps import Deps
from tools.names import NAME_SHOWN, one_line

SERIES = ("open", "stale", "unreached", "contacts", "meetings_booked", "meetings_held", "converted")
MOST_REPS = 20
"""Reps drawn at most: more would not read at a phone's width."""


@dataclass(frozen=True, slots=True)
class Chart:
    caption: str
    reps: list[str]
    series: list[tuple[str, list[int]]]
    """(label, one value per rep), in SERIES order."""


def team_chart(rows: list[dict[str, Any]], period: str, language: str | None) -> Chart | None:
    """The chart of the team report's rows, or None where text reads as well (under two reps,
    or nothing to show)."""
    if len(rows) < 2 or not any(int(r[k]) for r in rows for k in SERIES):
        return None

    def t(key: str, **values: object) -> str:
        return texts.text(key, language, **values)

    shown = rows[:MOST_REPS]
    caption = t("team_chart.caption", period=t(f"team_report.period_{period}"))
    if len(rows) > len(shown):
        caption += f" ({t('team_chart.more', shown=len(shown), count=len(rows))})"
    return Chart(
        caption=caption,
        reps=[one_line(r["name"], NAME_SHOWN) for r in shown],
        series=[(t(f"team_chart.{k}"), [int(r[k]) for r in shown]) for k in SERIES],
    )


def png(chart: Chart) -> bytes:
    """Horizontal grouped bars, a rep per group, drawn without a display (no pyplot)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    count, width = len(chart.reps), 0.8 / len(chart.series)
    figure = Figure(figsize=(8, 1.2 + 0.9 * count), dpi=100, layout="constrained")
    axes = figure.subplots()
    for index, (label, values) in enumerate(chart.series):
        places = [rep + index * width for rep in range(count)]
        axes.barh(places, values, height=width, label=label)
    axes.set_yticks([rep + 0.4 - width / 2 for rep in range(count)], chart.reps)
    axes.invert_yaxis()
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend(loc="lower right", fontsize="small")
    axes.grid(axis="x", alpha=0.3)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


async def send_chart(deps: Deps, chart: Chart) -> None:
    """To the admin asking, in this turn: drawn off the event loop (it takes a CPU moment)."""
    picture = await asyncio.to_thread(png, chart)
    await outbox.enqueue_photo(
        deps.db,
        chat_id=deps.actor.telegram_id,
        png=picture,
        caption=chart.caption,
        turn_id=deps.turn_id,
        now=deps.now(),
    )
