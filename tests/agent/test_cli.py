import asyncio
import os
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

import pytest
from inline_snapshot import snapshot

from db.embedded import EmbeddedPostgres
from db.migrate import discover
from tests.fakes.telegram import FakeTelegram

SALESBOT = str(Path(sys.executable).parent / "salesbot")
ROOT = str(Path(__file__).parents[2])


def salesbot(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**env, "PYTHONPATH": ROOT}  # this checkout's code, wherever the script was installed
    return subprocess.run(
        [SALESBOT, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def data_dir():
    folder = Path(tempfile.mkdtemp(prefix="salesbot-cli-"))
    folder.chmod(0o755)  # as root, the server's user enters it
    yield folder / "data"
    EmbeddedPostgres(folder / "data").stop(force=True)
    subprocess.run(["rm", "-rf", str(folder)], check=False)


@pytest.fixture
def env(data_dir):
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL"}}
    return {**clean, "SALESBOT_DATA_DIR": str(data_dir), "COLUMNS": "200"}


def test_migrate_without_database_url_uses_the_embedded_server_and_stops_it(env, tmp_path):
    first = salesbot("migrate", env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout == snapshot(
        """\
applied 001_schema
applied 002_seed_prospects
applied 003_delivery
applied 004_integrations
applied 005_scheduler
applied 006_owed_retries
applied 007_outbox_by_turn
applied 008_digest_marks
applied 009_inbox_kinds_open
applied 010_names_and_mailboxes
applied 011_rep_timezone_from_settings
applied 012_languages_from_the_catalogue
applied 013_sign_in_links_used_once
applied 014_email_verification
applied 015_limits_and_rep_history
applied 016_still_true_when_delivered
applied 017_everyday_team
applied 018_practice_calls
applied 019_calendar_sync
applied 020_crm_sync
applied 021_replies_in_context
applied 022_calendar_channels
applied 023_contact_owners
23 migration(s) applied
"""
    )
    second = salesbot("migrate", env=env, cwd=tmp_path)
    assert second.stdout == "database is up to date\n"

    shown = salesbot("db", env=env, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert f"embedded PostgreSQL in {env['SALESBOT_DATA_DIR']}/pgdata" in shown.stdout
    assert "server      stopped" in shown.stdout
    assert "migrations  001_schema, 002_seed_prospects, 003_delivery" in shown.stdout


def test_migrate_with_database_url_uses_that_server(empty_dsn, tmp_path):
    env = {**os.environ, "DATABASE_URL": empty_dsn}
    done = salesbot("migrate", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"{len(discover())} migration(s) applied" in done.stdout
    shown = salesbot("db", env=env, cwd=tmp_path)
    assert "DATABASE_URL (external server)" in shown.stdout


def test_a_wrong_setting_stops_the_command_with_its_name(env, tmp_path):
    result = salesbot("migrate", env={**env, "ADMIN_TELEGRAM_IDS": "42,me"}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == snapshot("""\
Invalid setting:
  ADMIN_TELEGRAM_IDS: 'me' is not a Telegram id; use numbers separated by commas (got '42,me')
""")


def test_chat_without_a_model_says_what_to_set(env, tmp_path):
    clean = {k: v for k, v in env.items() if not k.startswith("OPENAI_")}
    result = salesbot("chat", env=clean, cwd=tmp_path)
    assert result.returncode == 2
    assert "set OPENAI_API_KEY" in result.stderr
    assert "OPENAI_BASE_URL" in result.stderr


def test_importing_the_command_loads_no_agent_model_client_or_telegram(tmp_path):
    heavy = ("pydantic_ai", "openai", "telegram")
    probe = f"import sys, agent.cli; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    env = {**os.environ, "PYTHONPATH": ROOT}
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[]\n"


def test_help_lists_every_command_in_one_short_line(env, tmp_path):
    result = salesbot("--help", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == snapshot("""\
Usage: salesbot [OPTIONS] COMMAND [ARGS]...

  salesbot: a sales team's assistant.

Options:
  --version  Print the version and exit.
  --help     Show this message and exit.

Commands:
  migrate    Apply database migrations.
  db         Show where the database is.
  doctor     Check every setting and service live, and say what to fix.
  run        Run the bot in Telegram.
  scheduler  Run only the scheduler.
  chat       Talk to the agent in the terminal, without Telegram.
  eval       Replay the dialogue datasets and score the state they leave.
""")


def test_version_prints_the_package_version(env, tmp_path):
    result = salesbot("--version", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"salesbot {version('salesbot')}\n"


def test_doctor_prints_the_table_and_fails_on_a_refused_bot_token(db_dsn, tmp_path):
    async def checked() -> subprocess.CompletedProcess[str]:
        async with FakeTelegram(token="1:right") as tg:
            env = {
                **os.environ,
                "COLUMNS": "200",
                "DATABASE_URL": db_dsn,
                "TELEGRAM_BOT_TOKEN": "1:wrong-secret-token",
                "TELEGRAM_API_URL": tg.url,
                "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
                "OPENAI_API_KEY": "sk-never-shown",
            }
            env = {k: v for k, v in env.items() if not k.startswith(("ZOOM_", "HUBSPOT_"))}
            return await asyncio.to_thread(salesbot, "doctor", env=env, cwd=tmp_path)

    done = asyncio.run(checked())
    assert done.returncode == 1, done.stderr
    lines = [" ".join(line.split()) for line in done.stdout.splitlines()]
    assert lines[0] == "check status what to fix"
    assert lines[1] == snapshot(
        "Telegram bot FAIL Telegram refused TELEGRAM_BOT_TOKEN: copy the token @BotFather gave"
    )
    assert lines[2].startswith("Model FAIL cannot reach http://127.0.0.1:9/v1 (OPENAI_BASE_URL)")
    assert "wrong-secret-token" not in done.stdout
    assert "sk-never-shown" not in done.stdout


def test_doctor_names_a_bad_encryption_key_without_showing_it(env, tmp_path):
    result = salesbot(
        "doctor", env={**env, "TOKEN_ENCRYPTION_KEY": "not-a-fernet-key"}, cwd=tmp_path
    )
    assert result.returncode == 1
    assert "not-a-fernet-key" not in result.stdout
    assert result.stdout.splitlines()[1].split()[:3] == [
        "Settings",
        "FAIL",
        "TOKEN_ENCRYPTION_KEY:",
    ]
