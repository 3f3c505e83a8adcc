-- Model turns granted to people the limits apply to (strangers, applicants), one row a turn, kept
-- for the hour the limits look back on; what each turn cost is read from `turns`.
CREATE TABLE limited_turns (
    telegram_id bigint NOT NULL,
    granted_at  timestamptz NOT NULL
);
CREATE INDEX limited_turns_actor ON limited_turns (telegram_id, granted_at);
CREATE INDEX limited_turns_granted ON limited_turns (granted_at);
CREATE INDEX turns_actor ON turns (actor_telegram_id, started_at);

-- Every status a rep's row has had, by whom: a rep who comes back is shown with their past.
CREATE TABLE rep_status_changes (
    id             bigserial PRIMARY KEY,
    rep_id         uuid NOT NULL REFERENCES reps (id) ON DELETE CASCADE,
    status         text NOT NULL,
    reason         text,
    by_telegram_id bigint,
    changed_at     timestamptz NOT NULL
);
CREATE INDEX rep_status_changes_rep ON rep_status_changes (rep_id, changed_at);
INSERT INTO rep_status_changes (rep_id, status, reason, by_telegram_id, changed_at)
SELECT id, status, status_reason, CASE WHEN status = 'active' THEN approved_by_telegram_id END,
       status_changed_at
  FROM reps;
