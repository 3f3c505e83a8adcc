"""The `salesbot` command. Each command imports what it needs when it runs: `salesbot --help`
and `salesbot migrate` never load the agent, the model client or the Telegram library."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from agent import failures

if TYPE_CHECKING:
    from agent.settings import Settings

# Plain help: Typer's boxed help loads rich and a Markdown parser, a tenth of a second on every
# `--help`; each command's first sentence is short enough for the list of commands.
app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    help="salesbot: a sales team's assistant.",
)


def _version(show: bool) -> None:
    if show:
        from importlib.metadata import version

        typer.echo(f"salesbot {version('salesbot')}")
        raise typer.Exit()


@app.callback()
def _options(
    show_version: bool = typer.Option(
        False,
        "--version",
        callback=_version,
        is_eager=True,
        help="Print the version and exit.",
    ),
) -> None:
    pass


def _log_to_stderr(settings: Settings) -> None:
    from agent import logs

    logs.configure(level=settings.log_level, style=settings.log_format, secrets=settings.secrets)


@app.command("migrate")
def migrate_command() -> None:
    """Apply database migrations. Starts the embedded database when DATABASE_URL is unset."""
    import asyncio

    from agent.database import database
    from db.migrate import migrate
    from db.pool import connect

    settings = failures.settings_or_fail()

    async def run(dsn: str) -> list[str]:
        conn = await connect(dsn)
        try:
            return [f"{m.version:03d}_{m.name}" for m in await migrate(conn)]
        finally:
            await conn.close()

    try:
        with database(settings) as dsn:
            applied = asyncio.run(run(dsn))
    except failures.database_errors() as e:
        failures.fail(str(e))
    for name in applied:  # plain lines: rich would add a twentieth of the command's time
        typer.echo(f"applied {name}")
    typer.echo("database is up to date" if not applied else f"{len(applied)} migration(s) applied")


@app.command("db")
def db_command() -> None:
    """Show where the database is. Also whether it runs and which migrations it has."""
    import asyncio

    from rich.table import Table

    from agent.database import database, embedded_server
    from db.binaries import EmbeddedDatabaseError
    from db.migrate import applied_migrations
    from db.pool import connect

    settings = failures.settings_or_fail()
    table = Table(show_header=False, box=None)
    if settings.database_url:
        table.add_row("database", "DATABASE_URL (external server)")
    else:
        try:
            status = embedded_server(settings).status()
        except EmbeddedDatabaseError as e:
            failures.fail(str(e))
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
    except failures.database_errors() as e:
        failures.fail(str(e))
    table.add_row("migrations", ", ".join(names) or "none applied (run `salesbot migrate`)")
    failures.console().print(table)


@app.command("doctor")
def doctor_command() -> None:
    """Check every setting and service live, and say what to fix. Exits 1 when one fails."""
    import asyncio

    from agent.database import database
    from agent.doctor import diagnose, fail
    from agent.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as e:  # the message names the variables, never a secret's value
        checks = [fail("Settings", line.strip()) for line in str(e).splitlines()[1:]]
    else:
        try:
            with database(settings) as dsn:
                checks = asyncio.run(diagnose(settings, dsn))
        except failures.database_errors() as e:
            checks = [fail("Database", str(e))]
    failures.print_checks(checks)


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
    """Run the bot in Telegram. Starts the embedded database when DATABASE_URL is unset."""
    settings = failures.settings_or_fail()
    if settings.telegram_bot_token is None:
        failures.fail(
            "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather and put its token in "
            ".env or the environment. To try the bot without Telegram, run `salesbot chat`."
        )
    model = failures.model_or_fail(settings)
    import uvloop
    from telegram.error import InvalidToken, NetworkError

    from agent.bot import run_bot
    from agent.supervision import LoopEnded

    _log_to_stderr(settings)
    try:
        uvloop.run(run_bot(settings, model, webhook_url=webhook, receive=not work_only))
    except LoopEnded as e:
        failures.fail(f"salesbot {e}")
    except InvalidToken:
        failures.fail("Telegram refused TELEGRAM_BOT_TOKEN: check the token @BotFather gave you.")
    except NetworkError as e:
        failures.fail(f"Cannot reach Telegram at {settings.telegram_api_url}: {e}")
    except failures.database_errors() as e:
        failures.fail(str(e))


@app.command("scheduler")
def scheduler_command() -> None:
    """Run only the scheduler. It queues due work (assignments, reminders, meeting prep and
    debriefs) for the bot processes to deliver. `salesbot run` runs one too; any number may."""
    import asyncio

    from agent import scheduler
    from agent.database import database
    from agent.runtime import plan_from, utc_now
    from agent.telegram.app import stop_on_signals
    from db.migrate import migrate
    from db.pool import create_pool

    settings = failures.settings_or_fail()
    _log_to_stderr(settings)

    async def run() -> None:
        with database(settings) as dsn:
            stop = asyncio.Event()
            stop_on_signals(stop)
            pool = await create_pool(dsn, max_size=2)
            try:
                async with pool.acquire() as conn:
                    await migrate(conn)
                every = settings.scheduler_tick_seconds
                plan = plan_from(settings)
                await scheduler.run(pool, plan, clock=utc_now, every=every, stop=stop)
            finally:
                await pool.close()

    try:
        asyncio.run(run())
    except failures.database_errors() as e:
        failures.fail(str(e))


@app.command("chat")
def chat_command(
    as_id: int = typer.Option(
        None, "--as", help="Telegram id to speak as (default: the first admin, else 1)."
    ),
) -> None:
    """Talk to the agent in the terminal, without Telegram. Speak as any Telegram id."""
    settings = failures.settings_or_fail()
    model = failures.model_or_fail(settings)
    import asyncio

    from agent.console import converse, lines_from_terminal
    from agent.runtime import runtime

    speaker = as_id if as_id is not None else (settings.admin_telegram_ids or (1,))[0]

    async def run() -> None:
        async with runtime(settings, model) as rt:
            await converse(
                rt,
                lines_from_terminal(lambda: f"[{speaker}] > "),
                failures.console(),
                as_id=speaker,
            )

    try:
        asyncio.run(run())
    except failures.database_errors() as e:
        failures.fail(str(e))
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
        help="scripted (the gold calls), perturbed (the gold calls garbled), idle (a model "
        "that only talks), or a model name.",
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
    """Replay the dialogue datasets and score the state they leave. Each case runs through the
    whole stack."""
    settings = failures.settings_or_fail()
    try:
        from evals.main import EvalOptions, evaluate
    except ImportError as e:
        if e.name == "evals":
            failures.fail(
                "The eval suite runs from a checkout of the repository (evals/ is not installed)."
            )
        failures.fail(f"The eval suite needs {e.name}: pip install -e '.[evals]'")
    import asyncio

    from agent.model import ModelNotConfigured

    options = EvalOptions(paths or [], model, trials, min_pass, report, show, concurrency)
    try:
        code = asyncio.run(evaluate(options, settings, failures.console()))
    except ModelNotConfigured as e:
        failures.fail(str(e))
    except failures.database_errors() as e:
        failures.fail(str(e))
    except ValueError as e:
        failures.fail(str(e))
    raise typer.Exit(code)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
