"""Which calendar events are sales meetings, and who each is with."""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from tools.calendar_events import (
    KnownProspect,
    Linked,
    NewProspect,
    NotAMeeting,
    SalesMeeting,
    decide,
)
from tools.clients.calendar_resources import synced_event

REP = UUID("00000000-0000-0000-0000-000000000001")
OTHER_REP = UUID("00000000-0000-0000-0000-000000000002")
ME = "anna@truerealestate.bali"
PROSPECTS = {
    "mine@client.com": KnownProspect("p_mine", REP),
    "theirs@client.com": KnownProspect("p_theirs", OTHER_REP),
    "nobodys@client.com": KnownProspect("p_nobodys", None),
    "colleague.prospect@truerealestate.bali": KnownProspect("p_inside", REP),
}


def event(*emails: str, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "ev1",
        "status": "confirmed",
        "summary": "Villa in Canggu",
        "start": {"dateTime": "2026-12-04T10:00:00+08:00", "timeZone": "Asia/Makassar"},
        "end": {"dateTime": "2026-12-04T10:30:00+08:00", "timeZone": "Asia/Makassar"},
        "attendees": [{"email": ME, "self": True, "responseStatus": "accepted"}]
        + [{"email": e, "responseStatus": "needsAction"} for e in emails],
    }
    return body | fields


def with_(e: dict[str, Any]) -> Linked | NewProspect | str:
    decision = decide(
        synced_event(e),
        rep_id=REP,
        rep_email=ME,
        corporate_domain="truerealestate.bali",
        prospects=PROSPECTS,
    )
    return decision.why if isinstance(decision, NotAMeeting) else decision.with_


DECLINED = [{"email": ME.upper(), "responseStatus": "declined"}, {"email": "x@client.com"}]
ALL_DAY = {"start": {"date": "2026-12-04"}, "end": {"date": "2026-12-05"}}
ROOM = {"email": "room1@resource.calendar.google.com", "resource": True}


@pytest.mark.parametrize(
    ("case", "e", "expected"),
    [
        ("own prospect", event("mine@client.com"), Linked("p_mine", own=True)),
        ("email case ignored", event("Mine@Client.COM"), Linked("p_mine", own=True)),
        ("another rep's", event("theirs@client.com"), Linked("p_theirs", own=False)),
        ("unassigned known", event("nobodys@client.com"), Linked("p_nobodys", own=False)),
        (
            "own first, whatever the order",
            event("theirs@client.com", "mine@client.com"),
            Linked("p_mine", own=True),
        ),
        (
            "known before unknown",
            event("new@client.com", "theirs@client.com"),
            Linked("p_theirs", own=False),
        ),
        (
            "a prospect with a corporate email",
            event("colleague.prospect@truerealestate.bali"),
            Linked("p_inside", own=True),
        ),
        (
            "unknown outsider",
            event("boss@truerealestate.bali", "ivan@client.com"),
            NewProspect(email="ivan@client.com", name="ivan", context="Villa in Canggu"),
        ),
        (
            "unknown outsider's name",
            event(attendees=[{"email": ME}, {"email": "i@x.ru", "displayName": "Иван П."}]),
            NewProspect(email="i@x.ru", name="Иван П.", context="Villa in Canggu"),
        ),
        ("internal only", event("boss@truerealestate.bali"), "internal"),
        (
            "a subdomain is outside",
            event("a@eu.truerealestate.bali"),
            NewProspect(email="a@eu.truerealestate.bali", name="a", context="Villa in Canggu"),
        ),
        ("no attendees", event(attendees=[]), "internal"),
        ("a room is not a person", event(attendees=[{"email": ME}, ROOM]), "internal"),
        ("cancelled", event("mine@client.com", status="cancelled"), "cancelled"),
        ("deleted (only id and status)", {"id": "ev1", "status": "cancelled"}, "cancelled"),
        ("declined by the rep", event(attendees=DECLINED), "declined"),
        ("all-day", event("mine@client.com", **ALL_DAY), "all-day"),
        (
            "the rep signed in with another address: Google marks them `self`",
            event(attendees=[{"email": "anna@gmail.com", "self": True}, {"email": "a@b.com"}]),
            NewProspect(email="a@b.com", name="a", context="Villa in Canggu"),
        ),
        (
            "declined by the rep under another address",
            event(
                attendees=[
                    {"email": "anna@gmail.com", "self": True, "responseStatus": "declined"},
                    {"email": "mine@client.com"},
                ]
            ),
            "declined",
        ),
        (
            "declined by someone else",
            event(
                attendees=[
                    {"email": ME},
                    {"email": "mine@client.com", "responseStatus": "declined"},
                ]
            ),
            Linked("p_mine", own=True),
        ),
    ],
)
def test_what_an_event_is(case: str, e: dict[str, Any], expected: object) -> None:
    assert with_(e) == expected, case


def test_a_sales_meeting_keeps_its_times_in_utc_and_its_title():
    decision = decide(
        synced_event(event("mine@client.com", summary="  Tour  ")),
        rep_id=REP,
        rep_email=ME,
        corporate_domain="truerealestate.bali",
        prospects=PROSPECTS,
    )
    assert decision == SalesMeeting(
        event_id="ev1",
        title="Tour",
        starts_at=datetime(2026, 12, 4, 2, 0, tzinfo=UTC),
        ends_at=datetime(2026, 12, 4, 2, 30, tzinfo=UTC),
        with_=Linked("p_mine", own=True),
    )
