"""The instructions hold only the sections for what the actor is: each costs every request."""

import pytest

from db.reps import approve_rep, create_rep
from db.verification import mark_verified
from tests.agent.scripted import ADMIN
from tests.conftest import NOW

STRANGER, REP = 777, 501
SECTIONS = ("Registration", "Selling", "Running the team")


async def a_rep(pool, telegram_id: int, *, proved: bool) -> None:
    async with pool.acquire() as conn:
        rep = await create_rep(
            conn,
            telegram_id=telegram_id,
            name="Иван Иванов",
            email=f"rep{telegram_id}@truerealestate.bali",
            now=NOW,
            timezone="Asia/Makassar",
        )
        await approve_rep(conn, rep_id=rep.id, now=NOW)
        if proved:
            await mark_verified(conn, rep_id=rep.id, email=rep.email, by="code", now=NOW)


def sections(instructions: str) -> list[str]:
    return [name for name in SECTIONS if f"\n{name}\n" in instructions]


@pytest.mark.parametrize(
    ("who", "proved", "expected"),
    [
        (STRANGER, None, ["Registration"]),
        (REP, True, ["Selling"]),
        (REP, False, ["Registration", "Selling"]),
        (ADMIN, None, ["Running the team"]),
        (ADMIN, True, ["Selling", "Running the team"]),
    ],
    ids=["stranger", "rep", "rep-unproved", "admin", "selling-admin"],
)
async def test_each_actor_reads_the_sections_for_what_they_are(talk, who, proved, expected):
    if proved is not None:
        await a_rep(talk.runtime.pool, who, proved=proved)
    talk.script.say("ok")
    await talk.say(who, "hi")
    instructions = talk.script.instructions[-1]
    assert sections(instructions) == expected
    assert instructions.startswith("You are the sales assistant of True Real Estate")
    assert "\nRules\n" in instructions
    assert ("send_email_code" in talk.script.offered[-1]) == (proved is False)
