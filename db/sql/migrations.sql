-- name: lock
SELECT pg_advisory_lock(:key);

-- name: unlock
SELECT pg_advisory_unlock(:key);

-- name: create_table
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);

-- name: applied
SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version;

-- name: record
INSERT INTO schema_migrations (version, name, checksum) VALUES (:version, :name, :checksum);

-- name: table_exists
SELECT to_regclass('schema_migrations') IS NOT NULL;
