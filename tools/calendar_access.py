"""Acting in a rep's Google Calendar: as the rep through the Workspace service account, with
the rep's own (sealed, refreshed) OAuth token, or in the sandbox. Only a proved email is acted
as. Revoked access disconnects the calendar and asks the rep to connect again."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import StrEnum
from typing import TypeVar
from uuid import UUID

from db import calendar_channels, integrations, reps
from db.models import Rep
from db.queries import Executor
from tools.access import NotDone
from tools.clients import google_auth
from tools.clients.calendar_models import CalendarAccess
from tools.clients.errors import AuthFailed, IntegrationError
from tools.deps import Deps
from tools.proof import unproved
from tools.vault import Vault

T = TypeVar("T")
log = logging.getLogger(__name__)
PROVIDER = "google"


class Mode(StrEnum):
    SANDBOX = "sandbox"
    DELEGATION = "delegation"
    OAUTH = "oauth"


def mode_of(deps: Deps) -> Mode:
    services = deps.services
    if services.delegation is not None:
        return Mode.DELEGATION
    return Mode.OAUTH if services.sign_in is not None else Mode.SANDBOX


async def using_calendar(deps: Deps, rep: Rep, call: Callable[[CalendarAccess], Awaitable[T]]) -> T:
    """Runs `call` as the rep; a refreshed token is sealed and saved afterwards."""
    access, grant = await _access(deps, rep)
    try:
        result = await call(access)
    except AuthFailed as e:
        if mode_of(deps) is Mode.OAUTH:
            await disconnect(deps, rep)
            raise NotDone(
                "Google refused the rep's calendar access (it was revoked or expired): "
                f"{e.message}. Their calendar is now disconnected; ask them to connect it "
                "again with connect_calendar."
            ) from None
        raise
    if grant is not None:
        fresh = google_auth.grant_after(access.credentials, grant)
        if fresh != grant:
            await _save(deps, rep, fresh)
    return result


async def disconnect(deps: Deps, rep: Rep) -> None:
    """Google has revoked the access: that stays true even if this turn is rolled back. Its
    push channels are forgotten (Google ends them; a notification on one is refused)."""
    now = deps.now()
    await calendar_channels.drop_of_rep(deps.journal, rep_id=rep.id)
    await integrations.revoke_token(deps.journal, rep_id=rep.id, provider=PROVIDER, now=now)
    await reps.set_calendar_account(deps.journal, rep_id=rep.id, account=None, now=now)


def require_proved(deps: Deps, rep: Rep) -> None:
    """Google is acted in only as a proved email (the sandbox acts nowhere); for a step that
    comes before the calendar, so that nothing is done half way."""
    if mode_of(deps) is not Mode.SANDBOX and not rep.email_verified:
        raise NotDone(unproved(deps, rep))


async def _access(deps: Deps, rep: Rep) -> tuple[CalendarAccess, google_auth.TokenGrant | None]:
    services = deps.services
    require_proved(deps, rep)
    if services.delegation is not None:
        return CalendarAccess(rep.email, services.delegation.credentials(rep.email)), None
    if services.sign_in is None:
        return CalendarAccess(rep.calendar_account_name or rep.email), None
    stored = await integrations.get_token(deps.db, rep_id=rep.id, provider=PROVIDER)
    if stored is None or rep.calendar_connected_at is None:
        raise NotDone("the rep has not connected their Google Calendar yet; offer connect_calendar")
    grant = google_auth.TokenGrant.from_json(services.sign_in.vault.open(stored.ciphertext))
    creds = google_auth.user_credentials(services.sign_in.client, grant)
    return CalendarAccess(rep.calendar_account_name or rep.email, creds), grant


async def _save(deps: Deps, rep: Rep, grant: google_auth.TokenGrant) -> None:
    assert deps.services.sign_in is not None
    await store_grant(deps.db, deps.services.sign_in.vault, rep.id, grant, deps.now())


async def store_grant(
    db: Executor, vault: Vault, rep_id: UUID, grant: google_auth.TokenGrant, now: datetime
) -> None:
    """Seals the rep's token; the plain token never reaches the database."""
    await integrations.save_token(
        db,
        rep_id=rep_id,
        provider=PROVIDER,
        ciphertext=vault.seal(grant.to_json()),
        scopes=list(grant.scopes),
        expires_at=grant.expires_at,
        now=now,
    )


async def forget(deps: Deps, rep: Rep) -> None:
    """The rep is leaving: every token we keep for them is deleted and revoked at Google (when
    Google answers; the grant is useless to us either way), and their calendar disconnected."""
    now = deps.now()
    stored = await integrations.delete_tokens(deps.db, rep_id=rep.id)
    await reps.set_calendar_account(deps.db, rep_id=rep.id, account=None, now=now)
    sign_in = deps.services.sign_in
    if sign_in is None:
        return
    for token in stored:
        grant = google_auth.TokenGrant.from_json(sign_in.vault.open(token.ciphertext))
        try:
            secret = grant.refresh_token or grant.access_token
            await google_auth.revoke(sign_in.client, secret, http=sign_in.http)
        except IntegrationError as e:
            log.warning("could not revoke the Google grant of rep %s: %s", rep.id, e)
