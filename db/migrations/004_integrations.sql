-- What booking needs to be done once and undone cleanly: an outside call carries the key of the
-- step it performs (a retried turn finds it instead of calling again), an undone call stays on
-- record, and a meeting remembers the steps still owed (e.g. the HubSpot log, when HubSpot was
-- down).
ALTER TABLE integration_records ADD COLUMN idempotency_key text;
ALTER TABLE integration_records ADD COLUMN undone_at timestamptz;
CREATE UNIQUE INDEX integration_records_key ON integration_records (idempotency_key)
    WHERE undone_at IS NULL;

ALTER TABLE meetings ADD COLUMN duration_minutes integer
    GENERATED ALWAYS AS ((extract(epoch FROM ends_at - starts_at) / 60)::integer) STORED;
ALTER TABLE meetings ADD COLUMN owed text[] NOT NULL DEFAULT '{}';
