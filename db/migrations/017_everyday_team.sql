-- A rep's own hour for the daily digest; without one, DIGEST_TIME applies.
ALTER TABLE reps ADD COLUMN digest_time time;
