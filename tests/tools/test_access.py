"""The door every tool and task goes through: the role checked before the call, the call inside
a savepoint that a refusal or an impossibility rolls back, and one audit row for each outcome."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg
import pytest
from inline_snapshot import snapshot
from pydantic_ai import ApprovalRequired, ModelRetry

from agent.runtime import rules_from
from agent.settings import default_settings
from db.reps import approve_rep, create_rep
from tests.agent.scripted import sent
from tests.conftest import NOW
from tools.access import NotDone, door
from tools.actor import Actor, Refused, Role
from tools.deps import Deps

RULES = rules_from(default_settings())
REPS_ONLY = frozenset({Role.ACTIVE})


def deps_for(conn: asyncpg.Connection, role: Role) -> Deps:
    return Deps(db=conn, actor=Actor(telegram_id=77, role=role), clock=lambda: NOW, rules=RULES)


def registering(
    conn: asyncpg.Connection, then: Exception | None = None
) -> Callable[[], Awaitable[str]]:
    """A call that writes a rep and then fails with `then`, or returns."""

    async def call() -> str:
        await create_rep(
            conn,
            telegram_id=900,
            name="Nika",
            email="nika@truerealestate.bali",
            timezone="Asia/Makassar",
            now=NOW,
        )
        if then is not None:
            raise then
        return "written"

    return call


async def trail(conn: asyncpg.Connection) -> list[tuple]:
    rows = await conn.fetch(
        "SELECT tool, args, allowed, outcome, detail, actor_role, actor_telegram_id"
        " FROM audit_log ORDER BY id"
    )
    return [tuple(r) for r in rows]


async def reps(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM reps"))


async def test_a_call_for_another_role_never_runs_and_is_audited_as_refused(conn):
    said = await door(deps_for(conn, Role.PENDING), "book", REPS_ONLY, {"at": 1}, registering(conn))
    assert said == snapshot("Refused: book is not available to this user (pending).")
    assert await reps(conn) == 0
    assert await trail(conn) == snapshot(
        [("book", {"at": 1}, False, "refused", "not allowed for role pending", "pending", 77)]
    )


async def test_an_allowed_call_keeps_its_writes_and_is_audited_ok_or_confirmed(conn):
    deps = deps_for(conn, Role.ACTIVE)
    assert await door(deps, "book", REPS_ONLY, {}, registering(conn)) == "written"
    assert await door(deps, "log", REPS_ONLY, {}, lambda: _value(), approved=True) == 42
    assert await reps(conn) == 1
    assert [row[3] for row in await trail(conn)] == ["ok", "confirmed"]


async def _value() -> int:
    return 42


async def test_a_refusal_inside_the_call_rolls_its_writes_back(conn):
    call = registering(conn, Refused("the meeting is another rep's"))
    said = await door(deps_for(conn, Role.ACTIVE), "settle", REPS_ONLY, {}, call)
    assert said == snapshot("Refused: the meeting is another rep's")
    assert await reps(conn) == 0
    assert await trail(conn) == snapshot(
        [("settle", {}, False, "refused", "the meeting is another rep's", "active", 77)]
    )


async def test_an_impossible_call_rolls_back_and_says_why(conn):
    call = registering(conn, NotDone("the rep is already removed"))
    said = await door(deps_for(conn, Role.ACTIVE), "approve", REPS_ONLY, {}, call)
    assert said == snapshot("Not done: the rep is already removed")
    assert await reps(conn) == 0
    assert await trail(conn) == snapshot(
        [("approve", {}, True, "not_done", "the rep is already removed", "active", 77)]
    )


@pytest.mark.parametrize(
    ("raised", "outcome", "detail"),
    [
        (ModelRetry("no prospect called Petr"), "retry", "no prospect called Petr"),
        (ApprovalRequired(metadata={"question": "Sure?"}), "confirmation_asked", None),
    ],
)
async def test_a_retry_or_a_question_goes_back_to_the_model_with_nothing_kept(
    conn, raised: Exception, outcome: str, detail: str | None
):
    with pytest.raises(type(raised)):
        await door(deps_for(conn, Role.ACTIVE), "book", REPS_ONLY, {}, registering(conn, raised))
    assert await reps(conn) == 0
    assert await trail(conn) == [("book", {}, True, outcome, detail, "active", 77)]


async def test_only_an_active_rep_has_an_active_rep(conn):
    rep = await create_rep(
        conn,
        telegram_id=5,
        name="Ivan",
        email="ivan@truerealestate.bali",
        timezone="Asia/Makassar",
        now=NOW,
    )
    pending = Actor(telegram_id=5, role=Role.PENDING, rep=rep)
    with pytest.raises(Refused, match="only an active rep can do this, and this user is pending"):
        pending.active_rep()
    with pytest.raises(Refused, match="this user is admin"):
        Actor(telegram_id=6, role=Role.ADMIN).active_rep()


async def test_calls_a_model_sends_together_run_one_after_another(talk):
    """The turn's tools share one connection: run at once, they broke the turn."""
    talk.script.steps.append(
        [("add_prospect", {"name": "Anna Berg"}), ("add_prospect", {"name": "Boris Lee"})]
    )
    talk.script.say("Both added.")
    result = await talk.say(1000, "add Anna Berg and Boris Lee")
    assert not result.failed
    assert [m.text for m in result.messages] == ["Both added."]
    added = [talk.script.returned(0)["name"], talk.script.returned(1)["name"]]
    assert added == ["Anna Berg", "Boris Lee"]
    async with talk.runtime.pool.acquire() as conn:
        names = await conn.fetch("SELECT name FROM prospects WHERE name = ANY($1)", added)
    assert sorted(r["name"] for r in names) == added


