"""Reps: registration, look-ups, the status lifecycle and profile changes."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest
from dirty_equals import IsUUID

from db import reps
from db.errors import AlreadyRegistered, EmailTaken, InvalidTransition, RecordNotFound
from db.models import Rep, RepStatus
from tests.conftest import NOW

HOUR = timedelta(hours=1)


# --- helpers -------------------------------------------------------------------------------


async def make_rep(
    conn: asyncpg.Connection,
    telegram_id: int,
    *,
    status: RepStatus | str = RepStatus.ACTIVE,
    email: str | None = None,
    name: str | None = None,
    at: Any = NOW,
) -> Rep:
    """Registers a rep at `at` and walks them to `status`, one minute per step.

    Active, suspended and removed reps were approved (by telegram id 1) on the way; suspended,
    rejected and removed reps carry a status reason."""
    rep = await reps.create_rep(
        conn,
        telegram_id=telegram_id,
        name=name or f"Rep {telegram_id}",
        email=email or f"rep{telegram_id}@example.com",
        now=at,
        timezone="Asia/Makassar",
    )
    step = at + timedelta(minutes=1)
    status = RepStatus(status)
    if status in (RepStatus.ACTIVE, RepStatus.SUSPENDED):
        rep = await reps.approve_rep(conn, rep_id=rep.id, now=step, by_telegram_id=1)
    if status is RepStatus.SUSPENDED:
        rep = await reps.suspend_rep(
            conn, rep_id=rep.id, now=step + timedelta(minutes=1), reason="holiday"
        )
    if status is RepStatus.REJECTED:
        rep = await reps.reject_rep(conn, rep_id=rep.id, now=step, reason="not ours")
    if status is RepStatus.REMOVED:
        rep = await reps.approve_rep(conn, rep_id=rep.id, now=step, by_telegram_id=1)
        rep = await reps.remove_rep(
            conn, rep_id=rep.id, now=step + timedelta(minutes=1), reason="left"
        )
    assert rep.status == status
    return rep


async def rep_count(conn: asyncpg.Connection) -> int:
    count: int = await conn.fetchval("SELECT count(*) FROM reps")
    return count


Transition = Callable[..., Awaitable[Rep]]


async def approve(conn: asyncpg.Connection, rep_id: UUID, now: Any) -> Rep:
    return await reps.approve_rep(conn, rep_id=rep_id, now=now, by_telegram_id=42)


async def reject(conn: asyncpg.Connection, rep_id: UUID, now: Any) -> Rep:
    return await reps.reject_rep(conn, rep_id=rep_id, now=now, reason="no")


async def suspend(conn: asyncpg.Connection, rep_id: UUID, now: Any) -> Rep:
    return await reps.suspend_rep(conn, rep_id=rep_id, now=now, reason="holiday")


async def remove(conn: asyncpg.Connection, rep_id: UUID, now: Any) -> Rep:
    return await reps.remove_rep(conn, rep_id=rep_id, now=now, reason="left")


ACTIONS: dict[str, tuple[Transition, RepStatus]] = {
    "approve": (approve, RepStatus.ACTIVE),
    "reject": (reject, RepStatus.REJECTED),
    "suspend": (suspend, RepStatus.SUSPENDED),
    "remove": (remove, RepStatus.REMOVED),
}

ALLOWED = [
    ("approve", RepStatus.PENDING),
    ("approve", RepStatus.SUSPENDED),
    ("approve", RepStatus.REJECTED),
    ("reject", RepStatus.PENDING),
    ("suspend", RepStatus.ACTIVE),
    ("remove", RepStatus.PENDING),
    ("remove", RepStatus.ACTIVE),
    ("remove", RepStatus.SUSPENDED),
]
REFUSED = [
    (action, status)
    for action in ACTIONS
    for status in RepStatus
    if (action, status) not in ALLOWED
]


# --- create_rep ----------------------------------------------------------------------------


async def test_create_rep_stores_a_pending_application(conn):
    rep = await reps.create_rep(
        conn,
        telegram_id=1001,
        telegram_username="anna_s",
        name="Anna Smirnova",
        email="anna@example.com",
        language="en",
        timezone="Europe/Moscow",
        now=NOW,
    )

    assert rep.id == IsUUID(4)
    assert (rep.telegram_id, rep.telegram_username, rep.name, rep.email) == (
        1001,
        "anna_s",
        "Anna Smirnova",
        "anna@example.com",
    )
    assert (rep.language, rep.timezone) == ("en", "Europe/Moscow")
    assert rep.status is RepStatus.PENDING
    assert rep.registered_at == rep.status_changed_at == rep.created_at == rep.updated_at == NOW
    assert rep.approved_at is None
    assert rep.approved_by is None
    assert rep.approved_by_telegram_id is None
    assert rep.status_reason is None
    assert rep.is_admin is False
    assert await reps.get_rep(conn, rep_id=rep.id) == rep


async def test_create_rep_defaults(conn):
    rep = await reps.create_rep(
        conn, telegram_id=1002, name="Boris", email="b@ex.com", now=NOW, timezone="Asia/Makassar"
    )

    assert rep.telegram_username is None
    assert rep.language == "ru"
    assert rep.timezone == "Asia/Makassar"
    assert rep.calendar_account_name is None
    assert rep.calendar_connected_at is None


@pytest.mark.parametrize(
    "status",
    [RepStatus.PENDING, RepStatus.ACTIVE, RepStatus.SUSPENDED],
)
async def test_registering_twice_raises_already_registered(conn, status):
    first = await make_rep(conn, 2001, status=status)

    with pytest.raises(AlreadyRegistered) as exc:
        await reps.create_rep(
            conn,
            telegram_id=2001,
            name="Other",
            email="other@example.com",
            now=NOW + HOUR,
            timezone="Asia/Makassar",
        )

    assert exc.value.telegram_id == 2001
    assert exc.value.status == status
    assert await reps.get_rep(conn, rep_id=first.id) == first
    assert await rep_count(conn) == 1


@pytest.mark.parametrize(
    "holder_status",
    [RepStatus.PENDING, RepStatus.ACTIVE, RepStatus.SUSPENDED],
)
async def test_live_email_of_another_rep_is_taken(conn, holder_status):
    await make_rep(conn, 3001, status=holder_status, email="Anna@Example.com")

    with pytest.raises(EmailTaken) as exc:
        await reps.create_rep(
            conn,
            telegram_id=3002,
            name="Impostor",
            email="anna@EXAMPLE.com",
            now=NOW + HOUR,
            timezone="Asia/Makassar",
        )

    assert exc.value.email == "anna@EXAMPLE.com"
    assert await reps.get_rep_by_telegram_id(conn, telegram_id=3002) is None
    assert await rep_count(conn) == 1


@pytest.mark.parametrize(
    ("held", "asked"),
    [
        ("anna@example.com", "anna+team@example.com"),
        ("anna+old@example.com", "Anna@Example.com"),
        ("anna+a@example.com", "ANNA+b@example.com"),
        ("anna@example.com", "  anna@example.com "),
    ],
)
async def test_a_mailbox_is_one_registration_whatever_its_case_or_plus_tag(conn, held, asked):
    await make_rep(conn, 3101, status=RepStatus.PENDING, email=held)
    with pytest.raises(EmailTaken):
        await reps.create_rep(
            conn, telegram_id=3102, name="Twin", email=asked, timezone="Asia/Makassar", now=NOW
        )
    other = await make_rep(conn, 3103, status=RepStatus.PENDING, email="anna.b@example.com")
    with pytest.raises(EmailTaken):
        await reps.update_rep(conn, rep_id=other.id, email=asked, now=NOW + HOUR)
    assert (await reps.get_rep_by_email(conn, email=asked)).telegram_id == 3101


@pytest.mark.parametrize("holder_status", [RepStatus.REJECTED, RepStatus.REMOVED])
async def test_email_of_a_rejected_or_removed_rep_can_be_reused(conn, holder_status):
    old = await make_rep(conn, 3101, status=holder_status, email="Anna@Example.com")

    new = await reps.create_rep(
        conn,
        telegram_id=3102,
        name="Anna",
        email="anna@example.com",
        now=NOW + HOUR,
        timezone="Asia/Makassar",
    )

    assert new.id != old.id
    assert new.status is RepStatus.PENDING
    assert new.email == "anna@example.com"
    assert await reps.get_rep(conn, rep_id=old.id) == old


@pytest.mark.parametrize("old_status", [RepStatus.REJECTED, RepStatus.REMOVED])
async def test_rejected_or_removed_rep_reapplies_on_the_same_row(conn, old_status):
    old = await make_rep(conn, 4001, status=old_status, email="old@example.com")
    assert old.status_reason is not None
    later = NOW + 24 * HOUR

    again = await reps.create_rep(
        conn,
        telegram_id=4001,
        telegram_username="new_handle",
        name="New Name",
        email="new@example.com",
        language="en",
        timezone="Europe/Berlin",
        now=later,
    )

    assert again.id == old.id
    assert again.status is RepStatus.PENDING
    assert (again.name, again.email, again.telegram_username) == (
        "New Name",
        "new@example.com",
        "new_handle",
    )
    assert (again.language, again.timezone) == ("en", "Europe/Berlin")
    assert again.status_reason is None
    assert again.approved_at is None
    assert again.approved_by is None
    assert again.approved_by_telegram_id is None
    assert again.registered_at == again.status_changed_at == again.updated_at == later
    assert again.created_at == NOW
    assert await rep_count(conn) == 1


async def test_removed_rep_reapplying_clears_approval_fields(conn):
    admin = await make_rep(conn, 4100)
    rep = await reps.create_rep(
        conn, telegram_id=4101, name="R", email="r@ex.com", now=NOW, timezone="Asia/Makassar"
    )
    rep = await reps.approve_rep(conn, rep_id=rep.id, now=NOW + HOUR, by_rep_id=admin.id)
    rep = await reps.remove_rep(conn, rep_id=rep.id, now=NOW + 2 * HOUR, reason="left")
    assert rep.approved_by == admin.id
    assert rep.status_reason == "left"

    again = await reps.create_rep(
        conn,
        telegram_id=4101,
        name="R",
        email="r@ex.com",
        now=NOW + 3 * HOUR,
        timezone="Asia/Makassar",
    )

    assert again.id == rep.id
    assert again.status is RepStatus.PENDING
    assert again.approved_at is None
    assert again.approved_by is None
    assert again.approved_by_telegram_id is None
    assert again.status_reason is None


async def test_reapplying_with_an_email_now_taken_raises_email_taken(conn):
    old = await make_rep(conn, 4201, status=RepStatus.REMOVED, email="shared@example.com")
    await make_rep(conn, 4202, status=RepStatus.PENDING, email="shared@example.com")

    with pytest.raises(EmailTaken):
        await reps.create_rep(
            conn,
            telegram_id=4201,
            name="Back",
            email="SHARED@example.com",
            now=NOW + HOUR,
            timezone="Asia/Makassar",
        )

    assert await reps.get_rep(conn, rep_id=old.id) == old


# --- look-ups ------------------------------------------------------------------------------


async def test_get_rep_by_id_and_telegram_id(conn):
    a = await make_rep(conn, 5001, status=RepStatus.PENDING)
    b = await make_rep(conn, 5002, status=RepStatus.ACTIVE)

    assert await reps.get_rep(conn, rep_id=a.id) == a
    assert await reps.get_rep(conn, rep_id=b.id) == b
    assert await reps.get_rep(conn, rep_id=uuid4()) is None
    assert await reps.get_rep_by_telegram_id(conn, telegram_id=5001) == a
    assert await reps.get_rep_by_telegram_id(conn, telegram_id=5002) == b
    assert await reps.get_rep_by_telegram_id(conn, telegram_id=5003) is None


async def test_get_rep_by_email_is_case_insensitive(conn):
    rep = await make_rep(conn, 5101, email="Mixed.Case@Example.com")

    assert await reps.get_rep_by_email(conn, email="mixed.case@example.com") == rep
    assert await reps.get_rep_by_email(conn, email="MIXED.CASE@EXAMPLE.COM") == rep
    assert await reps.get_rep_by_email(conn, email="nobody@example.com") is None


async def test_get_rep_by_email_prefers_the_live_row(conn):
    old = await make_rep(conn, 5201, status=RepStatus.REMOVED, email="desk@example.com")
    live = await make_rep(conn, 5202, status=RepStatus.ACTIVE, email="desk@example.com", at=NOW)
    # The removed row is touched last, so "most recent" alone would pick it.
    old = await reps.update_rep(conn, rep_id=old.id, name="Old Desk", now=NOW + 5 * HOUR)
    assert old.updated_at > live.updated_at

    assert await reps.get_rep_by_email(conn, email="DESK@example.com") == live


async def test_get_rep_by_email_without_a_live_row_gives_the_latest(conn):
    await make_rep(conn, 5301, status=RepStatus.REMOVED, email="x@example.com", at=NOW)
    latest = await make_rep(
        conn, 5302, status=RepStatus.REJECTED, email="X@example.com", at=NOW + HOUR
    )

    assert await reps.get_rep_by_email(conn, email="x@example.com") == latest


async def test_list_reps_by_status_in_registration_order(conn):
    # Registered out of telegram-id order, so the order can only come from registered_at.
    await make_rep(conn, 6003, status=RepStatus.ACTIVE, at=NOW + 2 * HOUR)
    await make_rep(conn, 6001, status=RepStatus.PENDING, at=NOW)
    await make_rep(conn, 6005, status=RepStatus.ACTIVE, at=NOW + HOUR)
    await make_rep(conn, 6002, status=RepStatus.SUSPENDED, at=NOW + 3 * HOUR)
    await make_rep(conn, 6004, status=RepStatus.REJECTED, at=NOW + 4 * HOUR)
    await make_rep(conn, 6006, status=RepStatus.REMOVED, at=NOW + 5 * HOUR)
    await make_rep(conn, 6007, status=RepStatus.PENDING, at=NOW + 6 * HOUR)

    async def ids(status: RepStatus | None) -> list[int]:
        return [r.telegram_id for r in await reps.list_reps(conn, status=status)]

    assert await ids(RepStatus.PENDING) == [6001, 6007]
    assert await ids(RepStatus.ACTIVE) == [6005, 6003]
    assert await ids(RepStatus.SUSPENDED) == [6002]
    assert await ids(RepStatus.REJECTED) == [6004]
    assert await ids(RepStatus.REMOVED) == [6006]
    assert await ids(None) == [6001, 6005, 6003, 6002, 6004, 6006, 6007]
    assert all(isinstance(r, Rep) for r in await reps.list_reps(conn))


async def test_list_reps_empty(conn):
    assert await reps.list_reps(conn) == []
    assert await reps.list_reps(conn, status=RepStatus.ACTIVE) == []


async def test_reapplying_moves_a_rep_to_the_end_of_the_registration_order(conn):
    await make_rep(conn, 6101, status=RepStatus.REJECTED, at=NOW)
    await make_rep(conn, 6102, status=RepStatus.PENDING, at=NOW + HOUR)
    await reps.create_rep(
        conn,
        telegram_id=6101,
        name="Again",
        email="a@ex.com",
        now=NOW + 2 * HOUR,
        timezone="Asia/Makassar",
    )

    pending = await reps.list_reps(conn, status=RepStatus.PENDING)

    assert [r.telegram_id for r in pending] == [6102, 6101]


# --- the status lifecycle ------------------------------------------------------------------


async def test_approve_by_telegram_id(conn):
    rep = await make_rep(conn, 7001, status=RepStatus.PENDING)

    approved = await reps.approve_rep(conn, rep_id=rep.id, now=NOW + HOUR, by_telegram_id=999)

    assert approved.status is RepStatus.ACTIVE
    assert approved.approved_at == NOW + HOUR
    assert approved.approved_by_telegram_id == 999
    assert approved.approved_by is None
    assert approved.status_changed_at == approved.updated_at == NOW + HOUR
    assert approved.registered_at == NOW
    assert await reps.get_rep(conn, rep_id=rep.id) == approved


async def test_approve_by_another_rep(conn):
    admin = await make_rep(conn, 7100)
    rep = await make_rep(conn, 7101, status=RepStatus.PENDING)

    approved = await reps.approve_rep(
        conn, rep_id=rep.id, now=NOW + HOUR, by_rep_id=admin.id, by_telegram_id=7100
    )

    assert approved.approved_by == admin.id
    assert approved.approved_by_telegram_id == 7100


async def test_reject_with_reason(conn):
    rep = await make_rep(conn, 7201, status=RepStatus.PENDING)

    rejected = await reps.reject_rep(conn, rep_id=rep.id, now=NOW + HOUR, reason="unknown person")

    assert rejected.status is RepStatus.REJECTED
    assert rejected.status_reason == "unknown person"
    assert rejected.status_changed_at == rejected.updated_at == NOW + HOUR
    assert rejected.approved_at is None
    assert await reps.get_rep(conn, rep_id=rep.id) == rejected


async def test_suspend_keeps_the_approval(conn):
    rep = await make_rep(conn, 7301, status=RepStatus.ACTIVE)

    suspended = await reps.suspend_rep(conn, rep_id=rep.id, now=NOW + HOUR, reason="on leave")

    assert suspended.status is RepStatus.SUSPENDED
    assert suspended.status_reason == "on leave"
    assert suspended.status_changed_at == NOW + HOUR
    assert suspended.approved_at == rep.approved_at
    assert suspended.approved_by_telegram_id == rep.approved_by_telegram_id


async def test_remove(conn):
    rep = await make_rep(conn, 7401, status=RepStatus.ACTIVE)

    removed = await reps.remove_rep(conn, rep_id=rep.id, now=NOW + HOUR, reason="left the team")

    assert removed.status is RepStatus.REMOVED
    assert removed.status_reason == "left the team"
    assert removed.status_changed_at == NOW + HOUR
    assert await reps.get_rep(conn, rep_id=rep.id) == removed


async def test_reapprove_a_suspended_rep(conn):
    rep = await make_rep(conn, 7501, status=RepStatus.SUSPENDED)
    assert rep.status_reason == "holiday"

    back = await reps.approve_rep(conn, rep_id=rep.id, now=NOW + 5 * HOUR, by_telegram_id=77)

    assert back.status is RepStatus.ACTIVE
    assert back.status_reason is None
    assert back.approved_at == NOW + 5 * HOUR
    assert back.approved_by_telegram_id == 77
    assert back.status_changed_at == NOW + 5 * HOUR


@pytest.mark.parametrize(("action", "start"), ALLOWED)
async def test_allowed_transitions(conn, action, start):
    transition, target = ACTIONS[action]
    rep = await make_rep(conn, 7600, status=start)

    moved = await transition(conn, rep.id, NOW + HOUR)

    assert moved.status is target
    assert moved.status_changed_at == NOW + HOUR
    assert await reps.get_rep(conn, rep_id=rep.id) == moved


@pytest.mark.parametrize(("action", "start"), REFUSED)
async def test_refused_transitions_change_nothing(conn, action, start):
    transition, target = ACTIONS[action]
    rep = await make_rep(conn, 7700, status=start, name="Vera")

    with pytest.raises(InvalidTransition) as exc:
        await transition(conn, rep.id, NOW + HOUR)

    assert exc.value.kind == "rep"
    assert exc.value.ref == "Vera"
    assert exc.value.current == start
    assert exc.value.target == target
    assert await reps.get_rep(conn, rep_id=rep.id) == rep


def test_the_refused_list_covers_the_named_cases():
    for case in [
        ("approve", RepStatus.REMOVED),
        ("suspend", RepStatus.PENDING),
        ("reject", RepStatus.ACTIVE),
        ("remove", RepStatus.REMOVED),
    ]:
        assert case in REFUSED
    assert len(REFUSED) + len(ALLOWED) == len(ACTIONS) * len(RepStatus)


@pytest.mark.parametrize("action", list(ACTIONS))
async def test_transition_of_an_unknown_rep_raises_not_found(conn, action):
    transition, _ = ACTIONS[action]
    missing = uuid4()

    with pytest.raises(RecordNotFound) as exc:
        await transition(conn, missing, NOW)

    assert (exc.value.kind, exc.value.ref) == ("rep", missing)


# --- update_rep ----------------------------------------------------------------------------


async def test_update_rep_changes_only_the_given_fields(conn):
    rep = await reps.create_rep(
        conn,
        telegram_id=8001,
        telegram_username="old_handle",
        name="Old Name",
        email="old@example.com",
        language="ru",
        timezone="Asia/Makassar",
        now=NOW,
    )

    renamed = await reps.update_rep(conn, rep_id=rep.id, name="New Name", now=NOW + HOUR)

    assert renamed == dataclasses.replace(rep, name="New Name", updated_at=NOW + HOUR)
    assert await reps.get_rep(conn, rep_id=rep.id) == renamed


async def test_update_rep_all_fields(conn):
    rep = await make_rep(conn, 8101, status=RepStatus.ACTIVE)

    updated = await reps.update_rep(
        conn,
        rep_id=rep.id,
        now=NOW + HOUR,
        name="N",
        email="n@example.com",
        telegram_username="nn",
        language="en",
        timezone="UTC",
    )

    assert (updated.name, updated.email, updated.telegram_username) == ("N", "n@example.com", "nn")
    assert (updated.language, updated.timezone) == ("en", "UTC")
    assert updated.status is RepStatus.ACTIVE
    assert await reps.get_rep(conn, rep_id=rep.id) == updated


async def test_update_rep_with_nothing_only_touches_updated_at(conn):
    rep = await make_rep(conn, 8201, status=RepStatus.PENDING)

    same = await reps.update_rep(conn, rep_id=rep.id, now=NOW + HOUR)

    assert same == dataclasses.replace(rep, updated_at=NOW + HOUR)


async def test_update_rep_to_a_live_email_raises_email_taken(conn):
    await make_rep(conn, 8301, email="taken@example.com")
    rep = await make_rep(conn, 8302, email="mine@example.com")

    with pytest.raises(EmailTaken) as exc:
        await reps.update_rep(conn, rep_id=rep.id, email="TAKEN@example.com", now=NOW + HOUR)

    assert exc.value.email == "TAKEN@example.com"
    assert await reps.get_rep(conn, rep_id=rep.id) == rep


async def test_update_rep_may_change_the_case_of_its_own_email(conn):
    rep = await make_rep(conn, 8401, email="me@example.com")

    updated = await reps.update_rep(conn, rep_id=rep.id, email="Me@Example.com", now=NOW + HOUR)

    assert updated.email == "Me@Example.com"


async def test_update_rep_to_a_removed_reps_email_is_allowed(conn):
    await make_rep(conn, 8501, status=RepStatus.REMOVED, email="gone@example.com")
    rep = await make_rep(conn, 8502, email="mine@example.com")

    updated = await reps.update_rep(conn, rep_id=rep.id, email="gone@example.com", now=NOW + HOUR)

    assert updated.email == "gone@example.com"


async def test_update_unknown_rep_raises_not_found(conn):
    missing = uuid4()

    with pytest.raises(RecordNotFound) as exc:
        await reps.update_rep(conn, rep_id=missing, name="X", now=NOW)

    assert (exc.value.kind, exc.value.ref) == ("rep", missing)


# --- set_calendar_account ------------------------------------------------------------------


async def test_connect_and_disconnect_the_calendar(conn):
    rep = await make_rep(conn, 9001)
    assert rep.calendar_account_name is None
    assert rep.calendar_connected_at is None

    connected = await reps.set_calendar_account(
        conn, rep_id=rep.id, account="rep@gmail.com", now=NOW + HOUR
    )

    assert connected.calendar_account_name == "rep@gmail.com"
    assert connected.calendar_connected_at == NOW + HOUR
    assert connected.updated_at == NOW + HOUR
    assert await reps.get_rep(conn, rep_id=rep.id) == connected

    disconnected = await reps.set_calendar_account(
        conn, rep_id=rep.id, account=None, now=NOW + 2 * HOUR
    )

    assert disconnected.calendar_account_name is None
    assert disconnected.calendar_connected_at is None
    assert disconnected.updated_at == NOW + 2 * HOUR
    assert await reps.get_rep(conn, rep_id=rep.id) == disconnected


async def test_reconnecting_the_calendar_moves_the_connection_time(conn):
    rep = await make_rep(conn, 9101)
    await reps.set_calendar_account(conn, rep_id=rep.id, account="a@gmail.com", now=NOW)

    again = await reps.set_calendar_account(
        conn, rep_id=rep.id, account="b@gmail.com", now=NOW + HOUR
    )

    assert again.calendar_account_name == "b@gmail.com"
    assert again.calendar_connected_at == NOW + HOUR


async def test_set_calendar_account_of_unknown_rep_raises_not_found(conn):
    missing = uuid4()

    with pytest.raises(RecordNotFound) as exc:
        await reps.set_calendar_account(conn, rep_id=missing, account="a@gmail.com", now=NOW)

    assert (exc.value.kind, exc.value.ref) == ("rep", missing)


# --- finding a rep by what someone said -------------------------------------------------------


@pytest.fixture
async def team(conn: asyncpg.Connection) -> dict[str, Rep]:
    people = {
        "ivan": ("Иван Петров", "ivan@example.com"),
        "ivanna": ("Иванна Сидоренко", "ivanna@example.com"),
        "semyon": ("Семён Ли", "semyon+sales@example.com"),
        "anna": ("Анна-Мария Кох", "am@example.com"),
        "percent": ("Ann_a 100%", "weird@example.com"),
    }
    return {
        key: await make_rep(conn, 5100 + i, name=name, email=email)
        for i, (key, (name, email)) in enumerate(people.items())
    }


@pytest.mark.parametrize(
    ("said", "found"),
    [
        ("Иван Петров", ["ivan"]),
        ("петров иван", ["ivan"]),
        ("Пет", ["ivan"]),
        ("Ива", ["ivan", "ivanna"]),
        ("Иван", ["ivan"]),
        ("иванна", ["ivanna"]),
        ("ван", []),
        ("етров", []),
        ("Семен", ["semyon"]),
        ("Мария", ["anna"]),
        ("Анна-Мария", ["anna"]),
        ("semyon@example.com", ["semyon"]),
        ("SEMYON+other@example.com", ["semyon"]),
        ("%", []),
        ("_", []),
        ("Ann_a", ["percent"]),
        ("A%", []),
        ("", []),
        ("   ", []),
        ("Иван Сидоренко", ["ivanna"]),
        ("Иван Ли", []),
    ],
)
async def test_a_name_matches_by_whole_words_and_word_beginnings_never_inside_a_word(
    conn, team, said, found
):
    names = {rep.id: key for key, rep in team.items()}
    assert [names[r.id] for r in await reps.find_reps(conn, ref=said)] == found


async def test_several_whole_word_matches_are_all_offered_for_a_question(conn, team):
    await make_rep(conn, 5200, name="Иван Сидоренко", email="is@example.com")
    found = await reps.find_reps(conn, ref="иван")
    assert [r.name for r in found] == ["Иван Петров", "Иван Сидоренко"]
    found = await reps.find_reps(conn, ref="Сидоренко")
    assert [r.name for r in found] == ["Иванна Сидоренко", "Иван Сидоренко"]


async def test_a_rejected_applicant_whose_mailbox_is_taken_since_is_not_approved(conn):
    old = await make_rep(conn, 7801, status=RepStatus.REJECTED, email="lena@example.com")
    await make_rep(conn, 7802, status=RepStatus.PENDING, email="Lena+new@example.com")
    with pytest.raises(EmailTaken):
        await reps.approve_rep(conn, rep_id=old.id, now=NOW + HOUR)
    assert await reps.get_rep(conn, rep_id=old.id) == old


@pytest.mark.parametrize("language", ["de", "uk", "fil"])
async def test_a_rep_may_speak_a_language_the_schema_does_not_list(conn, language):
    rep = await reps.create_rep(
        conn,
        telegram_id=7901,
        name="Lena",
        email="lena@example.com",
        language=language,
        timezone="Asia/Makassar",
        now=NOW,
    )
    assert rep.language == language
    with pytest.raises(asyncpg.CheckViolationError):
        await reps.update_rep(conn, rep_id=rep.id, language="Deutsch", now=NOW)
