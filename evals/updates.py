"""The Telegram updates a case's turns arrive as: a message, a document, a button press, from
the people the case names; and the files they send, as Telegram would serve them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from evals.cases import Case, File, Person
from tools.clients.errors import RemoteNotFound
from tools.prospect_files import FileRefused


def people(case: Case) -> dict[int, Person]:
    """Who writes: as a turn's `from` first describes them, else as the setup registers them."""
    found = {
        int(r["telegram_id"]): Person(
            id=int(r["telegram_id"]),
            username=r.get("username"),
            first_name=str(r.get("name", "")).split(" ")[0] or None,
        )
        for r in case.setup.reps
    }
    for turn in case.turns:
        if isinstance(turn.sender, Person):
            found.setdefault(turn.sender.id, turn.sender)
        elif turn.sender is not None:
            found.setdefault(turn.sender, Person(id=turn.sender))
    return found


def _user(person: Person) -> dict[str, Any]:
    user: dict[str, Any] = {"id": person.id, "is_bot": False, "first_name": person.first_name}
    if person.username:
        user["username"] = person.username
    if person.language_code:
        user["language_code"] = person.language_code
    return user


def message(update_id: int, person: Person, text: str, now: datetime) -> dict[str, Any]:
    chat = {"id": person.id, "type": "private"}
    sent = {"message_id": update_id, "date": int(now.timestamp()), "chat": chat, "text": text}
    return {"update_id": update_id, "message": {**sent, "from": _user(person)}}


def document(update_id: int, person: Person, file: File, now: datetime) -> dict[str, Any]:
    update = message(update_id, person, "", now)
    del update["message"]["text"]
    size = len(file.text.encode())
    document = {"file_id": file.name, "file_unique_id": file.name, "file_name": file.name}
    update["message"]["document"] = document | {"file_size": size}
    return update


def press(update_id: int, person: Person, data: str) -> dict[str, Any]:
    message = {"message_id": update_id, "chat": {"id": person.id, "type": "private"}}
    query = {"id": str(update_id), "from": _user(person), "message": message, "data": data}
    return {"update_id": update_id, "callback_query": query}


@dataclass(frozen=True)
class CaseFiles:
    """The files a case's people send, by their name (which is their file_id)."""

    case: Case

    async def fetch(self, file_id: str, *, max_bytes: int) -> bytes:
        sent = [t.file for t in self.case.turns if t.file is not None and t.file.name == file_id]
        if not sent:
            raise RemoteNotFound("Telegram", f"no file {file_id!r} was sent")
        content = sent[0].text.encode()
        if len(content) > max_bytes:
            raise FileRefused("too_big", limit=max_bytes // 1024)
        return content
