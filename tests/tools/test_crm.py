"""`log_hubspot` after a meeting: the note in the (sandboxed) HubSpot, our own trace of it,
and the meeting that is over recorded as held with the rep's account."""

from datetime import timedelta

from inline_snapshot import snapshot

from db.meetings import create_meeting, meetings_of_prospect
from tests.conftest import NOW
from tests.tools.test_meetings import ALEX, IVAN, rep_with_alex


async def meeting(talk, rep, starts):
    async with talk.runtime.pool.acquire() as conn:
        await create_meeting(
            conn,
            rep_id=rep.id,
            prospect_id=ALEX,
            title="Алексей Петров — True Real Estate",
            starts_at=starts,
            ends_at=starts + timedelta(minutes=30),
            sandbox=True,
            now=NOW - timedelta(days=1),
        )


async def log_after_the_call(talk):
    talk.script.call(
        "log_hubspot", prospect=ALEX, summary="Созвонились, он заинтересован", outcome="interested"
    )
    asked = await talk.say(IVAN, "Созвонились, он заинтересован, запиши в HubSpot")
    talk.script.say("Записал в HubSpot.")
    done = await talk.press(IVAN, "confirm")
    return asked, done


async def test_a_note_after_a_meeting_marks_it_held(talk):
    rep = await rep_with_alex(talk)
    await meeting(talk, rep, NOW - timedelta(hours=2))
    await meeting(talk, rep, NOW + timedelta(days=3))
    asked, _ = await log_after_the_call(talk)
    assert [m.buttons is not None for m in asked.messages] == [True]
    assert talk.script.last_return() == snapshot(
        {
            "logged": True,
            "prospect": "Алексей Петров",
            "note_id": "56338642969",
            "contact_id": "43532168341",
            "meeting_marked_held": True,
            "note": "Sandbox mode: recorded here only, nothing was written to a real HubSpot. Say so.",
        }
    )
    async with talk.runtime.pool.acquire() as conn:
        held = [(m.status, m.outcome) for m in await meetings_of_prospect(conn, prospect_id=ALEX)]
        kinds = await conn.fetch("SELECT kind FROM activities WHERE prospect_id = $1", ALEX)
    assert held == [("held", "interested"), ("scheduled", None)]
    assert "hubspot_note" in [k["kind"] for k in kinds]


async def test_a_note_with_no_meeting_over_marks_nothing(talk):
    rep = await rep_with_alex(talk)
    await meeting(talk, rep, NOW + timedelta(days=3))
    await log_after_the_call(talk)
    assert "meeting_marked_held" not in talk.script.last_return()
    async with talk.runtime.pool.acquire() as conn:
        held = [m.status for m in await meetings_of_prospect(conn, prospect_id=ALEX)]
    assert held == ["scheduled"]
