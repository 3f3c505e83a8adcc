"""The deploy files say what the code does: the image, the compose file and the systemd units
start real `salesbot` commands (parsed by the CLI itself), run unprivileged, check `/healthz`
on the port the bot listens on, and ship exactly the packages the wheel ships. (No container
runtime on CI machines: the image is built where Docker runs; these checks run everywhere.)"""

import configparser
import json
import shlex
import tomllib
from pathlib import Path

import pytest
import typer.main
import yaml

from agent.cli import app

REPO = Path(__file__).resolve().parents[1]


def parses(argv: list[str]) -> str:
    """The command `argv` runs, as the CLI parses it (a wrong option or command raises)."""
    assert Path(argv[0]).name == "salesbot"
    command = typer.main.get_group(app)
    with command.make_context("salesbot", list(argv[1:]), resilient_parsing=False) as ctx:
        name, sub, args = command.resolve_command(ctx, list(argv[1:]))
        assert sub is not None
        sub.make_context(name or "", args, parent=ctx)
        return " ".join(argv[1:])


def dockerfile() -> dict[str, list[str]]:
    lines: dict[str, list[str]] = {}
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            word, _, rest = line.strip().partition(" ")
            lines.setdefault(word, []).append(rest.strip())
    return lines


def test_the_image_runs_the_bot_unprivileged_and_checks_its_health() -> None:
    image = dockerfile()
    assert parses(json.loads(image["CMD"][0])) == "run"
    assert image["USER"] == ["salesbot"]
    assert "WEBHOOK_LISTEN=0.0.0.0:8080" in image["ENV"][0]
    assert "http://127.0.0.1:8080/healthz" in image["HEALTHCHECK"][0]
    assert image["EXPOSE"] == ["8080"]


def test_the_image_ships_the_packages_the_wheel_ships() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    shipped = project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    copied = [line.split()[0] for line in dockerfile()["COPY"] if line.split()[0] in shipped]
    assert sorted(copied) == sorted(shipped)


def test_compose_runs_postgres_16_the_bot_and_a_worker_with_health_checks() -> None:
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    services = compose["services"]
    assert services["postgres"]["image"] == "postgres:16"
    assert parses(services["bot"]["command"]) == "run"
    assert parses(services["worker"]["command"]) == "run --work-only"
    for name in ("postgres", "bot", "worker"):
        assert services[name]["healthcheck"]["test"][0] == "CMD", name
    for name in ("bot", "worker"):
        service = services[name]
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert service["environment"]["DATABASE_URL"].startswith("postgresql://")
        listen = service["environment"]["WEBHOOK_LISTEN"]
        assert f":{listen.rpartition(':')[2]}/healthz" in " ".join(service["healthcheck"]["test"])


@pytest.mark.parametrize(
    ("unit", "command"),
    [("salesbot.service", "run"), ("salesbot-worker.service", "run --work-only")],
)
def test_the_systemd_units_run_real_commands_as_the_service_user(unit: str, command: str) -> None:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(REPO / "deploy" / "systemd" / unit)
    service = parser["Service"]
    assert parses(shlex.split(service["ExecStart"])) == command
    assert (service["User"], service["Restart"]) == ("salesbot", "always")
    assert parser["Install"]["WantedBy"] == "multi-user.target"


def test_the_worker_unit_listens_apart_from_the_bot() -> None:
    text = (REPO / "deploy" / "systemd" / "salesbot-worker.service").read_text()
    assert "Environment=WEBHOOK_LISTEN=127.0.0.1:8081" in text
