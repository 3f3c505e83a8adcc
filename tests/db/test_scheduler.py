"""The kinds of work the scheduler's SQL queues are exactly the enumerations the rest of the
code is checked against: a kind added in SQL without its enumeration (and so without its note
for the agent or its task) fails here."""

from __future__ import annotations

import re
from pathlib import Path

import db
from db.scheduler import EventKind, TaskKind

SQL = (Path(db.__file__).parent / "sql" / "scheduler.sql").read_text()


def test_every_event_the_sql_queues_is_a_known_kind():
    queued = set(re.findall(r"jsonb_build_object\('event', '(\w+)'", SQL))
    assert queued == {k.value for k in EventKind}


def test_every_task_the_sql_queues_is_a_known_kind():
    queued = set(re.findall(r"jsonb_build_object\('task', '(\w+)'", SQL))
    assert queued == {k.value for k in TaskKind}
