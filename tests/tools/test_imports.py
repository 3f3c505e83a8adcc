import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest
from inline_snapshot import snapshot

from agent.channel import Inbound, Sender
from agent.telegram.documents import BotFiles
from agent.telegram.transport import make_bot
from agent.turn import run_turn
from db.reps import approve_rep, create_rep
from tests.agent.scripted import ADMIN, Dialogue, dialogue, sent
from tests.conftest import NOW
from tests.fakes.telegram import FakeTelegram
from tools.prospect_files import Limits
from tools.services import Services

IVAN = 501
FILE = (
    "Имя;Почта;Телеграм;Контекст;Менеджер\n"
    "Анна Берг;anna@example.com;@anna_berg;вилла в Убуде;\n"
    "Пётр Сидоров;petr@example.ru;;апартаменты;Иван Иванов\n"
    ";nobody@example.com;;;\n"
    "Боб;not-an-email;;;\n"
    "Алексей Петров;;@Test_Buyer_Alex;;\n"
)


@dataclasses.dataclass
class Files:
    talk: Dialogue
    tg: FakeTelegram

    def send(self, content: bytes, name: str = "leads.csv") -> dict[str, Any]:
        return self.tg.add_file(content, name=name)

    async def sent_file(self, file: dict[str, Any], name: str = "leads.csv"):
        """The admin's file as the agent hears of it, the model calling the tool at once."""
        self.talk.script.call("import_prospects", file_id=file["file_id"], file_name=name)
        note = f"[The admin sent the file «{name}» (file_id {file['file_id']})]"
        return await run_turn(self.talk.runtime, Inbound(ADMIN, Sender(ADMIN), note=note))

    async def count(self) -> int:
        return int(await self.talk.runtime.pool.fetchval("SELECT count(*) FROM prospects"))


@pytest.fixture
async def files(db_dsn: str) -> AsyncIterator[Files]:
    async with FakeTelegram() as tg:
        bot = make_bot(tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url)
        async with bot:
            talk, pool = await dialogue(db_dsn, services=Services(files=BotFiles(bot)))
            async with pool.acquire() as conn:
                ivan = await create_rep(
                    conn,
                    telegram_id=IVAN,
                    name="Иван Иванов",
                    email="ivan@truerealestate.bali",
                    now=NOW,
                    timezone="Asia/Makassar",
                )
                await approve_rep(conn, rep_id=ivan.id, now=NOW)
            yield Files(talk, tg)
            await pool.close()


async def test_a_file_is_previewed_and_confirmed_adds_its_new_prospects(files):
    before = await files.count()
    asked = await files.sent_file(files.send(FILE.encode()))
    assert asked.outcome == "confirmation"
    assert sent(asked) == snapshot(
        [
            (
                1000,
                """\
Импортировать клиентов из «leads.csv»?
Новых, будут добавлены: 2
Уже есть в базе, пропущены: 1 (Алексей Петров)
Ошибочные строки, пропущены: 2
  строка 4: нет имени
  строка 5: «not-an-email» — не адрес почты""",
                [
                    [
                        {"text": "✅ Подтвердить", "data": "confirm"},
                        {"text": "✖️ Отмена", "data": "cancel"},
                    ]
                ],
            )
        ]
    )
    assert await files.count() == before

    files.talk.script.say("Добавил двоих.")
    done = await files.talk.press(ADMIN, "confirm")
    assert files.talk.script.last_return() == snapshot(
        {"added": 2, "given_to_reps": 1, "left_out_known": 1, "left_out_invalid": 2}
    )
    assert sent(done) == snapshot(
        [
            (
                501,
                "Администратор передал вам новых клиентов из файла: 1 — Пётр Сидоров. Спросите меня о любом из них.",
                None,
            ),
            (1000, "Добавил двоих.", None),
        ]
    )
    rows = await files.talk.runtime.pool.fetch(
        "SELECT p.name, p.email, p.telegram_id, p.context, p.status, r.name AS rep"
        " FROM prospects p LEFT JOIN reps r ON r.id = p.assigned_rep_id"
        " WHERE p.created_at = $1 ORDER BY p.name",
        NOW,
    )
    assert [tuple(r) for r in rows] == snapshot(
        [
            ("Анна Берг", "anna@example.com", "@anna_berg", "вилла в Убуде", "unreached", None),
            ("Пётр Сидоров", "petr@example.ru", None, "апартаменты", "unreached", "Иван Иванов"),
        ]
    )

    files.talk.script.say("Уже сделано.")
    again = await files.talk.press(ADMIN, "confirm")
    assert sent(again) == snapshot([(1000, "Уже сделано.", None)])
    assert await files.count() == before + 2


