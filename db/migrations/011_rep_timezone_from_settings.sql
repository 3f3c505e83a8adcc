-- A rep's timezone is always given by the code, from the DEFAULT_TIMEZONE setting: the schema
-- keeps no second default of its own.
ALTER TABLE reps ALTER COLUMN timezone DROP DEFAULT;
