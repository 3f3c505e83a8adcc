-- The rep's Google Calendar as a source of meetings. Per rep: Google's sync token (where the
-- last sync left off), when it last succeeded, and how it is failing (retried later, with
-- backoff).
CREATE TABLE calendar_syncs (
    rep_id               uuid PRIMARY KEY REFERENCES reps (id),
    sync_token           text,
    last_synced_at       timestamptz,
    consecutive_failures integer NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
    last_error           text,
    next_attempt_at      timestamptz NOT NULL DEFAULT now(),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX calendar_syncs_due ON calendar_syncs (next_attempt_at);

-- A meeting is booked by the bot or found in the rep's calendar, and known by its Google event
-- id either way (one meeting per event). Descriptions of events the bot did not create are
-- never stored: a meeting has no column for them.
ALTER TABLE meetings ADD COLUMN source text NOT NULL DEFAULT 'booked'
    CHECK (source IN ('booked', 'calendar'));
CREATE UNIQUE INDEX meetings_calendar_event ON meetings (rep_id, calendar_event_id);

-- Where a prospect came from ('calendar': an outside attendee of a rep's meeting).
ALTER TABLE prospects ADD COLUMN source text;
