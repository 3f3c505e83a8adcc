-- name: owed
-- The prospect's contact, and its rep's owner when HubSpot is owed it (HubSpot last named
-- another); the prospect locked until the write is known.
SELECT p.id, p.hubspot_contact_id AS contact_id, r.id AS rep_id, r.hubspot_owner_id AS owner_id,
       p.assigned_at
  FROM prospects p JOIN reps r ON r.id = p.assigned_rep_id
 WHERE p.id = :prospect_id AND p.hubspot_contact_id IS NOT NULL
   AND r.hubspot_owner_id IS NOT NULL AND r.hubspot_owner_id IS DISTINCT FROM p.hubspot_owner_id
   FOR UPDATE OF p;

-- name: written
UPDATE prospects SET hubspot_owner_id = :owner_id, updated_at = :now
 WHERE id = :prospect_id AND hubspot_contact_id = :contact_id;
