"""How a `salesbot` command reports trouble, never as a traceback: an error as a message in red
on stderr and exit code 2, the doctor's checks as a table and exit code 1 when one fails. Like
the commands, it imports what it needs when it runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

import typer

if TYPE_CHECKING:
    from pydantic_ai.models import Model
    from rich.console import Console

    from agent.doctor import Check
    from agent.settings import Settings


def console(*, stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True) if stderr else Console()


def database_errors() -> tuple[type[Exception], ...]:
    """What a command that opens the database reports as a message, not a traceback."""
    from db.binaries import EmbeddedDatabaseError
    from db.migrate import MigrationError

    return (EmbeddedDatabaseError, MigrationError, OSError)


def fail(message: str) -> NoReturn:
    console(stderr=True).print(f"[red]{message}[/red]", highlight=False)
    raise typer.Exit(2)


def settings_or_fail() -> Settings:
    from agent.settings import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as e:
        fail(str(e))


def model_or_fail(settings: Settings) -> Model:
    from agent.model import ModelNotConfigured, build_model

    try:
        return build_model(settings)
    except ModelNotConfigured as e:
        fail(str(e))


def print_checks(checks: list[Check]) -> None:
    from rich.table import Table

    table = Table("check", "status", "what to fix", box=None, pad_edge=False)
    colour = {"ok": "green", "warn": "yellow", "FAIL": "red"}
    for check in checks:
        status = f"[{colour[check.status]}]{check.status}[/]"
        table.add_row(check.name, status, check.detail)
    console().print(table)
    if any(check.status == "FAIL" for check in checks):
        raise typer.Exit(1)
