"""Which PostgreSQL the app uses: `DATABASE_URL`, or the embedded server."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from agent.settings import Settings
from db.embedded import EmbeddedPostgres, default_root


def embedded_server(settings: Settings) -> EmbeddedPostgres:
    return EmbeddedPostgres(settings.salesbot_data_dir or default_root())


@contextlib.contextmanager
def database(settings: Settings) -> Iterator[str]:
    """Yields a DSN; an embedded server started for it is left (stopped if last) on exit."""
    if settings.database_url:
        yield settings.database_url
        return
    with embedded_server(settings) as dsn:
        yield dsn
