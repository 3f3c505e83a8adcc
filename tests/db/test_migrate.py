import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from inline_snapshot import snapshot

from db.migrate import Migration, MigrationError, discover, migrate
from db.pool import connect

COLUMNS = """
SELECT table_name, column_name, data_type, is_nullable
  FROM information_schema.columns
 WHERE table_schema = 'public'
 ORDER BY table_name, ordinal_position
"""


async def schema(dsn):
    conn = await connect(dsn)
    try:
        tables: dict[str, list[str]] = {}
        for r in await conn.fetch(COLUMNS):
            null = "" if r["is_nullable"] == "YES" else " not null"
            tables.setdefault(r["table_name"], []).append(
                f"{r['column_name']} {r['data_type']}{null}"
            )
        return tables
    finally:
        await conn.close()


async def applied(dsn):
    conn = await connect(dsn)
    try:
        return [
            (r["version"], r["name"])
            for r in await conn.fetch(
                "SELECT version, name FROM schema_migrations ORDER BY version"
            )
        ]
    finally:
        await conn.close()


def test_migrations_are_numbered_in_order():
    versions = [m.version for m in discover()]
    assert versions == list(range(1, len(versions) + 1))


async def test_an_empty_database_gets_the_whole_schema(empty_dsn):
    conn = await connect(empty_dsn)
    try:
        done = await migrate(conn)
        again = await migrate(conn)
    finally:
        await conn.close()
    assert [m.name for m in done] == snapshot(
        [
            "schema",
            "seed_prospects",
            "delivery",
            "integrations",
            "scheduler",
            "owed_retries",
            "outbox_by_turn",
            "digest_marks",
            "inbox_kinds_open",
            "names_and_mailboxes",
            "rep_timezone_from_settings",
            "languages_from_the_catalogue",
            "sign_in_links_used_once",
            "email_verification",
            "limits_and_rep_history",
            "still_true_when_delivered",
            "everyday_team",
            "practice_calls",
            "calendar_sync",
            "crm_sync",
            "replies_in_context",
            "calendar_channels",
            "contact_owners",
        ]
    )
    assert again == []
    assert await applied(empty_dsn) == snapshot(
        [
            (1, "schema"),
            (2, "seed_prospects"),
            (3, "delivery"),
            (4, "integrations"),
            (5, "scheduler"),
            (6, "owed_retries"),
            (7, "outbox_by_turn"),
            (8, "digest_marks"),
            (9, "inbox_kinds_open"),
            (10, "names_and_mailboxes"),
            (11, "rep_timezone_from_settings"),
            (12, "languages_from_the_catalogue"),
            (13, "sign_in_links_used_once"),
            (14, "email_verification"),
            (15, "limits_and_rep_history"),
            (16, "still_true_when_delivered"),
            (17, "everyday_team"),
            (18, "practice_calls"),
            (19, "calendar_sync"),
            (20, "crm_sync"),
            (21, "replies_in_context"),
            (22, "calendar_channels"),
            (23, "contact_owners"),
        ]
    )
    assert await schema(empty_dsn) == snapshot(
        {
            "activities": [
                "id bigint not null",
                "prospect_id text not null",
                "rep_id uuid",
                "kind text not null",
                "body text",
                "data jsonb not null",
                "created_at timestamp with time zone not null",
            ],
            "audit_log": [
                "id bigint not null",
                "turn_id bigint",
                "actor_telegram_id bigint",
                "actor_rep_id uuid",
                "actor_role text not null",
                "tool text not null",
                "args jsonb not null",
                "allowed boolean not null",
                "outcome text not null",
                "detail text",
                "created_at timestamp with time zone not null",
            ],
            "calendar_channels": [
                "id text not null",
                "rep_id uuid not null",
                "resource_id text not null",
                "token_sha256 text not null",
                "expires_at timestamp with time zone not null",
                "created_at timestamp with time zone not null",
            ],
            "calendar_syncs": [
                "rep_id uuid not null",
                "sync_token text",
                "last_synced_at timestamp with time zone",
                "consecutive_failures integer not null",
                "last_error text",
                "next_attempt_at timestamp with time zone not null",
                "created_at timestamp with time zone not null",
                "updated_at timestamp with time zone not null",
            ],
            "chats": [
                "chat_id bigint not null",
                "language text",
                "history jsonb not null",
                "pending_approval jsonb",
                "pending_expires_at timestamp with time zone",
                "created_at timestamp with time zone not null",
                "updated_at timestamp with time zone not null",
            ],
            "crm_sync_marks": [
                "object_type text not null",
                "modified_through timestamp with time zone not null",
                "synced_at timestamp with time zone not null",
            ],
            "deals": [
                "id uuid not null",
                "prospect_id text not null",
                "rep_id uuid",
                "name text not null",
                "stage text not null",
                "amount numeric",
                "currency text not null",
                "next_step text",
                "next_step_due timestamp with time zone",
                "hubspot_deal_id text",
                "stage_changed_at timestamp with time zone not null",
                "closed_at timestamp with time zone",
                "created_at timestamp with time zone not null",
                "updated_at timestamp with time zone not null",
                "pipeline text",
                "close_date date",
                "won boolean",
                "hubspot_modified_at timestamp with time zone",
            ],
            "email_codes": [
                "id bigint not null",
                "rep_id uuid not null",
                "email text not null",
                "code_hash text not null",
                "attempts integer not null",
                "expires_at timestamp with time zone not null",
                "spent_at timestamp with time zone",
                "created_at timestamp with time zone not null",
            ],
            "inbox": [
                "id bigint not null",
                "chat_id bigint not null",
                "kind text not null",
                "update_id bigint",
                "dedupe_key text",
                "payload jsonb not null",
                "status text not null",
                "not_before timestamp with time zone not null",
                "attempts integer not null",
                "locked_by text",
                "locked_until timestamp with time zone",
                "last_error text",
                "created_at timestamp with time zone not null",
                "processed_at timestamp with time zone",
            ],
            "integration_records": [
                "id bigint not null",
                "service text not null",
                "operation text not null",
                "sandbox boolean not null",
                "rep_id uuid",
                "prospect_id text",
                "external_id text",
                "request jsonb not null",
                "response jsonb not null",
                "created_at timestamp with time zone not null",
                "idempotency_key text",
                "undone_at timestamp with time zone",
            ],
            "limited_turns": [
                "telegram_id bigint not null",
                "granted_at timestamp with time zone not null",
            ],
            "meetings": [
                "id uuid not null",
                "rep_id uuid not null",
                "prospect_id text",
                "title text not null",
                "starts_at timestamp with time zone not null",
                "ends_at timestamp with time zone not null",
                "status text not null",
                "zoom_meeting_id bigint",
                "zoom_join_url text",
                "calendar_event_id text",
                "hubspot_meeting_id text",
                "sandbox boolean not null",
                "idempotency_key text",
                "outcome text",
                "debrief text",
                "created_at timestamp with time zone not null",
                "updated_at timestamp with time zone not null",
                "duration_minutes integer",
                "owed ARRAY not null",
                "handed_over boolean not null",
                "source text not null",
            ],
            "oauth_tokens": [
                "rep_id uuid not null",
                "provider text not null",
                "ciphertext bytea not null",
                "scopes ARRAY not null",
                "expires_at timestamp with time zone",
                "revoked_at timestamp with time zone",
                "created_at timestamp with time zone not null",
                "updated_at timestamp with time zone not null",
            ],
            "outbox": [
                "id bigint not null",
                "chat_id bigint not null",
                "kind text not null",
                "text text not null",
                "buttons jsonb",
                "parse_mode text",
                "dedupe_key text",
                "turn_id bigint",
                "status text not null",
                "attempts integer not null",
                "not_before timestamp with time zone not null",
                "locked_by text",
                "locked_until timestamp with time zone",
                "last_error text",
                "telegram_message_id bigint",
                "created_at timestamp with time zone not null",
                "sent_at timestamp with time zone",
                "payload jsonb",
                "parts_sent integer not null",
                "held_until timestamp with time zone",
                "about jsonb",
            ],
            "practices": [
                "id bigint not null",
                "rep_id uuid not null",
                "prospect_id text",
                "focus text",
                "persona jsonb not null",
                "status text not null",
                "started_at timestamp with time zone not null",
                "finished_at timestamp with time zone",
                "score_opening smallint",
                "score_discovery smallint",
                "score_objections smallint",
                "score_next_step smallint",
                "feedback text",
            ],
            "prospects": [
                "id text not null",
                "telegram_id text",
                "name text not null",
                "context text",
                "status text not null",
                "assigned_rep_id uuid",
                "email text",
                "notes text",
                "language text",
                "hubspot_contact_id text",
                "last_contact_at timestamp with time zone",
                "assigned_at timestamp with time zone",
                "status_changed_at timestamp with time zone not null",
                "created_at timestamp with time zone not null",
                "updated_at timestamp with time zone not null",
                "last_activity_at timestamp with time zone",
                "source text not null",
                "phone text",
                "hubspot_owner_id text",
            ],
            "rep_status_changes": [
                "id bigint not null",
                "rep_id uuid not null",
                "status text not null",
                "reason text",
                "by_telegram_id bigint",
                "changed_at timestamp with time zone not null",
            ],
            "reps": [
                "id uuid not null",
                "telegram_id bigint not null",
                "telegram_username text",
                "name text not null",
                "email text not null",
                "status text not null",
                "language text not null",
                "timezone text not null",
                "calendar_account_name text",
                "calendar_connected_at timestamp with time zone",
                "zoom_user_id text",
                "hubspot_owner_id text",
                "is_admin boolean not null",
                "quiet_hours_start time without time zone",
                "quiet_hours_end time without time zone",
                "snoozed_until timestamp with time zone",
                "status_reason text",
                "registered_at timestamp with time zone not null",
                "approved_at timestamp with time zone",
                "approved_by uuid",
                "approved_by_telegram_id bigint",
                "status_changed_at timestamp with time zone not null",
                "created_at timestamp with time zone not null",
                "updated_at timestamp with time zone not null",
                "digest_on date",
                "email_verified_at timestamp with time zone",
                "email_verified_by text",
                "digest_time time without time zone",
            ],
            "scheduled_jobs": [
                "id bigint not null",
                "kind text not null",
                "chat_id bigint not null",
                "payload jsonb not null",
                "due_at timestamp with time zone not null",
                "dedupe_key text not null",
                "status text not null",
                "created_at timestamp with time zone not null",
                "enqueued_at timestamp with time zone",
            ],
            "schema_migrations": [
                "version integer not null",
                "name text not null",
                "checksum text not null",
                "applied_at timestamp with time zone not null",
            ],
            "sign_in_states_used": [
                "nonce text not null",
                "rep_id uuid not null",
                "used_at timestamp with time zone not null",
            ],
            "turns": [
                "id bigint not null",
                "chat_id bigint not null",
                "inbox_id bigint",
                "actor_telegram_id bigint",
                "actor_role text not null",
                "model text",
                "requests integer not null",
                "input_tokens integer not null",
                "output_tokens integer not null",
                "outcome text not null",
                "started_at timestamp with time zone not null",
                "finished_at timestamp with time zone",
            ],
        }
    )


