-- A rep's own hour for the daily digest; without one, DIGEST_TIME applies.
ALTER TABLE reps ADD COLUMN digest_time time;
-- A meeting that went with its prospect to another rep: its prep is queued anew for them.
ALTER TABLE meetings ADD COLUMN handed_over boolean NOT NULL DEFAULT false;
