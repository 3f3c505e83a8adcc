-- How people are looked up. A name matches by whole words, or else by word beginnings (in any
-- order; case, "ё" and Unicode forms aside), never by a fragment inside a word, and nothing in a
-- reference is a wildcard. An email is a mailbox: case and a "+tag" make no other registration.

CREATE FUNCTION name_key(name text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT translate(lower(normalize(name, NFC)), 'ё', 'е') $$;

-- Both the hyphenated whole ("анна-мария") and its parts ("анна", "мария") are words.
CREATE FUNCTION name_words(name text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT array_remove(regexp_split_to_array(name_key(name), '\s+')
                              || regexp_split_to_array(name_key(name), '[\s\-‐–—]+'), '') $$;

-- 2 when every word said is a word of the name, 1 when each begins one, 0 otherwise.
CREATE FUNCTION name_match(name text, ref text) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$
SELECT CASE
         WHEN cardinality(said) = 0 THEN 0
         WHEN said <@ name_words(name) THEN 2
         WHEN NOT EXISTS (SELECT 1 FROM unnest(said) w
                           WHERE NOT EXISTS (SELECT 1 FROM unnest(name_words(name)) n
                                              WHERE starts_with(n, w))) THEN 1
         ELSE 0
       END
  FROM (SELECT array_remove(regexp_split_to_array(name_key(btrim(ref)), '\s+'), '') AS said) q
$$;

CREATE FUNCTION mailbox(email text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT regexp_replace(lower(btrim(email)), '\+[^@]*@', '@') $$;

DROP INDEX reps_email;
CREATE INDEX reps_mailbox ON reps (mailbox(email));
-- Fails, and so stops the migration, if two live registrations already share a mailbox: an
-- admin must decide which one stays.
DROP INDEX reps_live_email;
CREATE UNIQUE INDEX reps_live_mailbox ON reps (mailbox(email))
    WHERE status IN ('pending', 'active', 'suspended');
