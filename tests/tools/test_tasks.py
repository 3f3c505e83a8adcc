"""A task is done for the person whose chat it is in, through the tools' door: the role and the
ownership checked, the outcome audited, a refusal leaving the work undone."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
from inline_snapshot import snapshot

from agent.runtime import rules_from
from agent.settings import default_settings
from db.meetings import create_meeting, get_meeting_by_key
from db.prospects import assign_prospect_to_rep
from db.reps import approve_rep, create_rep, suspend_rep
from db.scheduler import TaskKind
from tests.conftest import NOW
from tools.actor import resolve_actor
from tools.deps import Deps
from tools.tasks import TASKS, run_task

RULES = rules_from(default_settings())

ALEX = "test_prospect_001"


def test_every_task_kind_is_a_task():
    assert set(TASKS) == set(TaskKind)


async def owed_meeting(conn: asyncpg.Connection):
    ivan = await create_rep(
        conn,
        telegram_id=501,
        name="Иван",
        email="ivan@truerealestate.bali",
        now=NOW,
        timezone="Asia/Makassar",
    )
    olga = await create_rep(
        conn,
        telegram_id=502,
        name="Olga",
        email="olga@truerealestate.bali",
        now=NOW,
        timezone="Asia/Makassar",
    )
    for rep in (ivan, olga):
        await approve_rep(conn, rep_id=rep.id, now=NOW)
    await assign_prospect_to_rep(conn, prospect_id=ALEX, rep_id=ivan.id, now=NOW)
    meeting = await create_meeting(
        conn,
        rep_id=ivan.id,
        prospect_id=ALEX,
        title="Алексей Петров — True Real Estate",
        starts_at=NOW + timedelta(days=1),
        ends_at=NOW + timedelta(days=1, minutes=30),
        sandbox=True,
        idempotency_key="k1",
        owed=["hubspot"],
        now=NOW,
    )
    return ivan, meeting


async def settle_as(conn: asyncpg.Connection, telegram_id: int, meeting) -> str | None:
    actor = await resolve_actor(conn, telegram_id=telegram_id, admin_ids=())
    deps = Deps(db=conn, actor=actor, clock=lambda: NOW, rules=RULES)
    return await run_task(deps, "settle_meeting", {"meeting_id": str(meeting.id)})


async def audited(conn: asyncpg.Connection) -> list[tuple]:
    rows = await conn.fetch(
        "SELECT actor_telegram_id, actor_role, allowed, outcome, detail FROM audit_log"
        " WHERE tool = 'settle_meeting' ORDER BY id"
    )
    return [tuple(r) for r in rows]


async def test_the_meetings_own_rep_settles_what_it_owes_and_is_told(conn):
    _, meeting = await owed_meeting(conn)
    assert await settle_as(conn, 501, meeting) is None
    assert (await get_meeting_by_key(conn, idempotency_key="k1")).owed == []
    told = await conn.fetch("SELECT about FROM outbox WHERE chat_id = 501")
    assert [r["about"] for r in told] == [  # a reply to it is about this meeting
        {"meeting_id": str(meeting.id), "prospect_id": meeting.prospect_id}
    ]
    assert await audited(conn) == snapshot([(501, "active", True, "ok", None)])


async def test_another_rep_cannot_settle_a_meeting_and_nothing_changes(conn):
    _, meeting = await owed_meeting(conn)
    assert await settle_as(conn, 502, meeting) == snapshot("Refused: the meeting is another rep's")
    assert (await get_meeting_by_key(conn, idempotency_key="k1")).owed == ["hubspot"]
    assert await conn.fetchval("SELECT count(*) FROM outbox") == 0
    assert await audited(conn) == snapshot(
        [(502, "active", False, "refused", "the meeting is another rep's")]
    )


async def test_a_suspended_rep_is_refused_by_role(conn):
    ivan, meeting = await owed_meeting(conn)
    await suspend_rep(conn, rep_id=ivan.id, now=NOW)
    assert await settle_as(conn, 501, meeting) == snapshot(
        "Refused: settle_meeting is not available to this user (suspended)."
    )
    assert (await get_meeting_by_key(conn, idempotency_key="k1")).owed == ["hubspot"]
    assert await audited(conn) == snapshot(
        [(501, "suspended", False, "refused", "not allowed for role suspended")]
    )


async def test_an_unknown_task_is_not_done(conn):
    actor = await resolve_actor(conn, telegram_id=501, admin_ids=())
    deps = Deps(db=conn, actor=actor, clock=lambda: NOW, rules=RULES)
    assert await run_task(deps, "launch_rockets", {}) == "unknown task 'launch_rockets'"
