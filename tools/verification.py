"""Tools for proving one's email: typing the code mailed to it, or asking for a new one."""

from __future__ import annotations

from typing import Any

from pydantic_ai import FunctionToolset, RunContext

from db import reps
from db.models import Rep
from tools import notices, proof
from tools.access import NotDone, tool_for
from tools.actor import REGISTERED
from tools.deps import Deps
from tools.proof import Checked, Sent

verification = FunctionToolset[Deps]()


async def unproved(deps: Deps) -> bool:
    """Offered only while the user's email is not proved (a code for a proved one does nothing)."""
    return deps.actor.rep is not None and not deps.actor.rep.email_verified


@tool_for(verification, *REGISTERED)
async def verify_my_email(ctx: RunContext[Deps], code: str) -> dict[str, Any]:
    """Check the code the user got by email (it proves the email); never guess one.

    Args:
        code: as the user wrote it
    """
    deps = ctx.deps
    rep = _own(deps)
    if rep.email_verified:
        return {"verified": True, "email": rep.email}
    outcome, left = await proof.check_code(deps, rep, code)
    if outcome is Checked.VERIFIED:
        proved = await reps.get_rep(deps.db, rep_id=rep.id)
        assert proved is not None
        await notices.email_verified_to_admins(deps, proved)
        return {"verified": True, "email": rep.email}
    if outcome is Checked.WRONG and left:
        return {"verified": False, "reason": "wrong code", "tries_left": left}
    if deps.services.mail is None:
        return {"verified": False, "reason": sent_result(deps, Sent.NO_SERVER, rep.email)["note"]}
    return {
        "verified": False,
        "reason": "no code can be typed now: it expired, was replaced, or had too many wrong "
        "tries; offer to send a new one (send_email_code)",
    }


@tool_for(verification, *REGISTERED, applies=unproved)
async def send_email_code(ctx: RunContext[Deps]) -> dict[str, Any]:
    """Mail the user a new email code (earlier ones stop working), e.g. when none came."""
    deps = ctx.deps
    rep = _own(deps)
    sent = await proof.send_code(deps, rep)
    return sent_result(deps, sent, rep.email)


def sent_result(deps: Deps, sent: Sent, email: str) -> dict[str, Any]:
    """What the model needs to tell the user about a code it asked to send."""
    minutes = round(deps.rules.code_ttl.total_seconds() / 60)
    google = deps.services.sign_in is not None
    said = {
        Sent.SENT: f"a code was mailed to {email}; it works for {minutes} minutes. Ask the user "
        "to type it here",
        Sent.FAILED: "the mail server did not answer, so no code was sent; nothing else is lost. "
        "Tell the user and offer to send the code again in a few minutes",
        Sent.TOO_MANY: "enough codes were sent today; the user can use the latest one or ask "
        "again tomorrow",
        Sent.NO_SERVER: "no mail server is configured, so the email cannot be verified by a "
        + ("code; the Google sign-in when connecting the calendar proves it" if google else "code"),
        Sent.VERIFIED: "the email is already verified",
    }
    return {"email_verification": str(sent), "note": said[sent]}


def _own(deps: Deps) -> Rep:
    if deps.actor.rep is None:
        raise NotDone("this user has no registration")
    return deps.actor.rep
