-- The languages are the catalogue's files (tools/texts/*.toml), not a list in the schema: a
-- third language is one new file, and a row may hold its code.
ALTER TABLE reps DROP CONSTRAINT reps_language_check;
ALTER TABLE reps ADD CONSTRAINT reps_language_check CHECK (language ~ '^[a-z]{2,3}$');
ALTER TABLE prospects DROP CONSTRAINT prospects_language_check;
ALTER TABLE prospects ADD CONSTRAINT prospects_language_check CHECK (language ~ '^[a-z]{2,3}$');
ALTER TABLE chats DROP CONSTRAINT chats_language_check;
ALTER TABLE chats ADD CONSTRAINT chats_language_check CHECK (language ~ '^[a-z]{2,3}$');