async def test_a_changed_migration_is_refused(empty_dsn):
    first = Migration(1, "one", "CREATE TABLE one (id int);")
    conn = await connect(empty_dsn)
    try:
        await migrate(conn, migrations=[first])
        with pytest.raises(MigrationError, match="changed after it was applied"):
            await migrate(conn, migrations=[Migration(1, "one", "CREATE TABLE one (id bigint);")])
        # The lock was released: another runner is not blocked.
        assert await conn.fetchval("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") == 0
    finally:
        await conn.close()


async def test_a_failing_migration_leaves_nothing_half_done(empty_dsn):
    good = Migration(1, "good", "CREATE TABLE good (id int);")
    bad = Migration(2, "bad", "CREATE TABLE half (id int); SELECT * FROM missing_table;")
    conn = await connect(empty_dsn)
    try:
        with pytest.raises(Exception, match="missing_table"):
            await migrate(conn, migrations=[good, bad])
        assert await conn.fetchval("SELECT to_regclass('half')") is None
        assert await conn.fetchval("SELECT to_regclass('good')") == "good"
    finally:
        await conn.close()
    assert await applied(empty_dsn) == [(1, "good")]


async def test_two_processes_migrating_at_once_apply_each_migration_once(empty_dsn, tmp_path):
    root = str(Path(__file__).parents[2])  # this checkout's code, wherever it was installed from
    env = {**os.environ, "DATABASE_URL": empty_dsn, "PYTHONPATH": root}
    command = [sys.executable, "-m", "agent.cli", "migrate"]
    procs = [
        await asyncio.create_subprocess_exec(
            *command,
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    outputs = [await p.communicate() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    printed = sorted(out.decode() for out, _ in outputs)
    assert printed == snapshot(
        [
            """\
applied 001_schema
applied 002_seed_prospects
applied 003_delivery
applied 004_integrations
applied 005_scheduler
applied 006_owed_retries
applied 007_outbox_by_turn
applied 008_digest_marks
applied 009_inbox_kinds_open
applied 010_names_and_mailboxes
applied 011_rep_timezone_from_settings
applied 012_languages_from_the_catalogue
applied 013_sign_in_links_used_once
applied 014_email_verification
applied 015_limits_and_rep_history
applied 016_still_true_when_delivered
applied 017_everyday_team
applied 018_practice_calls
applied 019_calendar_sync
applied 020_crm_sync
applied 021_replies_in_context
applied 022_calendar_channels
applied 023_contact_owners
23 migration(s) applied
""",
            "database is up to date\n",
        ]
    )
    assert await applied(empty_dsn) == [(m.version, m.name) for m in discover()]


async def test_a_reps_timezone_has_no_default_in_the_schema(db_dsn):
    conn = await connect(db_dsn)
    try:
        default = await conn.fetchval(
            "SELECT column_default FROM information_schema.columns"
            " WHERE table_name = 'reps' AND column_name = 'timezone'"
        )
    finally:
        await conn.close()
    assert default is None
