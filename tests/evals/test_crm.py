"""A case's HubSpot world is checked when the dataset loads: every owner, contact and deal it
names exists in it, and every change comes before a turn the case has."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from evals import cases


def case(hubspot: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "x-en",
        "clock": "2026-11-20T10:00:00+08:00",
        "hubspot": hubspot,
        "turns": [{"from": 1000, "say": "sync HubSpot"}],
    }


WORLD = {
    "owners": [{"email": "kate@truerealestate.bali"}],
    "contacts": [{"email": "james@example.com", "owner": "kate@truerealestate.bali"}],
    "deals": [{"name": "Villa", "contact": "james@example.com", "amount": 250000}],
    "changes": [{"before_turn": 1, "deal": "Villa", "stage": "contractsent"}],
}


def test_a_whole_world_loads():
    world = cases.Case.model_validate(case(WORLD)).hubspot
    assert world is not None
    assert [d.name for d in world.deals] == ["Villa"]


@pytest.mark.parametrize(
    ("changed", "problem"),
    [
        ({"contacts": [{"email": "james@example.com", "owner": "x@y.z"}]}, "no owner 'x@y.z'"),
        ({"deals": [{"name": "Villa", "contact": "x@y.z"}]}, "no contact 'x@y.z'"),
        ({"changes": [{"before_turn": 1, "deal": "Flat"}]}, "no deal 'Flat'"),
        ({"changes": [{"before_turn": 2, "deal": "Villa"}]}, "before turn 2: no such turn"),
        ({"accounts": []}, "accounts"),
    ],
)
def test_a_world_naming_what_it_does_not_hold_does_not_load(changed, problem):
    with pytest.raises(ValidationError, match=problem):
        cases.Case.model_validate(case(WORLD | changed))
