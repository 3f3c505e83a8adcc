"""Calendar tools: connecting a rep's Google Calendar and finding their free time."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date, timedelta
from functools import partial
from typing import Any

from pydantic_ai import FunctionToolset, ModelRetry, RunContext

from db import meetings, reps
from db.models import Rep
from tools import notices, texts
from tools.access import NotDone, tool_for
from tools.actor import Role
from tools.calendar_access import Mode, mode_of, using_calendar
from tools.clients import google_auth
from tools.clients.calendar_models import Interval
from tools.clients.errors import AuthFailed, IntegrationError
from tools.deps import Deps
from tools.services import Step, perform
from tools.times import free_ranges, hours_text, working_window, zone_of
from tools.vault import code_challenge

calendar_tools = FunctionToolset[Deps]()

LINK_MINUTES = 15
SANDBOX_NOTE = (
    "Sandbox mode: no real Google Calendar is connected; bookings are recorded here only. "
    "Tell the user so."
)


@tool_for(calendar_tools, Role.ACTIVE)
async def connect_calendar(ctx: RunContext[Deps]) -> dict[str, Any]:
    """Connect the user's Google Calendar: at once, or by a sign-in button sent separately
    (then tell them to press it)."""
    deps = ctx.deps
    rep = deps.actor.active_rep()
    mode = mode_of(deps)
    if mode is Mode.OAUTH:
        await _send_sign_in_link(deps, rep)
        return {"status": "sign_in_link_sent", "link_expires_in_minutes": LINK_MINUTES}
    try:
        account = await using_calendar(deps, rep, lambda a: _primary(deps, rep, a))
    except AuthFailed as e:
        raise NotDone(
            f"Google refused access to {rep.email}'s calendar ({e.message}). A Workspace admin "
            "must allow the service account's domain-wide delegation for the scopes "
            f"{', '.join(google_auth.SCOPES)}"
        ) from None
    except IntegrationError as e:
        raise NotDone(f"Google Calendar did not answer ({e.message}); try again later") from None
    await reps.set_calendar_account(deps.db, rep_id=rep.id, account=account, now=deps.now())
    sandbox = mode is Mode.SANDBOX
    return {"status": "connected", "account": account} | ({"note": SANDBOX_NOTE} if sandbox else {})


@tool_for(calendar_tools, Role.ACTIVE)
async def find_free_slots(
    ctx: RunContext[Deps], day: date, duration_minutes: int = 30
) -> dict[str, Any]:
    """The user's free time on a day (their calendar and meetings here, working hours).
    Offer times from these ranges."""
    deps = ctx.deps
    rep = deps.actor.active_rep()
    zone = zone_of(deps)
    if not 10 <= duration_minutes <= 240:
        raise ModelRetry("duration_minutes must be between 10 and 240")
    if day < deps.now().astimezone(zone).date():
        raise ModelRetry(f"{day} is in the past for the user; ask which day they mean")
    window = working_window(deps, day, zone)
    busy = await _busy(deps, rep, window)
    length = timedelta(minutes=duration_minutes)
    free = [r for r in free_ranges(window, busy, after=deps.now()) if r.end - r.start >= length]
    ranges = [f"{r.start.astimezone(zone):%H:%M}–{r.end.astimezone(zone):%H:%M}" for r in free]
    result: dict[str, Any] = {
        "day": f"{day:%A %Y-%m-%d}",
        "timezone": str(zone),
        "working_hours": hours_text(deps),
        "free": ranges,
    }
    return result | ({"note": SANDBOX_NOTE} if deps.services.calendar.sandbox else {})


async def _primary(deps: Deps, rep: Rep, access: Any) -> str:
    calendar = deps.services.calendar
    step = Step(
        "google_calendar",
        "calendars.get",
        calendar.sandbox,
        {"calendarId": "primary"},
        rep_id=rep.id,
    )
    return await perform(deps.journal, step, lambda: calendar.primary(access), str, deps.now())


async def _busy(deps: Deps, rep: Rep, window: Interval) -> list[Interval]:
    """Busy in the calendar, and in meetings booked here (the calendar may not know them)."""
    calendar = deps.services.calendar
    request = {"timeMin": window.start.isoformat(), "timeMax": window.end.isoformat()}
    step = Step("google_calendar", "freebusy.query", calendar.sandbox, request, rep_id=rep.id)

    def query(access: Any) -> Awaitable[list[Interval]]:
        asked = partial(calendar.busy, access, start=window.start, end=window.end)
        return perform(deps.journal, step, asked, list, deps.now())

    try:
        busy = await using_calendar(deps, rep, query)
    except IntegrationError as e:
        raise NotDone(f"Google Calendar did not answer ({e.message}); try again later") from None
    booked = await meetings.scheduled_between(
        deps.db, rep_id=rep.id, start=window.start, end=window.end
    )
    return busy + [Interval(m.starts_at, m.ends_at) for m in booked]


async def _send_sign_in_link(deps: Deps, rep: Rep) -> None:
    sign_in = deps.services.sign_in
    assert sign_in is not None
    state = sign_in.vault.sign_state(rep.id, deps.now() + timedelta(minutes=LINK_MINUTES))
    url = google_auth.authorization_url(
        sign_in.client,
        redirect_uri=sign_in.redirect_uri,
        state=state,
        code_challenge=code_challenge(sign_in.vault.code_verifier(state)),
        login_hint=rep.email,
    )
    lang = rep.language
    button = [[{"text": texts.text("notice.calendar_button", lang), "url": url}]]
    message = texts.text("notice.calendar_link", lang, minutes=LINK_MINUTES)
    await notices.send(deps, rep.telegram_id, message, buttons=button)