async def active_ivan(talk) -> None:
    async with talk.runtime.pool.acquire() as conn:
        rep = await create_rep(
            conn,
            telegram_id=501,
            name="Иван Иванов",
            email="ivan@truerealestate.bali",
            timezone="Asia/Makassar",
            now=NOW,
        )
        await approve_rep(conn, rep_id=rep.id, now=NOW)


async def test_a_call_to_a_tool_that_does_not_apply_now_is_refused_and_audited(talk):
    """cancel_meeting with no meeting to come and finish_practice with none open are not offered;
    called anyway, the model hears a refusal (not an unknown tool) and the audit says who."""
    await active_ivan(talk)
    talk.script.call("cancel_meeting", meeting="Алексей Петров")
    talk.script.call("finish_practice", opening=3)
    talk.script.say("Отменять нечего.")
    result = await talk.say(501, "отмени встречу с Алексеем и закончи тренировку")
    assert {"cancel_meeting", "finish_practice"}.isdisjoint(talk.script.offered[0])
    said = [(r.tool_name, r.content, r.retry) for r in talk.script.returns]
    assert said == snapshot(
        [
            (
                "cancel_meeting",
                "Refused: cancel_meeting does not apply to this user now (active); it is offered only when it does (a meeting to come, a practice call open). Tell the user.",
                None,
            ),
            (
                "finish_practice",
                "Refused: finish_practice does not apply to this user now (active); it is offered only when it does (a meeting to come, a practice call open). Tell the user.",
                None,
            ),
        ]
    )
    rows = await talk.runtime.pool.fetch(
        "SELECT tool, args, actor_role, actor_telegram_id, allowed, outcome, detail, turn_id"
        " FROM audit_log ORDER BY id"
    )
    assert [(*tuple(r)[:-1], r["turn_id"] == result.turn_id) for r in rows] == snapshot(
        [
            (
                "cancel_meeting",
                {"meeting": "Алексей Петров"},
                "active",
                501,
                False,
                "refused",
                "not offered to role active now: it does not apply",
                True,
            ),
            (
                "finish_practice",
                {"opening": 3},
                "active",
                501,
                False,
                "refused",
                "not offered to role active now: it does not apply",
                True,
            ),
        ]
    )


async def test_a_call_to_a_tool_of_another_role_reads_as_a_refusal_even_when_the_run_ends_on_it(
    talk,
):
    """Sent with a call that asks for confirmation, the run pauses before the model reads it:
    the refusal is audited once and kept in the conversation as such."""
    await active_ivan(talk)
    talk.script.steps.append([("approve_rep", {"rep": "@olga"}), ("unregister_me", {})])
    asked = await talk.say(501, "одобри @olga и удали меня")
    talk.script.say("Одобрять может только администратор.")
    await talk.press(501, "cancel")
    said = [(r.tool_name, r.content, r.retry) for r in talk.script.returns]
    assert said[0] == snapshot(
        ("approve_rep", "Refused: approve_rep is not available to this user (active).", None)
    )
    rows = await talk.runtime.pool.fetch(
        "SELECT tool, actor_role, allowed, outcome, detail FROM audit_log ORDER BY id"
    )
    assert [tuple(r) for r in rows] == snapshot(
        [
            ("unregister_me", "active", True, "confirmation_asked", None),
            ("approve_rep", "active", False, "refused", "not offered to role active"),
        ]
    )
    assert [buttons for _, _, buttons in sent(asked)] == snapshot(
        [[[{"data": "confirm", "text": "✅ Подтвердить"}, {"data": "cancel", "text": "✖️ Отмена"}]]]
    )
