"""The page Google sends a rep back to after they allow access to their calendar: the state
proves which rep asked (and that the link is ours and fresh), the code becomes a sealed token,
and the rep hears in Telegram that the calendar is connected. Only the rep's own work account
connects, and Google vouching for it (the ID token's verified email and Workspace domain)
proves the rep's email."""

from __future__ import annotations

import html
import logging

from aiohttp import web

from agent.integrations import CALLBACK_PATH
from agent.runtime import Runtime
from db import integrations, outbox, reps, verification
from db.models import Rep, RepStatus
from tools import texts
from tools.calendar_access import store_grant
from tools.clients import google_auth
from tools.clients.calendar_models import CalendarAccess
from tools.clients.errors import AuthFailed, IntegrationError
from tools.emails import mailbox
from tools.services import CalendarSignIn
from tools.vault import BadState

log = logging.getLogger(__name__)


def sign_in_routes(rt: Runtime) -> list[web.RouteDef]:
    sign_in = rt.services.sign_in
    if sign_in is None:
        return []

    async def callback(request: web.Request) -> web.Response:
        return await _callback(rt, sign_in, request)

    return [web.get(CALLBACK_PATH, callback)]


async def _callback(rt: Runtime, sign_in: CalendarSignIn, request: web.Request) -> web.Response:
    query = request.query
    if "error" in query:
        return _page("denied", 200)
    raw = query.get("state", "")
    try:
        state = sign_in.vault.verify_state(raw, rt.clock())
    except BadState as e:
        return _page("bad_link", 400, why=str(e))
    rep = await reps.get_rep(rt.pool, rep_id=state.rep_id)
    if rep is None or rep.status is not RepStatus.ACTIVE:
        return _page("not_active", 403)
    if not query.get("code"):
        return _page("bad_link", 400, why="no code")
    spend = integrations.spend_sign_in_state
    if not await spend(rt.pool, nonce=state.nonce, rep_id=rep.id, now=rt.clock()):
        return _page("used_link", 400)
    try:
        verifier = sign_in.vault.code_verifier(raw)
        grant, who, account = await _exchange(rt, sign_in, rep, query["code"], verifier)
    except AuthFailed as e:
        return _page("refused", 400, why=e.message)
    except IntegrationError as e:
        log.warning("calendar sign-in for rep %s failed: %s", rep.id, e)
        return _page("unavailable", 503)
    if mailbox(account) != mailbox(rep.email) or mailbox(who.email) != mailbox(rep.email):
        log.warning("calendar sign-in for rep %s came back as another account", rep.id)
        shown = account if mailbox(account) != mailbox(rep.email) else who.email
        return _page("wrong_account", 403, account=shown, email=rep.email)
    domain = rt.rules.corporate_email_domain
    if not who.email_verified or who.hosted_domain != domain:
        log.warning("calendar sign-in for rep %s: Google did not vouch for the account", rep.id)
        return _page("unproved_account", 403, account=who.email, domain=domain)
    await _connect(rt, sign_in, rep, grant, account)
    return _page("connected", 200, account=account)


async def _exchange(
    rt: Runtime, sign_in: CalendarSignIn, rep: Rep, code: str, verifier: str
) -> tuple[google_auth.TokenGrant, google_auth.Identity, str]:
    grant = await google_auth.exchange_code(
        sign_in.client,
        code=code,
        code_verifier=verifier,
        redirect_uri=sign_in.redirect_uri,
        now=rt.clock(),
        http=sign_in.http,
    )
    who = google_auth.identity_of(sign_in.client, grant, rt.clock())
    access = CalendarAccess(rep.email, google_auth.user_credentials(sign_in.client, grant))
    account = await rt.services.calendar.primary(access)
    return google_auth.grant_after(access.credentials, grant), who, account


async def _connect(
    rt: Runtime, sign_in: CalendarSignIn, rep: Rep, grant: google_auth.TokenGrant, account: str
) -> None:
    now = rt.clock()
    async with rt.pool.acquire() as conn, conn.transaction():
        await store_grant(conn, sign_in.vault, rep.id, grant, now)
        await reps.set_calendar_account(conn, rep_id=rep.id, account=account, now=now)
        # Google vouched for this very address: the sign-in proves the email.
        if not rep.email_verified:
            await verification.mark_verified(
                conn, rep_id=rep.id, email=rep.email, by="google", now=now
            )
        await integrations.record(
            conn,
            service="google_calendar",
            operation="oauth.connect",
            sandbox=False,
            rep_id=rep.id,
            external_id=account,
            request={"scopes": list(grant.scopes)},
            now=now,
        )
        text = texts.text("notice.calendar_connected", rep.language, account=account)
        await outbox.enqueue(conn, chat_id=rep.telegram_id, text=text, now=now)


def _page(key: str, status: int, **values: str) -> web.Response:
    """In every language, since the page cannot know which one the rep reads."""
    escaped = {k: html.escape(v) for k, v in values.items()}
    body = "<br>".join(texts.text(f"signin.{key}", code, **escaped) for code in texts.languages())
    page = f"<!doctype html><meta charset=utf-8><title>salesbot</title><p>{body}</p>"
    return web.Response(text=page, status=status, content_type="text/html")
