-- Work the scheduler queues for code rather than for the agent (a task: retrying a meeting's
-- owed HubSpot log), and the index its due-work query starts from.
ALTER TABLE inbox DROP CONSTRAINT inbox_kind_check;
ALTER TABLE inbox ADD CONSTRAINT inbox_kind_check
    CHECK (kind IN ('message', 'callback', 'event', 'task'));

CREATE INDEX meetings_owed ON meetings (created_at) WHERE owed <> '{}';
