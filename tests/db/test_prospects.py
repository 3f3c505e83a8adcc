"""Prospects: the seeds, creation, assignment to reps, load balancing, status and contact."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest
from dirty_equals import IsDatetime, IsStr

from db import prospects, reps
from db.errors import InvalidTransition, RecordNotFound, RepNotActive
from db.models import Prospect, ProspectStatus, Rep, RepStatus
from tests.conftest import NOW

P = ProspectStatus
HOUR = timedelta(hours=1)
SEEDS = ["test_prospect_001", "test_prospect_002", "test_prospect_003"]
OPEN = [P.UNREACHED, P.CONTACTED, P.IN_CONVERSATION]
CLOSED = [P.CONVERTED, P.ARCHIVED]

# The prospect lifecycle, written out by hand: (from, to) moves that are allowed.
ALLOWED_MOVES = [
    (P.UNREACHED, P.CONTACTED),
    (P.UNREACHED, P.IN_CONVERSATION),
    (P.UNREACHED, P.CONVERTED),
    (P.UNREACHED, P.ARCHIVED),
    (P.CONTACTED, P.IN_CONVERSATION),
    (P.CONTACTED, P.CONVERTED),
    (P.CONTACTED, P.ARCHIVED),
    (P.IN_CONVERSATION, P.CONVERTED),
    (P.IN_CONVERSATION, P.ARCHIVED),
    (P.CONVERTED, P.ARCHIVED),
    (P.ARCHIVED, P.UNREACHED),
    (P.ARCHIVED, P.CONTACTED),
    (P.ARCHIVED, P.IN_CONVERSATION),
]
REFUSED_MOVES = [
    (P.CONTACTED, P.UNREACHED),
    (P.IN_CONVERSATION, P.UNREACHED),
    (P.IN_CONVERSATION, P.CONTACTED),
    (P.CONVERTED, P.UNREACHED),
    (P.CONVERTED, P.CONTACTED),
    (P.CONVERTED, P.IN_CONVERSATION),
    (P.ARCHIVED, P.CONVERTED),
]


# --- helpers -------------------------------------------------------------------------------


async def make_rep(
    conn: asyncpg.Connection,
    telegram_id: int,
    *,
    status: RepStatus | str = RepStatus.ACTIVE,
    approved_at: datetime = NOW,
) -> Rep:
    """A rep registered an hour before `approved_at`, walked to `status`."""
    rep = await reps.create_rep(
        conn,
        telegram_id=telegram_id,
        name=f"Rep {telegram_id}",
        email=f"rep{telegram_id}@example.com",
        now=approved_at - HOUR,
        timezone="Asia/Makassar",
    )
    status = RepStatus(status)
    if status in (RepStatus.ACTIVE, RepStatus.SUSPENDED, RepStatus.REMOVED):
        rep = await reps.approve_rep(conn, rep_id=rep.id, now=approved_at, by_telegram_id=1)
    if status is RepStatus.SUSPENDED:
        rep = await reps.suspend_rep(conn, rep_id=rep.id, now=approved_at + HOUR)
    if status is RepStatus.REMOVED:
        rep = await reps.remove_rep(conn, rep_id=rep.id, now=approved_at + HOUR)
    if status is RepStatus.REJECTED:
        rep = await reps.reject_rep(conn, rep_id=rep.id, now=approved_at)
    assert rep.status == status
    return rep


async def make_prospect(
    conn: asyncpg.Connection,
    name: str,
    *,
    status: ProspectStatus | str = P.UNREACHED,
    rep: Rep | None = None,
    at: datetime = NOW,
) -> Prospect:
    """A prospect created at `at`, assigned to `rep` if given, then moved to `status`."""
    prospect = await prospects.create_prospect(conn, name=name, now=at)
    if rep is not None:
        prospect = await prospects.assign_prospect_to_rep(
            conn, prospect_id=prospect.id, rep_id=rep.id, now=at
        )
    if status != P.UNREACHED:  # every status is one step away from unreached
        prospect = await prospects.update_prospect_status(
            conn, prospect_id=prospect.id, status=P(status), now=at
        )
    assert prospect.status == status
    return prospect


async def activities(conn: asyncpg.Connection, prospect_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT kind, rep_id, body, data, created_at FROM activities"
        " WHERE prospect_id = $1 ORDER BY id",
        prospect_id,
    )
    return [dict(r) for r in rows]


async def archive_seeds(conn: asyncpg.Connection) -> None:
    """Takes the seeds out of the unreached lists, so that a test sees only its own prospects."""
    await conn.execute("UPDATE prospects SET status = 'archived' WHERE id LIKE 'test_prospect_%'")


def ids(items: list[Prospect], among: list[Prospect] | None = None) -> list[str]:
    """The ids in order; only those of `among`, when given."""
    keep = None if among is None else {p.id for p in among}
    return [p.id for p in items if keep is None or p.id in keep]


# --- seeds and creation --------------------------------------------------------------------


async def test_the_three_seed_prospects(conn):
    alex, maria, dmitry = [await prospects.get_prospect(conn, prospect_id=i) for i in SEEDS]

    assert alex is not None
    assert (alex.name, alex.telegram_id, alex.email, alex.language) == (
        "Алексей Петров",
        "@test_buyer_alex",
        "alex.petrov@gmail.com",
        "ru",
    )
    assert alex.context == "Интересуется виллой в Чангу, бюджет $300-500k"
    assert alex.notes == "Видел рекламу в Instagram"

    assert maria is not None
    assert (maria.name, maria.telegram_id, maria.email) == (
        "Мария Козлова",
        "@test_investor_maria",
        "m.kozlova@yandex.ru",
    )
    assert dmitry is not None
    assert (dmitry.name, dmitry.telegram_id, dmitry.email) == (
        "Дмитрий Новиков",
        "@test_family_dmitry",
        "d.novikov@mail.ru",
    )

    for seed in (alex, maria, dmitry):
        assert seed.status is P.UNREACHED
        assert seed.assigned_rep_id is None
        assert seed.assigned_at is None
        assert seed.last_contact_at is None
        assert seed.hubspot_contact_id is None
        assert seed.created_at == IsDatetime(iso_string=False)
    assert await conn.fetchval("SELECT count(*) FROM prospects") == 3


async def test_seeds_are_the_unreached_and_unassigned_prospects(conn):
    assert ids(await prospects.get_unreached_prospects(conn)) == SEEDS
    assert ids(await prospects.get_unassigned_unreached(conn)) == SEEDS
    assert ids(await prospects.list_prospects(conn)) == SEEDS


async def test_create_prospect_stores_every_field(conn):
    prospect = await prospects.create_prospect(
        conn,
        name="Ivan Ivanov",
        now=NOW,
        telegram_id="@ivan",
        email="ivan@example.com",
        context="Wants a villa",
        notes="Met at the expo",
        language="en",
    )

    assert prospect.id == IsStr(regex=r"p_[0-9a-f]{12}")
    assert (prospect.name, prospect.telegram_id, prospect.email) == (
        "Ivan Ivanov",
        "@ivan",
        "ivan@example.com",
    )
    assert (prospect.context, prospect.notes, prospect.language) == (
        "Wants a villa",
        "Met at the expo",
        "en",
    )
    assert prospect.status is P.UNREACHED
    assert prospect.assigned_rep_id is None
    assert prospect.assigned_at is None
    assert prospect.last_contact_at is None
    assert prospect.status_changed_at == prospect.created_at == prospect.updated_at == NOW
    assert await prospects.get_prospect(conn, prospect_id=prospect.id) == prospect
    assert await activities(conn, prospect.id) == []


async def test_create_prospect_with_only_a_name(conn):
    a = await prospects.create_prospect(conn, name="A", now=NOW)
    b = await prospects.create_prospect(conn, name="B", now=NOW)

    assert a.id.startswith("p_")
    assert b.id.startswith("p_")
    assert a.id != b.id
    assert (a.telegram_id, a.email, a.context, a.notes, a.language) == (None,) * 5


async def test_get_unknown_prospect_is_none(conn):
    assert await prospects.get_prospect(conn, prospect_id="p_nope") is None


# --- lists ---------------------------------------------------------------------------------


async def test_get_unreached_prospects_oldest_first_assigned_or_not(conn):
    rep = await make_rep(conn, 100)
    late = await make_prospect(conn, "Late", at=NOW + 2 * HOUR)
    early = await make_prospect(conn, "Early", at=NOW - 2 * HOUR, rep=rep)
    middle = await make_prospect(conn, "Middle", at=NOW)
    contacted = await make_prospect(conn, "Contacted", status=P.CONTACTED, at=NOW)
    archived = await make_prospect(conn, "Archived", status=P.ARCHIVED, at=NOW)

    unreached = await prospects.get_unreached_prospects(conn)

    mine = [late, early, middle, contacted, archived]
    assert ids(unreached, among=mine) == [early.id, middle.id, late.id]
    assert set(SEEDS) <= set(ids(unreached))
    assert all(p.status is P.UNREACHED for p in unreached)


async def test_get_unassigned_unreached_order_and_exclusions(conn):
    await archive_seeds(conn)
    rep = await make_rep(conn, 100)
    third = await make_prospect(conn, "Third", at=NOW + 2 * HOUR)
    first = await make_prospect(conn, "First", at=NOW - HOUR)
    await make_prospect(conn, "Assigned", at=NOW - 3 * HOUR, rep=rep)
    await make_prospect(conn, "Contacted", status=P.CONTACTED, at=NOW - 3 * HOUR)
    await make_prospect(conn, "Archived", status=P.ARCHIVED, at=NOW - 3 * HOUR)
    second = await make_prospect(conn, "Second", at=NOW)

    found = await prospects.get_unassigned_unreached(conn)

    assert ids(found) == [first.id, second.id, third.id]


async def test_get_unassigned_unreached_limit(conn):
    await archive_seeds(conn)
    made = [await make_prospect(conn, f"P{i}", at=NOW + i * HOUR) for i in range(5)]

    assert ids(await prospects.get_unassigned_unreached(conn, limit=2)) == ids(made[:2])
    assert ids(await prospects.get_unassigned_unreached(conn, limit=5)) == ids(made)
    assert ids(await prospects.get_unassigned_unreached(conn, limit=50)) == ids(made)
    assert await prospects.get_unassigned_unreached(conn, limit=0) == []


async def test_get_prospects_for_rep_with_and_without_status(conn):
    anna = await make_rep(conn, 100)
    boris = await make_rep(conn, 200)
    a1 = await make_prospect(conn, "A1", rep=anna, at=NOW)
    a2 = await make_prospect(conn, "A2", rep=anna, status=P.CONTACTED, at=NOW + HOUR)
    a3 = await make_prospect(conn, "A3", rep=anna, status=P.CONVERTED, at=NOW + 2 * HOUR)
    b1 = await make_prospect(conn, "B1", rep=boris, at=NOW)

    assert ids(await prospects.get_prospects_for_rep(conn, rep_id=anna.id)) == ids([a1, a2, a3])
    assert ids(await prospects.get_prospects_for_rep(conn, rep_id=boris.id)) == [b1.id]
    assert ids(await prospects.get_prospects_for_rep(conn, rep_id=anna.id, status=P.CONTACTED)) == [
        a2.id
    ]
    assert ids(await prospects.get_prospects_for_rep(conn, rep_id=anna.id, status=P.UNREACHED)) == [
        a1.id
    ]
    assert await prospects.get_prospects_for_rep(conn, rep_id=boris.id, status=P.CONVERTED) == []
    assert await prospects.get_prospects_for_rep(conn, rep_id=uuid4()) == []


# --- assignment ----------------------------------------------------------------------------


@pytest.mark.parametrize("status", OPEN)
async def test_assign_an_open_prospect_to_an_active_rep(conn, status):
    rep = await make_rep(conn, 100)
    prospect = await make_prospect(conn, "Open", status=status, at=NOW)
    before = await activities(conn, prospect.id)

    assigned = await prospects.assign_prospect_to_rep(
        conn, prospect_id=prospect.id, rep_id=rep.id, now=NOW + HOUR
    )

    assert assigned == dataclasses.replace(
        prospect, assigned_rep_id=rep.id, assigned_at=NOW + HOUR, updated_at=NOW + HOUR
    )
    assert await prospects.get_prospect(conn, prospect_id=prospect.id) == assigned
    after = await activities(conn, prospect.id)
    assert after[:-1] == before
    assert after[-1] == {
        "kind": "assigned",
        "rep_id": rep.id,
        "body": None,
        "data": {},
        "created_at": NOW + HOUR,
    }


async def test_assign_a_seed(conn):
    rep = await make_rep(conn, 100)

    assigned = await prospects.assign_prospect_to_rep(
        conn, prospect_id="test_prospect_002", rep_id=rep.id, now=NOW
    )

    assert assigned.assigned_rep_id == rep.id
    assert ids(await prospects.get_unassigned_unreached(conn)) == [SEEDS[0], SEEDS[2]]
    assert [a["kind"] for a in await activities(conn, "test_prospect_002")] == ["assigned"]


async def test_reassign_to_another_rep(conn):
    anna = await make_rep(conn, 100)
    boris = await make_rep(conn, 200)
    prospect = await make_prospect(conn, "Moving", rep=anna, at=NOW)

    moved = await prospects.assign_prospect_to_rep(
        conn, prospect_id=prospect.id, rep_id=boris.id, now=NOW + HOUR
    )

    assert moved.assigned_rep_id == boris.id
    assert moved.assigned_at == NOW + HOUR
    assert [(a["kind"], a["rep_id"]) for a in await activities(conn, prospect.id)] == [
        ("assigned", anna.id),
        ("assigned", boris.id),
    ]


@pytest.mark.parametrize(
    "rep_status",
    [RepStatus.PENDING, RepStatus.SUSPENDED, RepStatus.REJECTED, RepStatus.REMOVED],
)
async def test_assign_to_a_rep_who_is_not_active_is_refused(conn, rep_status):
    rep = await make_rep(conn, 100, status=rep_status)
    prospect = await make_prospect(conn, "Waiting", at=NOW)

    with pytest.raises(RepNotActive) as exc:
        await prospects.assign_prospect_to_rep(
            conn, prospect_id=prospect.id, rep_id=rep.id, now=NOW + HOUR
        )

    assert exc.value.ref == rep.name
    assert exc.value.status == rep_status
    assert await prospects.get_prospect(conn, prospect_id=prospect.id) == prospect
    assert await activities(conn, prospect.id) == []


@pytest.mark.parametrize("status", CLOSED)
async def test_assign_a_closed_prospect_is_refused(conn, status):
    rep = await make_rep(conn, 100)
    prospect = await make_prospect(conn, "Closed", status=status, at=NOW)
    before = await activities(conn, prospect.id)

    with pytest.raises(InvalidTransition) as exc:
        await prospects.assign_prospect_to_rep(
            conn, prospect_id=prospect.id, rep_id=rep.id, now=NOW + HOUR
        )

    assert (exc.value.kind, exc.value.ref) == ("prospect", "Closed")
    assert (exc.value.current, exc.value.target) == (status, "assigned")
    assert await prospects.get_prospect(conn, prospect_id=prospect.id) == prospect
    assert await activities(conn, prospect.id) == before


async def test_assign_unknown_prospect_raises_not_found(conn):
    rep = await make_rep(conn, 100)

    with pytest.raises(RecordNotFound) as exc:
        await prospects.assign_prospect_to_rep(conn, prospect_id="p_nope", rep_id=rep.id, now=NOW)

    assert (exc.value.kind, exc.value.ref) == ("prospect", "p_nope")


async def test_assign_to_unknown_rep_raises_not_found(conn):
    missing = uuid4()

    with pytest.raises(RecordNotFound) as exc:
        await prospects.assign_prospect_to_rep(
            conn, prospect_id="test_prospect_001", rep_id=missing, now=NOW
        )

    assert (exc.value.kind, exc.value.ref) == ("rep", missing)
    seed = await prospects.get_prospect(conn, prospect_id="test_prospect_001")
    assert seed is not None
    assert seed.assigned_rep_id is None


# --- load balancing ------------------------------------------------------------------------


async def test_least_loaded_rep_is_none_without_active_reps(conn):
    assert await prospects.least_loaded_rep(conn) is None

    for i, status in enumerate(
        [RepStatus.PENDING, RepStatus.SUSPENDED, RepStatus.REJECTED, RepStatus.REMOVED]
    ):
        await make_rep(conn, 100 + i, status=status)

    assert await prospects.least_loaded_rep(conn) is None


async def test_least_loaded_rep_has_the_fewest_open_prospects(conn):
    busy = await make_rep(conn, 100, approved_at=NOW - 2 * HOUR)
    light = await make_rep(conn, 200, approved_at=NOW - HOUR)
    await make_prospect(conn, "B1", rep=busy)
    await make_prospect(conn, "B2", rep=busy, status=P.CONTACTED)
    await make_prospect(conn, "L1", rep=light, status=P.IN_CONVERSATION)

    assert await prospects.least_loaded_rep(conn) == light


async def test_converted_and_archived_prospects_do_not_count_as_load(conn):
    closer = await make_rep(conn, 100, approved_at=NOW - 2 * HOUR)
    other = await make_rep(conn, 200, approved_at=NOW - HOUR)
    for i in range(3):
        await make_prospect(conn, f"Won {i}", rep=closer, status=P.CONVERTED)
        await make_prospect(conn, f"Gone {i}", rep=closer, status=P.ARCHIVED)
    await make_prospect(conn, "Open", rep=other)

    assert await prospects.least_loaded_rep(conn) == closer


async def test_least_loaded_tie_goes_to_the_earliest_approved(conn):
    # Created first but approved last, so creation order cannot explain the choice.
    late = await make_rep(conn, 100, approved_at=NOW + 2 * HOUR)
    early = await make_rep(conn, 300, approved_at=NOW - 5 * HOUR)
    middle = await make_rep(conn, 200, approved_at=NOW)

    assert await prospects.least_loaded_rep(conn) == early

    await make_prospect(conn, "E", rep=early)

    assert await prospects.least_loaded_rep(conn) == middle

    await make_prospect(conn, "M", rep=middle)

    assert await prospects.least_loaded_rep(conn) == late


async def test_suspended_reps_are_never_chosen(conn):
    busy = await make_rep(conn, 100, approved_at=NOW)
    idle = await make_rep(conn, 200, approved_at=NOW - 5 * HOUR)
    for i in range(3):
        await make_prospect(conn, f"P{i}", rep=busy)
    await reps.suspend_rep(conn, rep_id=idle.id, now=NOW + HOUR)

    chosen = await prospects.least_loaded_rep(conn)

    assert chosen is not None
    assert chosen.id == busy.id


async def test_assign_to_least_loaded_without_an_active_rep_is_none(conn):
    await make_rep(conn, 100, status=RepStatus.SUSPENDED)
    await make_rep(conn, 200, status=RepStatus.PENDING)

    result = await prospects.assign_to_least_loaded(conn, prospect_id="test_prospect_001", now=NOW)

    assert result is None
    seed = await prospects.get_prospect(conn, prospect_id="test_prospect_001")
    assert seed is not None
    assert seed.assigned_rep_id is None
    assert await activities(conn, "test_prospect_001") == []


async def test_assign_to_least_loaded_picks_the_least_loaded(conn):
    busy = await make_rep(conn, 100, approved_at=NOW - 2 * HOUR)
    light = await make_rep(conn, 200, approved_at=NOW - HOUR)
    await make_prospect(conn, "B1", rep=busy)

    assigned = await prospects.assign_to_least_loaded(
        conn, prospect_id="test_prospect_001", now=NOW + HOUR
    )

    assert assigned is not None
    assert assigned.id == "test_prospect_001"
    assert assigned.assigned_rep_id == light.id
    assert assigned.assigned_at == NOW + HOUR
    assert [(a["kind"], a["rep_id"]) for a in await activities(conn, assigned.id)] == [
        ("assigned", light.id)
    ]


async def test_assign_to_least_loaded_of_a_closed_prospect_is_refused(conn):
    await make_rep(conn, 100)
    prospect = await make_prospect(conn, "Done", status=P.CONVERTED)

    with pytest.raises(InvalidTransition):
        await prospects.assign_to_least_loaded(conn, prospect_id=prospect.id, now=NOW + HOUR)

    assert await prospects.get_prospect(conn, prospect_id=prospect.id) == prospect


async def test_round_robin_over_three_active_reps(conn):
    first = await make_rep(conn, 100, approved_at=NOW - 3 * HOUR)
    second = await make_rep(conn, 200, approved_at=NOW - 2 * HOUR)
    third = await make_rep(conn, 300, approved_at=NOW - HOUR)
    await make_rep(conn, 400, status=RepStatus.SUSPENDED, approved_at=NOW - 9 * HOUR)
    await make_rep(conn, 500, status=RepStatus.PENDING)
    new = [await prospects.create_prospect(conn, name=f"New {i}", now=NOW) for i in range(10)]

    chosen: list[UUID | None] = []
    for i, prospect in enumerate(new):
        assigned = await prospects.assign_to_least_loaded(
            conn, prospect_id=prospect.id, now=NOW + i * timedelta(minutes=1)
        )
        assert assigned is not None
        chosen.append(assigned.assigned_rep_id)

    counts = await prospects.open_prospect_counts(conn)
    assert sorted(counts.values()) == [3, 3, 4]
    assert counts == {first.id: 4, second.id: 3, third.id: 3}
    assert chosen == [first.id, second.id, third.id] * 3 + [first.id]


async def test_open_prospect_counts(conn):
    anna = await make_rep(conn, 100, approved_at=NOW - 2 * HOUR)
    boris = await make_rep(conn, 200, approved_at=NOW - HOUR)
    idle = await make_rep(conn, 300, approved_at=NOW)
    for status in [*OPEN, *CLOSED]:
        await make_prospect(conn, f"A {status}", rep=anna, status=status)
    await make_prospect(conn, "B", rep=boris, status=P.IN_CONVERSATION)
    await make_prospect(conn, "B closed", rep=boris, status=P.ARCHIVED)
    suspended = await make_rep(conn, 400)
    await make_prospect(conn, "S", rep=suspended)
    await reps.suspend_rep(conn, rep_id=suspended.id, now=NOW + HOUR)
    await make_rep(conn, 500, status=RepStatus.PENDING)
    await make_rep(conn, 600, status=RepStatus.REMOVED)

    counts = await prospects.open_prospect_counts(conn)

    assert counts == {anna.id: 3, boris.id: 1, idle.id: 0}
    assert all(type(n) is int for n in counts.values())


async def test_open_prospect_counts_without_active_reps_is_empty(conn):
    await make_rep(conn, 100, status=RepStatus.PENDING)

    assert await prospects.open_prospect_counts(conn) == {}


# --- status --------------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "target"), ALLOWED_MOVES)
async def test_allowed_status_moves_are_logged(conn, start, target):
    rep = await make_rep(conn, 100)
    prospect = await make_prospect(conn, "Mover", status=start, rep=rep, at=NOW)
    before = await activities(conn, prospect.id)

    moved = await prospects.update_prospect_status(
        conn,
        prospect_id=prospect.id,
        status=target,
        now=NOW + HOUR,
        rep_id=rep.id,
        note="why not",
    )

    assert moved == dataclasses.replace(
        prospect, status=target, status_changed_at=NOW + HOUR, updated_at=NOW + HOUR
    )
    assert await prospects.get_prospect(conn, prospect_id=prospect.id) == moved
    after = await activities(conn, prospect.id)
    assert after[:-1] == before
    assert after[-1] == {
        "kind": "status",
        "rep_id": rep.id,
        "body": "why not",
        "data": {"from": str(start), "to": str(target)},
        "created_at": NOW + HOUR,
    }


async def test_status_move_without_rep_or_note(conn):
    moved = await prospects.update_prospect_status(
        conn, prospect_id="test_prospect_003", status=P.ARCHIVED, now=NOW
    )

    assert moved.status is P.ARCHIVED
    assert await activities(conn, "test_prospect_003") == [
        {
            "kind": "status",
            "rep_id": None,
            "body": None,
            "data": {"from": "unreached", "to": "archived"},
            "created_at": NOW,
        }
    ]


async def test_an_archived_prospect_can_be_reopened(conn):
    prospect = await make_prospect(conn, "Back", status=P.ARCHIVED, at=NOW)

    await prospects.update_prospect_status(
        conn, prospect_id=prospect.id, status=P.UNREACHED, now=NOW + HOUR
    )

    assert prospect.id in ids(await prospects.get_unassigned_unreached(conn))


@pytest.mark.parametrize("status", list(P))
async def test_the_same_status_again_is_a_no_op(conn, status):
    prospect = await make_prospect(conn, "Still", status=status, at=NOW)
    before = await activities(conn, prospect.id)

    same = await prospects.update_prospect_status(
        conn, prospect_id=prospect.id, status=status, now=NOW + HOUR, note="again"
    )

    assert same == prospect
    assert await prospects.get_prospect(conn, prospect_id=prospect.id) == prospect
    assert await activities(conn, prospect.id) == before


@pytest.mark.parametrize(("start", "target"), REFUSED_MOVES)
async def test_refused_status_moves_change_nothing(conn, start, target):
    prospect = await make_prospect(conn, "Stuck", status=start, at=NOW)
    before = await activities(conn, prospect.id)

    with pytest.raises(InvalidTransition) as exc:
        await prospects.update_prospect_status(
            conn, prospect_id=prospect.id, status=target, now=NOW + HOUR, note="try"
        )

    assert (exc.value.kind, exc.value.ref) == ("prospect", "Stuck")
    assert (exc.value.current, exc.value.target) == (start, target)
    assert await prospects.get_prospect(conn, prospect_id=prospect.id) == prospect
    assert await activities(conn, prospect.id) == before


def test_the_move_lists_cover_every_pair():
    pairs = {(a, b) for a in P for b in P if a != b}
    assert set(ALLOWED_MOVES) | set(REFUSED_MOVES) == pairs
    assert not set(ALLOWED_MOVES) & set(REFUSED_MOVES)


async def test_update_status_of_unknown_prospect_raises_not_found(conn):
    with pytest.raises(RecordNotFound) as exc:
        await prospects.update_prospect_status(
            conn, prospect_id="p_nope", status=P.CONTACTED, now=NOW
        )

    assert (exc.value.kind, exc.value.ref) == ("prospect", "p_nope")


# --- contact -------------------------------------------------------------------------------


async def test_record_contact_moves_unreached_to_contacted(conn):
    rep = await make_rep(conn, 100)
    prospect = await make_prospect(conn, "First touch", rep=rep, at=NOW)

    touched = await prospects.record_contact(
        conn, prospect_id=prospect.id, now=NOW + HOUR, rep_id=rep.id, note="called"
    )

    assert touched == dataclasses.replace(
        prospect,
        status=P.CONTACTED,
        last_contact_at=NOW + HOUR,
        status_changed_at=NOW + HOUR,
        updated_at=NOW + HOUR,
    )
    assert await prospects.get_prospect(conn, prospect_id=prospect.id) == touched
    assert (await activities(conn, prospect.id))[-1] == {
        "kind": "contact",
        "rep_id": rep.id,
        "body": "called",
        "data": {},
        "created_at": NOW + HOUR,
    }


async def test_record_contact_leaves_in_conversation_alone(conn):
    prospect = await make_prospect(conn, "Talking", status=P.IN_CONVERSATION, at=NOW)

    touched = await prospects.record_contact(conn, prospect_id=prospect.id, now=NOW + HOUR)

    assert touched.status is P.IN_CONVERSATION
    assert touched.status_changed_at == NOW
    assert touched.last_contact_at == NOW + HOUR
    assert touched.updated_at == NOW + HOUR
    assert (await activities(conn, prospect.id))[-1] == {
        "kind": "contact",
        "rep_id": None,
        "body": None,
        "data": {},
        "created_at": NOW + HOUR,
    }


async def test_a_second_contact_moves_only_the_contact_time(conn):
    prospect = await make_prospect(conn, "Twice", at=NOW)
    await prospects.record_contact(conn, prospect_id=prospect.id, now=NOW + HOUR)

    again = await prospects.record_contact(conn, prospect_id=prospect.id, now=NOW + 2 * HOUR)

    assert again.status is P.CONTACTED
    assert again.status_changed_at == NOW + HOUR
    assert again.last_contact_at == NOW + 2 * HOUR
    assert [a["kind"] for a in await activities(conn, prospect.id)] == ["contact", "contact"]


async def test_record_contact_of_unknown_prospect_raises_not_found(conn):
    with pytest.raises(RecordNotFound) as exc:
        await prospects.record_contact(conn, prospect_id="p_nope", now=NOW)

    assert (exc.value.kind, exc.value.ref) == ("prospect", "p_nope")
    assert await conn.fetchval("SELECT count(*) FROM activities") == 0


async def test_a_prospect_remembers_its_latest_activity_whichever_statement_logs_it(conn):
    async def latest() -> datetime | None:
        at: datetime | None = await conn.fetchval(
            "SELECT last_activity_at FROM prospects WHERE id = 'test_prospect_001'"
        )
        return at

    assert await latest() is None
    await prospects.log_activity(conn, prospect_id="test_prospect_001", kind="note", now=NOW)
    assert await latest() == NOW
    earlier = NOW - timedelta(days=3)
    await prospects.log_activity(conn, prospect_id="test_prospect_001", kind="note", now=earlier)
    assert await latest() == NOW  # a late record of an older touch does not move it back
    await prospects.record_contact(
        conn, prospect_id="test_prospect_001", rep_id=None, now=NOW + timedelta(hours=1)
    )
    assert await latest() == NOW + timedelta(hours=1)


# --- finding a prospect by what someone said --------------------------------------------------


@pytest.mark.parametrize(
    ("said", "found"),
    [
        ("Алексей Петров", ["test_prospect_001"]),
        ("алекс", ["test_prospect_001"]),
        ("Петр", ["petr"]),
        ("Пет", ["petr", "test_prospect_001"]),
        ("Пётр", ["petr"]),
        ("лексей", []),
        ("@test_buyer_alex", ["test_prospect_001"]),
        ("TEST_PROSPECT_002", ["test_prospect_002"]),
        ("%", []),
        ("М%", []),
        ("_", []),
        ("", []),
    ],
)
async def test_a_prospect_is_found_by_whole_words_then_word_beginnings_with_no_wildcards(
    conn, said, found
):
    petr = await prospects.create_prospect(conn, name="Пётр Ким", now=NOW)
    ids = {petr.id: "petr"}
    got = await prospects.find_prospects(conn, ref=said)
    assert [ids.get(p.id, p.id) for p in got] == found
