-- What the daily digests read: a prospect remembers its latest activity (kept by a trigger,
-- whichever statement logs one), and a rep the local day their digest was last considered, so
-- a digest looks at one row per prospect, and at each rep once a day even when nothing is stale.
ALTER TABLE prospects ADD COLUMN last_activity_at timestamptz;
UPDATE prospects p SET last_activity_at = a.at
  FROM (SELECT prospect_id, max(created_at) AS at FROM activities GROUP BY prospect_id) a
 WHERE a.prospect_id = p.id;

CREATE FUNCTION salesbot_mark_activity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE prospects
       SET last_activity_at = greatest(last_activity_at, NEW.created_at)
     WHERE id = NEW.prospect_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER activities_mark_prospect AFTER INSERT ON activities
    FOR EACH ROW EXECUTE FUNCTION salesbot_mark_activity();

ALTER TABLE reps ADD COLUMN digest_on date;
