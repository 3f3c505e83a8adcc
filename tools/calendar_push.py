"""Push from Google Calendar, when the bot has a public address: each connected calendar is
watched by a channel of its own, with a random token only Google and we know (we keep its
hash). A notification naming a channel we opened, with its token, queues a sync of that rep's
calendar, the same task the scheduler queues when polling; anything else is refused, logged
and audited, and syncs nothing. Channels are renewed before they end, and stopped when the rep
disconnects their calendar or leaves (Google is asked to stop them when it still can be)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import uuid4

from db import audit, calendar_channels
from db.calendar_channels import StoredChannel
from db.models import Rep
from db.queries import Executor
from tools.access import NotDone
from tools.calendar_access import using_calendar
from tools.clients.calendar_models import WatchChannel
from tools.clients.errors import IntegrationError
from tools.deps import Deps

log = logging.getLogger(__name__)
RENEW_BEFORE = timedelta(days=1)
"""A channel is renewed this long before it ends (Google's last for about a week)."""


class Received(StrEnum):
    FORGED = "forged"
    OPENED = "opened"
    """Google's first message on a new channel: nothing changed yet."""
    QUEUED = "queued"
    IGNORED = "ignored"
    """Proved, but a sync for it is queued already, or the rep is no longer synced."""


async def watch(deps: Deps, rep: Rep) -> WatchChannel | None:
    """A new channel on the rep's calendar, then the older ones stopped; None when there is no
    public address, or Google refused (tried again later)."""
    address = deps.rules.calendar_sync.push_address
    if address is None or rep.calendar_connected_at is None:
        return None
    older = await calendar_channels.of_rep(deps.db, rep_id=rep.id)
    channel_id, token = str(uuid4()), secrets.token_urlsafe(32)
    calendar = deps.services.calendar
    try:
        opened = await using_calendar(
            deps,
            rep,
            lambda access: calendar.watch(
                access, channel_id=channel_id, address=address, token=token
            ),
        )
    except (IntegrationError, NotDone) as e:
        log.warning("could not watch the calendar of rep %s: %s", rep.id, e)
        return None
    await calendar_channels.add(
        deps.db,
        id=opened.id,
        rep_id=rep.id,
        resource_id=opened.resource_id,
        token_sha256=_hash(token),
        expires_at=opened.expires_at,
        now=deps.now(),
    )
    for channel in older:
        await _stop(deps, rep, channel)
    return opened


async def stop_all(deps: Deps, rep: Rep) -> int:
    """Every channel of the rep stopped at Google (as far as it answers) and forgotten."""
    channels = await calendar_channels.of_rep(deps.db, rep_id=rep.id)
    for channel in channels:
        await _stop(deps, rep, channel)
    return len(channels)


async def _stop(deps: Deps, rep: Rep, channel: StoredChannel) -> None:
    calendar = deps.services.calendar
    try:
        await using_calendar(
            deps,
            rep,
            lambda access: calendar.stop(
                access, channel_id=channel.id, resource_id=channel.resource_id
            ),
        )
    except (IntegrationError, NotDone) as e:
        log.warning("could not stop calendar channel %s of rep %s: %s", channel.id, rep.id, e)
    await calendar_channels.drop(deps.db, id=channel.id)


async def received(
    db: Executor,
    *,
    channel_id: str,
    token: str,
    resource_id: str,
    state: str,
    message: str,
    now: datetime,
) -> Received:
    """What a notification from Google comes to; one not proved is audited."""
    channel = await calendar_channels.get(db, id=channel_id) if channel_id else None
    if channel is None:
        return await _forged(db, channel_id, "no such channel", now)
    if not hmac.compare_digest(_hash(token), channel.token_sha256):
        return await _forged(db, channel_id, "wrong token", now)
    if resource_id != channel.resource_id:
        return await _forged(db, channel_id, "wrong resource", now)
    if state == "sync":
        return Received.OPENED
    queued = await calendar_channels.queue_sync(
        db, rep_id=channel.rep_id, channel_id=channel.id, message=message[:20], now=now
    )
    return Received.QUEUED if queued else Received.IGNORED


async def _forged(db: Executor, channel_id: str, why: str, now: datetime) -> Received:
    log.warning("refused a calendar notification for channel %r: %s", channel_id[:64], why)
    await audit.record(
        db,
        tool="calendar_notification",
        args={"channel_id": channel_id[:64]},
        allowed=False,
        outcome="refused",
        actor_role="google",
        detail=why,
        now=now,
    )
    return Received.FORGED


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
