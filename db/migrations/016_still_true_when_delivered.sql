-- A scheduler event that is no longer true when it comes to be served (its rep left, the
-- prospect moved on, the meeting moved) is kept as dropped, with why, instead of being sent.
ALTER TABLE inbox DROP CONSTRAINT inbox_status_check;
ALTER TABLE inbox ADD CONSTRAINT inbox_status_check
    CHECK (status IN ('pending', 'done', 'failed', 'dropped'));

-- A notice to someone in their quiet hours is held until they end; while held it does not
-- hold up the other messages to that chat (a retry's wait does: order is kept).
ALTER TABLE outbox ADD COLUMN held_until timestamptz;
