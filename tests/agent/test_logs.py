"""Log lines as text or JSON with the chat and turn they belong to, and no secret anywhere: a
whole stack run at DEBUG, with services failing and a model error quoting credentials, leaves
no secret in a log line, the database (audit log, inbox and outbox errors, turns), an answer or
the doctor's table."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from inline_snapshot import snapshot

from agent import logs
from agent.doctor import diagnose
from agent.runtime import inbox_kinds
from agent.settings import default_settings
from agent.telegram import updates
from agent.workers import TurnWorkers
from db import inbox
from tests.agent.test_doctor import every_service
from tests.agent.test_integrations import OLGA, rep_with_alex, wired  # noqa: F401
from tools import redaction

log = logging.getLogger("tests.logs")


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Every line any logger writes at DEBUG, as the bot would write it in JSON."""
    stream = io.StringIO()
    out = logs.handler(style="json", stream=stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(out)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(out)
        root.setLevel(level)


def test_a_json_line_carries_the_chat_the_item_and_the_turn(captured: io.StringIO) -> None:
    with logs.bound(chat=42, item=7):
        logs.note(turn=9)
        log.warning("the model took %s s", 3)
    log.info("outside any turn")
    first, second = (json.loads(line) for line in captured.getvalue().splitlines())
    del first["time"], second["time"]
    assert (first, second) == snapshot(
        (
            {
                "level": "warning",
                "logger": "tests.logs",
                "message": "the model took 3 s",
                "chat": 42,
                "item": 7,
                "turn": 9,
            },
            {"level": "info", "logger": "tests.logs", "message": "outside any turn"},
        )
    )


def test_a_text_line_says_where_it_belongs_at_its_end() -> None:
    stream = io.StringIO()
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed %s", ("once",), None)
    with logs.bound(chat=42):
        logs.handler(style="text", stream=stream).emit(record)
    assert stream.getvalue().split(" ", 2)[2] == snapshot("ERROR x: failed once [chat=42]\n")


async def _database_text(pool) -> str:
    tables = await pool.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
    )
    rows = []
    for t in tables:
        rows += await pool.fetch(f'SELECT t::text AS row FROM "{t["table_name"]}" t')
    return "\n".join(r["row"] for r in rows)


async def test_no_secret_is_logged_kept_or_shown(
    wired,  # noqa: F811
    captured: io.StringIO,
    db_dsn: str,
    tmp_path: Path,
) -> None:
    talk, model_key = wired.talk, "sk-live-model-key-0123456789"
    bot_token = "7654321098:AAHx_secret-bot-token-value-0123456789"
    redaction.register([bot_token, model_key, wired.zoom.client_secret, wired.hubspot.token])
    await rep_with_alex(talk, OLGA, "Olga Smirnova", "olga@truerealestate.bali", "en")
    wired.hubspot.fail("/crm/", 401, times=10)
    talk.script.call("book_calendar", prospect="@test_buyer_alex", start="2026-11-26T15:00:00")
    await talk.say(OLGA, "Book Alexey at 15:00 on Thursday")
    talk.script.say("Booked.")
    await talk.press(OLGA, "confirm")
    quoted = f"upstream refused Authorization: Bearer {model_key} for bot{bot_token}"
    talk.script.fail(RuntimeError(quoted))
    person = {"id": OLGA, "is_bot": False, "first_name": "Olga"}
    message = {"from": person, "chat": {"id": OLGA, "type": "private"}, "text": "hi"}
    row = updates.to_inbox({"update_id": 1, "message": message})
    assert row is not None
    await inbox.add_updates(talk.runtime.pool, updates=[row], now=talk.clock.now)
    workers = TurnWorkers(talk.runtime, kinds=inbox_kinds(), wall=talk.clock)
    (claim,) = await workers.claim(10, talk.clock.now, talk.clock.now + timedelta(minutes=1))
    await workers.handle(claim)
    async with every_service(tmp_path) as values:
        wrong = values | {"telegram_bot_token": bot_token, "openai_api_key": model_key}
        checks = await diagnose(default_settings(**wrong), db_dsn)
    shown = "\n".join(f"{c.name} {c.detail}" for c in checks)

    written = captured.getvalue()
    kept = await _database_text(talk.runtime.pool)
    secrets = [bot_token, model_key, wired.zoom.client_secret, wired.hubspot.token]
    assert "turn failed" in written
    assert "upstream refused" in kept  # the model's error was kept with the inbox item
    for secret in secrets:
        assert secret not in written
        assert secret not in kept
        assert secret not in shown
    assert "Authorization: Bearer [secret] for bot[secret]" in kept
