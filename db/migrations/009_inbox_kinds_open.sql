-- The kinds of inbox item are the interpreters the app registers, not a list in the schema: a
-- new kind is a module of its own, and an item no interpreter reads is set aside by the
-- workers with why.
ALTER TABLE inbox DROP CONSTRAINT inbox_kind_check;
ALTER TABLE inbox ADD CONSTRAINT inbox_kind_check CHECK (kind ~ '^[a-z][a-z_]*$');
