"""The `salesbot` command."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Annotated, NoReturn

import typer
import uvloop
from rich.console import Console
from rich.table import Table
from telegram.error import InvalidToken, NetworkError

from agent import scheduler
from agent.bot import run_bot
from agent.console import converse, lines_from_terminal
from agent.database import database, embedded_server
from agent.model import ModelNotConfigured, build_model
from agent.runtime import runtime, utc_now
from agent.settings import Settings, SettingsError, load_settings
from agent.telegram.app import stop_on_signals
from db.embedded import EmbeddedDatabaseError
from db.migrate import MigrationError, applied_migrations, migrate
from db.pool import connect, create_pool

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="salesbot: a sales team's assistant."
)
console = Console()
errors = Console(stderr=True, soft_wrap=True)


def _fail(message: str) -> NoReturn:
    errors.print(f"[red]{message}[/red]", highlight=False)
    raise typer.Exit(2)


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as e:
        _fail(str(e))


@app.command("migrate")
def migrate_command() -> None:
    """Apply database migrations (starts the embedded database when DATABASE_URL is unset)."""
    settings = _settings()

    async def run(dsn: str) -> list[str]:
        conn = await connect(dsn)
        try:
            return [f"{m.version:03d}_{m.name}" for m in await migrate(conn)]
        finally:
            await conn.close()

    try:
        with database(settings) as dsn:
            applied = asyncio.run(run(dsn))
    except (EmbeddedDatabaseError, MigrationError, OSError) as e:
        _fail(str(e))
    for name in applied:
        console.print(f"applied {name}")
    console.print(
        "database is up to date" if not applied else f"{len(applied)} migration(s) applied"
    )


@app.command("db")
def db_command() -> None:
    """Show where the database is, whether it runs, and which migrations it has."""
    settings = _settings()
    table = Table(show_header=False, box=None)
    if settings.database_url:
        table.add_row("database", "DATABASE_URL (external server)")
    else:
        try:
            status = embedded_server(settings).status()
        except EmbeddedDatabaseError as e:
            _fail(str(e))
        table.add_row("database", f"embedded PostgreSQL in {status.data_dir}")
        table.add_row("binaries", status.binaries)
        table.add_row("server", "running" if status.running else "stopped")

    async def applied(dsn: str) -> list[str]:
        conn = await connect(dsn)
        try:
            return [f"{r['version']:03d}_{r['name']}" for r in await applied_migrations(conn)]
        finally:
            await conn.close()

    try:
        with database(settings) as dsn:
            names = asyncio.run(applied(dsn))
    except (EmbeddedDatabaseError, OSError) as e:
        _fail(str(e))
    table.add_row("migrations", ", ".join(names) or "none applied (run `salesbot migrate`)")
    console.print(table)


@app.command("run")
def run_command(
    webhook: str = typer.Option(
        None,
        "--webhook",
        help="Receive updates at this public https URL instead of long polling "
        "(default: TELEGRAM_WEBHOOK_URL).",
    ),
    work_only: bool = typer.Option(
        False,
        "--work-only",
        help="Take no updates, only answer and send what is waiting: a second process on the "
        "same database, for another core, next to the one that polls.",
    ),
) -> None:
    """Run the bot in Telegram (starts the embedded database when DATABASE_URL is unset)."""
    settings = _settings()
    if settings.telegram_bot_token is None:
        _fail(
            "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather and put its token in "
            ".env or the environment. To try the bot without Telegram, run `salesbot chat`."
        )
    try:
        model = build_model(settings)
    except ModelNotConfigured as e:
        _fail(str(e))
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        uvloop.run(run_bot(settings, model, webhook_url=webhook, receive=not work_only))
    except InvalidToken:
        _fail("Telegram refused TELEGRAM_BOT_TOKEN: check the token @BotFather gave you.")
    except NetworkError as e:
        _fail(f"Cannot reach Telegram at {settings.telegram_api_url}: {e}")
    except (EmbeddedDatabaseError, MigrationError, OSError) as e:
        _fail(str(e))


@app.command("scheduler")
def scheduler_command() -> None:
    """Run only the scheduler: it queues due work (assignments, reminders, meeting prep and
    debriefs) for the bot processes to deliver. `salesbot run` runs one too; any number may."""
    settings = _settings()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    async def run() -> None:
        with database(settings) as dsn:
            pool = await create_pool(dsn, max_size=2)
            try:
                async with pool.acquire() as conn:
                    await migrate(conn)
                stop = asyncio.Event()
                stop_on_signals(stop)
                every = settings.scheduler_tick_seconds
                plan = scheduler.plan_from(settings)
                await scheduler.run(pool, plan, clock=utc_now, every=every, stop=stop)
            finally:
                await pool.close()

    try:
        asyncio.run(run())
    except (EmbeddedDatabaseError, MigrationError, OSError) as e:
        _fail(str(e))


@app.command("chat")
def chat_command(
    as_id: int = typer.Option(
        None, "--as", help="Telegram id to speak as (default: the first admin, else 1)."
    ),
) -> None:
    """Talk to the agent in the terminal, as any Telegram id, without Telegram."""
    settings = _settings()
    try:
        model = build_model(settings)
    except ModelNotConfigured as e:
        _fail(str(e))
    speaker = as_id if as_id is not None else (settings.admin_telegram_ids or (1,))[0]

    async def run() -> None:
        async with runtime(settings, model) as rt:
            await converse(
                rt, lines_from_terminal(lambda: f"[{speaker}] > "), console, as_id=speaker
            )

    try:
        asyncio.run(run())
    except (EmbeddedDatabaseError, MigrationError, OSError) as e:
        _fail(str(e))
    except KeyboardInterrupt:
        pass


@app.command("eval")
def eval_command(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Dataset files or folders (default: all).")
    ] = None,
    model: str = typer.Option(
        "scripted",
        "--model",
        help="scripted (the gold calls), idle (a model that only talks), or a model name.",
    ),
    trials: int = typer.Option(1, "--trials", min=1, help="Runs of each case (pass^k)."),
    min_pass: float = typer.Option(
        1.0, "--min-pass", min=0.0, max=1.0, help="Exit 1 when pass^1 is below this."
    ),
    report: Annotated[
        Path | None, typer.Option("--report", help="Write the report as JSON here.")
    ] = None,
    show: bool = typer.Option(False, "--show", help="Print each case's transcript."),
    concurrency: int = typer.Option(0, "--concurrency", min=0, help="Cases at once."),
) -> None:
    """Replay the dialogue datasets through the whole stack and score the state they leave."""
    settings = _settings()
    try:
        from evals.main import EvalOptions, evaluate
    except ImportError:
        _fail("The eval suite runs from a checkout of the repository (evals/ is not installed).")
    options = EvalOptions(paths or [], model, trials, min_pass, report, show, concurrency)
    try:
        code = asyncio.run(evaluate(options, settings, console))
    except ModelNotConfigured as e:
        _fail(str(e))
    except (EmbeddedDatabaseError, MigrationError, OSError, ValueError) as e:
        _fail(str(e))
    raise typer.Exit(code)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