async def test_cancel_adds_nothing(files):
    before = await files.count()
    await files.sent_file(files.send(FILE.encode()))
    files.talk.script.say("Отменил.")
    await files.talk.press(ADMIN, "cancel")
    assert await files.count() == before


async def test_a_confirmation_pressed_too_late_adds_nothing(files):
    before = await files.count()
    await files.sent_file(files.send(FILE.encode()))
    files.talk.clock.advance(hours=1)
    files.talk.script.say("Время вышло, пришлите файл снова.")
    await files.talk.press(ADMIN, "confirm")
    assert await files.count() == before


async def test_rows_known_by_the_time_of_the_confirmation_are_left_out(files):
    before = await files.count()
    file = files.send(FILE.encode())
    await files.sent_file(file)
    files.talk.script.call("add_prospect", name="Anna", email="ANNA@example.com").say("ok")
    await files.talk.say(ADMIN, "добавь Anna anna@example.com")
    await files.sent_file(file)
    files.talk.script.say("ok")
    await files.talk.press(ADMIN, "confirm")
    assert files.talk.script.last_return()["added"] == 1
    assert await files.count() == before + 2


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (
            b"email\na@example.com\n",
            "Not done: No column with the names was found (columns: email). Name it «name» or «имя».",
        ),
        (b"name\n", "Not done: The file holds no rows to import."),
        (
            b"name,email\n,\nBob,bad\n",
            "Not done: nothing to add. Import prospects from «leads.csv»?\nNew, to be added: 0\nInvalid rows, left out: 1\n  row 3: «bad» is not an email address",
        ),
        (
            b"name\n" + b"x\n" * 30,
            "Not done: The file has more than 20 rows: split it into files of at most 20 rows.",
        ),
        (
            b"name\n" + b"x" * 3000,
            "Not done: The file is too large: at most 2 KB can be imported at once. Split it into smaller files.",
        ),
    ],
)
async def test_a_file_that_cannot_be_imported_is_explained(files, content, said):
    talk = files.talk
    limits = Limits(max_bytes=2048, max_rows=20)
    talk.runtime = dataclasses.replace(
        talk.runtime, rules=dataclasses.replace(talk.runtime.rules, import_limits=limits)
    )
    file = files.send(content)
    talk.script.call("import_prospects", file_id=file["file_id"], file_name="leads.csv")
    talk.script.say("Sorry.")
    sender = Sender(ADMIN, language_code="en")
    await run_turn(talk.runtime, Inbound(ADMIN, sender, note="[a file]"))
    assert talk.script.returned(0) == said


async def test_a_file_that_is_not_there_is_explained(files):
    files.talk.script.call("import_prospects", file_id="nope", file_name="leads.csv").say("Sorry.")
    await run_turn(files.talk.runtime, Inbound(ADMIN, Sender(ADMIN), note="[a file]"))
    assert str(files.talk.script.last_return()).startswith(
        "Not done: the file could not be fetched from Telegram ("
    )


async def test_only_an_admin_is_offered_the_import(files):
    files.talk.script.say("Только администратор может импортировать.")
    await files.talk.say(IVAN, "импортируй файл")
    assert "import_prospects" not in files.talk.script.offered[-1]
