"""The installed `salesbot` must resolve its top-level packages to this checkout, even when
started elsewhere: another wheel's `tools` or `db` would otherwise shadow ours."""

import json
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHIPPED = ["agent", "tools", "db", "prompts"]


def test_the_shipped_packages_import_from_this_checkout(tmp_path):
    script = (
        "import importlib, json; "
        f"print(json.dumps({{n: importlib.import_module(n).__file__ for n in {SHIPPED!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    files = json.loads(result.stdout)
    assert {name: Path(path).parent for name, path in files.items()} == {
        name: REPO / name for name in SHIPPED
    }


def test_the_wheel_ships_the_four_packages_with_their_sql_and_texts(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        check=True,
    )
    (wheel,) = tmp_path.glob("salesbot-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names if not n.startswith("salesbot-")} == set(SHIPPED)
    assert {n for n in names if n.endswith(".sql")} == {
        str(p.relative_to(REPO)) for p in (REPO / "db").rglob("*.sql")
    }
    assert {n for n in names if n.endswith(".toml")} == {
        str(p.relative_to(REPO)) for p in (REPO / "tools" / "texts").glob("*.toml")
    }
