"""A case's Google world is checked when the dataset loads (every change is of an event it
holds and comes before a turn the case has, every calendar is a rep's connected one), and it is
served as Google holds it: the events (one booked later from its turn), then a move or a
cancellation made before its turn."""

from __future__ import annotations

from typing import Any

import pytest
from inline_snapshot import snapshot
from pydantic import ValidationError

from evals import cases, google

KATE = "kate@truerealestate.bali"
EVENT = {
    "id": "villa0canggu01",
    "calendar": KATE,
    "title": "Canggu villa",
    "start": "2026-11-24T11:00:00+08:00",
    "end": "2026-11-24T12:00:00+08:00",
    "attendees": ["james.carter@gmail.com", {"email": "emma@example.com", "name": "Emma"}],
}
MOVE = {
    "before_turn": 1,
    "event": "villa0canggu01",
    "start": "2026-11-24T15:00:00+08:00",
    "end": "2026-11-24T16:00:00+08:00",
}
WORLD = {"events": [EVENT], "changes": [MOVE]}


def case(world: dict[str, Any], *, calendar: bool = True) -> dict[str, Any]:
    kate = {"telegram_id": 711, "name": "Kate", "email": KATE, "calendar": calendar}
    return {
        "name": "x-en",
        "clock": "2026-11-24T09:05:00+08:00",
        "setup": {"reps": [kate]},
        "google": world,
        "turns": [{"tick": True}],
    }


def test_a_whole_world_loads_and_asks_for_a_real_calendar():
    world = cases.Case.model_validate(case(WORLD)).google
    assert world is not None
    assert world.calendars == [KATE]
    assert google.settings(world) == {"google_service_account_file": google.SERVICE_ACCOUNT}
    assert google.settings(None) == {}


@pytest.mark.parametrize(
    ("world", "problem"),
    [
        ({"changes": [MOVE | {"event": "flat0seminyak1"}]}, "no event 'flat0seminyak1'"),
        ({"changes": [MOVE | {"before_turn": 2}]}, "before turn 2: no such turn"),
        ({"changes": [MOVE | {"cancelled": True}]}, "either `start` and `end`, or `cancelled`"),
        ({"changes": [{"before_turn": 1, "event": "villa0canggu01"}]}, "either `start`"),
        ({"events": [EVENT | {"end": EVENT["start"]}]}, "it ends before it starts"),
        ({"events": [EVENT | {"id": "Villa_1"}]}, "id"),
        ({"events": [EVENT, EVENT]}, "an event id is given twice"),
        (
            {"events": [EVENT | {"before_turn": 2}], "changes": []},
            "google event before turn 2: no such turn",
        ),
        ({"events": [EVENT | {"before_turn": 1}]}, "event 'villa0canggu01' is not there yet"),
        ({"calendars": []}, "calendars"),
    ],
)
def test_a_world_naming_what_it_does_not_hold_does_not_load(world, problem):
    with pytest.raises(ValidationError, match=problem):
        cases.Case.model_validate(case(WORLD | world))


def test_a_calendar_no_rep_has_connected_does_not_load():
    with pytest.raises(ValidationError, match=f"google calendar {KATE}: no rep"):
        cases.Case.model_validate(case(WORLD, calendar=False))


async def test_the_events_are_served_and_changed_before_their_turn():
    cancel = {"before_turn": 2, "event": "villa0canggu01", "cancelled": True}
    world = google.World.model_validate(WORLD | {"changes": [MOVE, cancel]})
    async with google.google(world) as served:
        assert served is not None
        (event,) = served.fake.live_events(KATE)
        assert [(a["email"], a.get("displayName")) for a in event["attendees"]] == snapshot(
            [(KATE, None), ("james.carter@gmail.com", None), ("emma@example.com", "Emma")]
        )
        served.before(1)
        (event,) = served.fake.live_events(KATE)
        assert event["start"] == {"dateTime": "2026-11-24T15:00:00+08:00"}
        served.before(2)
        assert served.fake.live_events(KATE) == []


async def test_an_event_booked_later_is_served_from_its_turn():
    world = google.World.model_validate({"events": [EVENT | {"before_turn": 2}]})
    async with google.google(world) as served:
        assert served is not None
        served.before(1)
        assert served.fake.live_events(KATE) == []
        served.before(2)
        assert [e["id"] for e in served.fake.live_events(KATE)] == ["villa0canggu01"]
