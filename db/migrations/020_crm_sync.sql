-- The team's CRM as a source: how far each object type has been read, where a prospect came
-- from, and what a deal synced from HubSpot carries.
CREATE TABLE crm_sync_marks (
    object_type     text PRIMARY KEY CHECK (object_type IN ('contacts', 'deals', 'owners')),
    modified_through timestamptz NOT NULL,
    synced_at       timestamptz NOT NULL
);
-- 019 added `source` for prospects found in a calendar; every prospect now says where it came from.
UPDATE prospects SET source = 'chat' WHERE source IS NULL;
ALTER TABLE prospects ALTER COLUMN source SET DEFAULT 'chat',
    ALTER COLUMN source SET NOT NULL,
    ADD CONSTRAINT prospects_source CHECK (source IN ('chat', 'seed', 'hubspot', 'calendar'));
ALTER TABLE prospects ADD COLUMN IF NOT EXISTS phone text;
UPDATE prospects SET source = 'seed' WHERE id LIKE 'test_prospect_%';
CREATE INDEX IF NOT EXISTS prospects_hubspot_contact ON prospects (hubspot_contact_id);
CREATE INDEX IF NOT EXISTS prospects_email ON prospects (lower(email));
CREATE INDEX IF NOT EXISTS reps_hubspot_owner ON reps (hubspot_owner_id);
ALTER TABLE deals ADD COLUMN IF NOT EXISTS pipeline text;
ALTER TABLE deals ADD COLUMN IF NOT EXISTS close_date date;
ALTER TABLE deals ADD COLUMN IF NOT EXISTS won boolean;
ALTER TABLE deals ADD COLUMN IF NOT EXISTS hubspot_modified_at timestamptz;
