-- What the Telegram channel needs to deliver exactly once: a callback answer carries the query it
-- answers, a long reply is sent in parts and remembers how many left, and every new inbox or
-- outbox row wakes the workers of every process at commit.
ALTER TABLE outbox ADD COLUMN payload jsonb;
ALTER TABLE outbox ADD COLUMN parts_sent integer NOT NULL DEFAULT 0;

CREATE FUNCTION salesbot_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('salesbot_' || TG_TABLE_NAME, '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER inbox_notify AFTER INSERT ON inbox
    FOR EACH STATEMENT EXECUTE FUNCTION salesbot_notify();
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION salesbot_notify();
