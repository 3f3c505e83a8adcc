"""Files of prospects end to end: the fake Bot API delivers a document, the real
python-telegram-bot client fetches it, the admin confirms with a button, the prospects land."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from inline_snapshot import snapshot
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models.function import AgentInfo

from tests.agent.telegram.harness import Echo, Running, last_prompt, running
from tests.fakes.telegram import callback_update, document_update
from tests.tools.test_prospect_files import xlsx

ADMIN, STRANGER = 1000, 501
CSV = "name,email,telegram\nAnna Berg,anna@example.com,@anna_berg\nBob,bad,\nAnna Twin,ANNA@example.com,\n"
_NOTE = re.compile(r"the file «(?P<name>[^»]*)» \(file_id (?P<id>[^)]*)\)")


@dataclass
class Importer(Echo):
    """Calls import_prospects when told of a file, says what a tool returned, else echoes."""

    async def __call__(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        self.calls += 1
        last = messages[-1]
        returned = [p for p in last.parts if isinstance(p, ToolReturnPart)]
        if isinstance(last, ModelRequest) and returned:
            return ModelResponse(parts=[TextPart(f"done: {returned[0].content}")])
        prompt = last_prompt(messages)
        if found := _NOTE.search(prompt):
            args = {"file_id": found["id"], "file_name": found["name"]}
            return ModelResponse(parts=[ToolCallPart("import_prospects", args)])
        return ModelResponse(parts=[TextPart(f"echo: {prompt}")])


def send(bot: Running, chat: int, content: bytes, name: str, mime: str, **extra: Any) -> None:
    file = bot.tg.add_file(content, name=name) | extra
    bot.push(document_update(chat, file_name=name, mime_type=mime, file=file, language_code="en"))


def keyboard(call: Any) -> Any:
    markup = call.fields.get("reply_markup")
    return markup and [[b["callback_data"] for b in row] for row in markup["inline_keyboard"]]


async def prospects(bot: Running) -> list[str]:
    rows = await bot.pool.fetch("SELECT name FROM prospects WHERE id NOT LIKE 'test_%' ORDER BY 1")
    return [r["name"] for r in rows]


async def test_an_admins_file_is_previewed_confirmed_once_and_added(db_dsn: str) -> None:
    async with running(db_dsn, model=Importer()) as bot:
        send(bot, ADMIN, CSV.encode(), "leads.csv", "text/csv")
        await bot.until(lambda: len(bot.tg.sent(ADMIN)) == 1)
        (preview,) = bot.tg.sent(ADMIN)
        assert preview.fields["text"] == snapshot("""\
Import prospects from «leads.csv»?
New, to be added: 1
Invalid rows, left out: 2
  row 3: «bad» is not an email address
  row 4: the same email or Telegram as row 2\
""")
        assert keyboard(preview) == [["confirm", "cancel"]]
        assert await prospects(bot) == []

        bot.push(callback_update(ADMIN, "confirm"))
        await bot.until(lambda: len(bot.tg.sent(ADMIN)) == 2)
        assert bot.tg.texts(ADMIN)[1] == snapshot(
            "done: added=1 given_to_reps=0 left_out_known=0 left_out_invalid=2"
        )
        assert await prospects(bot) == ["Anna Berg"]

        bot.push(callback_update(ADMIN, "confirm"))
        await bot.until(lambda: len(bot.tg.sent(ADMIN)) == 3)
        await bot.until(bot.settled)
        assert bot.tg.texts(ADMIN)[2] == snapshot(
            "echo: [The user pressed «confirm», but nothing is waiting for confirmation any more]"
        )
        assert await prospects(bot) == ["Anna Berg"]
        assert [c.fields["file_id"] for c in bot.tg.calls_of("getFile")] == snapshot(
            ["file-1-leads.csv", "file-1-leads.csv"]
        )


async def test_an_xlsx_file_cancelled_adds_nothing(db_dsn: str) -> None:
    content = xlsx([["Имя", "Почта"], ["Пётр", "petr@example.ru"]])
    async with running(db_dsn, model=Importer()) as bot:
        send(
            bot,
            ADMIN,
            content,
            "лиды.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        await bot.until(lambda: len(bot.tg.sent(ADMIN)) == 1)
        assert bot.tg.texts(ADMIN)[0] == snapshot("""\
Import prospects from «лиды.xlsx»?
New, to be added: 1\
""")
        bot.push(callback_update(ADMIN, "cancel"))
        await bot.until(lambda: len(bot.tg.sent(ADMIN)) == 2)
        await bot.until(bot.settled)
        assert await prospects(bot) == []


async def test_a_file_named_without_its_extension_is_read_by_its_type(db_dsn: str) -> None:
    async with running(db_dsn, model=Importer()) as bot:
        send(bot, ADMIN, CSV.encode(), "выгрузка", "text/csv")
        await bot.until(lambda: len(bot.tg.sent(ADMIN)) == 1)
        assert bot.tg.texts(ADMIN)[0].splitlines()[:2] == snapshot(
            ["Import prospects from «выгрузка.csv»?", "New, to be added: 1"]
        )


async def test_files_the_bot_does_not_import_get_a_fixed_answer(db_dsn: str) -> None:
    model = Importer()
    async with running(db_dsn, model=model) as bot:
        send(bot, STRANGER, CSV.encode(), "leads.csv", "text/csv")
        send(bot, ADMIN, b"%PDF-1.4", "offer.pdf", "application/pdf")
        send(bot, ADMIN, CSV.encode(), "big.csv", "text/csv", file_size=5 << 20)
        send(bot, 502, b"%PDF-1.4", "offer.pdf", "application/pdf")
        await bot.until(lambda: len(bot.tg.sent()) == 4)
        await bot.until(bot.settled)
        assert {chat: bot.tg.texts(chat) for chat in (STRANGER, ADMIN, 502)} == snapshot(
            {
                501: [
                    "Thank you, but only an admin can add prospects from a file. Tell me about a client in words instead."
                ],
                1000: [
                    "I can import prospects from CSV or XLSX files only, and I cannot read other files. Save the list as CSV or XLSX, or write to me in words.",
                    "The file is too large: at most 1024 KB can be imported at once. Split it into smaller files.",
                ],
                502: [
                    "I cannot see photos, videos, stickers, locations or what is inside a file; a caption I do read. Please write it in words."
                ],
            }
        )
        assert model.calls == 0
        assert bot.tg.calls_of("getFile") == []
        assert await prospects(bot) == []


async def test_a_reps_other_file_with_a_caption_is_read_as_before(db_dsn: str) -> None:
    async with running(db_dsn, model=Importer()) as bot:
        file = bot.tg.add_file(b"%PDF-1.4", name="offer.pdf")
        update = document_update(502, caption="договор клиента", file=file)
        bot.push(update)
        await bot.until(lambda: len(bot.tg.sent(502)) == 1)
        assert bot.tg.texts(502) == snapshot(
            [
                """\
echo: [The user sent a document with this caption; you cannot see the document itself]
договор клиента\
"""
            ]
        )
        assert bot.tg.calls_of("getFile") == []
