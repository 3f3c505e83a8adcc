"""A case's turns as the Telegram updates the bot's own parser takes in."""

from datetime import UTC, datetime

import pytest

from agent.telegram.updates import to_inbox
from evals import updates
from evals.cases import Case, File, Person
from tools.clients.errors import RemoteNotFound
from tools.prospect_files import FileRefused

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
CASE = Case.model_validate(
    {
        "name": "updates-ru",
        "clock": NOW,
        "setup": {"reps": [{"telegram_id": 701, "username": "anna", "name": "Анна Смирнова"}]},
        "turns": [
            {"from": 701, "file": {"name": "leads.csv", "text": "name\nWayan\n"}},
            {"from": {"id": 900, "language_code": "en"}, "say": "hi"},
        ],
    }
)


def test_people_are_named_by_the_setup_or_by_their_first_turn():
    assert updates.people(CASE) == {
        701: Person(id=701, username="anna", first_name="Анна"),
        900: Person(id=900, language_code="en"),
    }


def test_a_message_a_document_and_a_press_are_updates_the_bot_takes_in():
    anna = updates.people(CASE)[701]
    sent = [
        updates.message(1, anna, "привет", NOW),
        updates.document(2, anna, File(name="leads.csv", text="name\n"), NOW),
        updates.press(3, anna, "confirm:1"),
    ]
    kept = [to_inbox(u) for u in sent]
    assert all(k is not None for k in kept)
    assert sent[1]["message"]["document"]["file_size"] == 5
    assert sent[2]["callback_query"]["data"] == "confirm:1"


async def test_the_files_sent_are_served_by_name_and_within_the_limit():
    files = updates.CaseFiles(CASE)
    assert await files.fetch("leads.csv", max_bytes=1024) == b"name\nWayan\n"
    with pytest.raises(FileRefused):
        await files.fetch("leads.csv", max_bytes=4)
    with pytest.raises(RemoteNotFound):
        await files.fetch("other.csv", max_bytes=1024)
