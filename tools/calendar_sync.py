"""A rep's Google Calendar as a source of meetings: one sync reads what changed since the last
(in full the first time, or when Google has forgotten where it left off), decides which events
are sales meetings, and applies that, with the new sync token, in one transaction: an
interrupted sync leaves nothing half done and the next one starts from the same token.

A meeting the bot booked is the same event (its id comes from the booking's key), so it is
found, not duplicated. A moved event moves its meeting: the prep and the debrief are keyed by
the meeting's start, so the ones queued for the old time are dropped and new ones come. A
cancelled, declined or deleted event cancels its meeting, and its prep and debrief with it."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from db import calendar_channels, calendar_syncs, prospects
from db import meetings as meetings_db
from db.calendar_syncs import SyncState
from db.models import Rep
from tools import hot_leads, notices, texts
from tools.access import NotDone
from tools.calendar_access import using_calendar
from tools.calendar_events import KnownProspect, Linked, NotAMeeting, SalesMeeting, decide
from tools.clients.calendar_models import CalendarAccess, EventChanges, SyncedEvent
from tools.clients.errors import IntegrationError, SyncTokenExpired
from tools.deps import Deps

log = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(hours=6)
UNTITLED = "—"


@dataclass(frozen=True, slots=True)
class Synced:
    full: bool
    pages: int
    events: int
    meetings: int
    cancelled: int
    prospects: int


async def sync(deps: Deps, rep: Rep) -> Synced | None:
    """Syncs the rep's calendar in the caller's transaction; None when it failed (recorded, to
    be tried again later; the rep is told once when it keeps failing)."""
    now = deps.now()
    state = await calendar_syncs.lock_state(deps.db, rep_id=rep.id, now=now)
    try:
        changes, full = await _read(deps, rep, state)
    except (IntegrationError, NotDone) as e:
        await _failed(deps, rep, state, e)
        return None
    # With nothing changed the one statement left is atomic without a savepoint of its own.
    whole = deps.db.transaction() if changes.events else contextlib.nullcontext()
    async with whole:
        synced = await _apply(deps, rep, changes, full)
        await calendar_syncs.record_success(
            deps.db,
            rep_id=rep.id,
            sync_token=changes.sync_token,
            now=now,
            next_attempt_at=now + await _every(deps, rep),
        )
    return synced


async def _every(deps: Deps, rep: Rep) -> timedelta:
    """A calendar Google pushes the changes of is polled only as a safety net."""
    rules = deps.rules.calendar_sync
    if rules.push_address is not None and await calendar_channels.live(
        deps.db, rep_id=rep.id, now=deps.now()
    ):
        return rules.watched_every
    return rules.every


async def _read(deps: Deps, rep: Rep, state: SyncState) -> tuple[EventChanges, bool]:
    calendar, now = deps.services.calendar, deps.now()
    start, end = now - timedelta(days=1), now + timedelta(days=deps.rules.calendar_sync.days)
    token = state.sync_token

    async def read(access: CalendarAccess) -> tuple[EventChanges, bool]:
        if token is not None:
            try:
                return await calendar.changes(access, sync_token=token), False
            except SyncTokenExpired:
                log.info("calendar sync token of rep %s expired: syncing in full", rep.id)
        return await calendar.changes(access, start=start, end=end), True

    return await using_calendar(deps, rep, read)


async def _apply(deps: Deps, rep: Rep, changes: EventChanges, full: bool) -> Synced:
    now, db = deps.now(), deps.db
    emails = {a.email for e in changes.events for a in e.attendees}
    known = {
        p.email: KnownProspect(p.id, p.assigned_rep_id)
        for p in await calendar_syncs.prospects_by_email(db, emails=emails)
    }
    created = 0
    gone: list[str] = []
    found: list[str] = []
    meetings: list[calendar_syncs.CalendarMeeting] = []
    for event in _latest(changes.events):
        decision = decide(
            event,
            rep_id=rep.id,
            rep_email=rep.email,
            corporate_domain=deps.rules.corporate_email_domain,
            prospects=known,
        )
        if isinstance(decision, NotAMeeting):
            (gone if decision.why in ("cancelled", "declined") else found).append(decision.event_id)
            continue
        prospect_id, new = await _prospect_of(deps, rep, decision, known)
        created += new
        meetings.append(
            calendar_syncs.CalendarMeeting(
                event_id=decision.event_id,
                prospect_id=prospect_id,
                title=decision.title or UNTITLED,
                starts_at=decision.starts_at,
                ends_at=decision.ends_at,
            )
        )
    # Each event is decided once, so the cancellations and the upserts touch different meetings.
    cancelled = await calendar_syncs.cancel_event_meetings(
        db, rep_id=rep.id, gone=gone, found=found, now=now
    )
    kept = await calendar_syncs.upsert_calendar_meetings(
        db, rep_id=rep.id, meetings=meetings, now=now
    )
    changed = [k.id for k in kept] + cancelled
    await calendar_syncs.queue_follows(db, rep_id=rep.id, meeting_ids=changed, now=now)
    if not full:  # a first (or fresh) sync finds what was there already: no news
        await _alert_booked(deps, [k.id for k in kept if k.made])
    return Synced(full, changes.pages, len(changes.events), len(meetings), len(cancelled), created)


async def _alert_booked(deps: Deps, meeting_ids: list[UUID]) -> None:
    """A meeting the rep has just booked in the calendar is a hot lead, as one booked here."""
    for meeting_id in meeting_ids:
        for meeting in await meetings_db.upcoming(deps.db, now=deps.now(), meeting_id=meeting_id):
            prospect = await prospects.get_prospect(deps.db, prospect_id=meeting.prospect_id or "")
            if prospect is not None:
                await hot_leads.meeting_booked(deps, prospect, meeting)


def _latest(events: tuple[SyncedEvent, ...]) -> list[SyncedEvent]:
    """One per event id, the last listed (an event changed while the pages were read)."""
    return list({e.id: e for e in events}.values())


async def _prospect_of(
    deps: Deps, rep: Rep, meeting: SalesMeeting, known: dict[str, KnownProspect]
) -> tuple[str, bool]:
    """The prospect the meeting is with, and whether they were made just now."""
    if isinstance(meeting.with_, Linked):
        return meeting.with_.prospect_id, False
    new = meeting.with_
    prospect_id = await calendar_syncs.create_calendar_prospect(
        deps.db, rep_id=rep.id, name=new.name, email=new.email, context=new.context, now=deps.now()
    )
    known[new.email] = KnownProspect(prospect_id, rep.id)
    return prospect_id, True


async def _failed(deps: Deps, rep: Rep, state: SyncState, error: Exception) -> None:
    """Tried again later, waiting longer each time; told once when it keeps failing, or at
    once when the rep must connect again (their access was revoked)."""
    now, rules = deps.now(), deps.rules.calendar_sync
    failures = state.consecutive_failures + 1
    wait = min(rules.every * 2 ** (failures - 1), MAX_BACKOFF)
    why = error.message if isinstance(error, IntegrationError) else str(error)
    log.warning("calendar sync of rep %s failed (%d in a row): %s", rep.id, failures, why)
    await calendar_syncs.record_failure(
        deps.db, rep_id=rep.id, error=why[:500], now=now, next_attempt_at=now + wait
    )
    must_reconnect = isinstance(error, NotDone) and state.consecutive_failures < rules.failures
    if failures == rules.failures or must_reconnect:
        message = texts.text("notice.calendar_sync.failing", rep.language)
        await notices.send(deps, rep.telegram_id, message)


async def last_synced(deps: Deps, rep_id: UUID) -> datetime | None:
    state = await calendar_syncs.get_state(deps.db, rep_id=rep_id)
    return None if state is None else state.last_synced_at
