-- The owner HubSpot last said (or was told) a prospect's contact has: when the assigned rep's
-- owner differs, writing it back to HubSpot is owed; when HubSpot still says this one, a sync
-- does not undo our newer assignment.
ALTER TABLE prospects ADD COLUMN hubspot_owner_id text;
CREATE INDEX prospects_owner_owed ON prospects (assigned_at)
    WHERE hubspot_contact_id IS NOT NULL AND assigned_rep_id IS NOT NULL;
