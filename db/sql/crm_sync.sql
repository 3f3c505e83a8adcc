-- name: hold
SELECT pg_advisory_xact_lock(hashtext('crm_sync'));

-- name: index_plans
-- A first sync fills empty tables: plans cached while they were small would scan them whole for
-- every row written, so lookups here go by index for the rest of the transaction.
SET LOCAL enable_seqscan = off;

-- name: mark
SELECT modified_through FROM crm_sync_marks WHERE object_type = :object_type;

-- name: advance_mark
-- The watermark only moves forward.
INSERT INTO crm_sync_marks (object_type, modified_through, synced_at)
VALUES (:object_type, :through, :now)
ON CONFLICT (object_type) DO UPDATE
   SET modified_through = greatest(crm_sync_marks.modified_through, EXCLUDED.modified_through),
       synced_at = EXCLUDED.synced_at;

-- name: match_owner
-- The live rep with the owner's email gets the owner id; nobody else keeps it.
WITH rep AS (
    SELECT id FROM reps
     WHERE lower(email) = lower(:email) AND status IN ('pending', 'active', 'suspended')
     ORDER BY registered_at DESC
     LIMIT 1
), cleared AS (
    UPDATE reps SET hubspot_owner_id = NULL, updated_at = :now
     WHERE hubspot_owner_id = :owner_id AND id NOT IN (SELECT id FROM rep)
), matched AS (
    UPDATE reps r SET hubspot_owner_id = :owner_id, updated_at = :now
      FROM rep WHERE r.id = rep.id AND r.hubspot_owner_id IS DISTINCT FROM :owner_id
    RETURNING r.id
)
SELECT rep.id, EXISTS (SELECT 1 FROM matched) AS changed FROM rep;

-- name: upsert_contact
-- The prospect linked to the contact, else one linked to a contact merged into it, else the
-- oldest with its email, is updated with what the
-- CRM holds (statuses and notes stay ours); else a new prospect is made. A contact owned by an
-- active rep's owner is that rep's; an unowned one keeps its rep, or waits for assignment. While
-- HubSpot still names the owner it last did and our rep has another, our assignment is the newer
-- one (its write back is owed): the prospect keeps its rep.
WITH owner AS (
    SELECT id FROM reps
     WHERE :owner_id::text IS NOT NULL AND hubspot_owner_id = :owner_id AND status = 'active'
     LIMIT 1
), found AS (
    SELECT id FROM prospects
     WHERE hubspot_contact_id = :contact_id
        OR hubspot_contact_id = ANY(:merged_ids::text[])
        OR (:email::text IS NOT NULL AND lower(email) = lower(:email))
     ORDER BY hubspot_contact_id IS NOT DISTINCT FROM :contact_id DESC,
              hubspot_contact_id = ANY(:merged_ids::text[]) DESC NULLS LAST, created_at, id
     LIMIT 1
     FOR UPDATE
), ours AS (
    SELECT 1 FROM prospects p JOIN found USING (id) JOIN reps r ON r.id = p.assigned_rep_id
     WHERE p.hubspot_owner_id IS NOT DISTINCT FROM :owner_id
       AND r.hubspot_owner_id IS NOT NULL AND r.hubspot_owner_id IS DISTINCT FROM :owner_id
), taken AS (
    SELECT id FROM owner WHERE NOT EXISTS (SELECT 1 FROM ours)
), updated AS (
    UPDATE prospects p
       SET name = :name,
           email = coalesce(:email, p.email),
           phone = coalesce(:phone, p.phone),
           telegram_id = coalesce(:telegram, p.telegram_id),
           hubspot_contact_id = :contact_id,
           hubspot_owner_id = :owner_id,
           assigned_rep_id = CASE
               WHEN p.status IN ('unreached', 'contacted', 'in_conversation')
               THEN coalesce((SELECT id FROM taken), p.assigned_rep_id)
               ELSE p.assigned_rep_id END,
           assigned_at = CASE
               WHEN p.status IN ('unreached', 'contacted', 'in_conversation')
                    AND (SELECT id FROM taken) IS DISTINCT FROM p.assigned_rep_id
                    AND (SELECT id FROM taken) IS NOT NULL
               THEN :now ELSE p.assigned_at END,
           updated_at = :now
      FROM found
     WHERE p.id = found.id
       AND (p.name, p.email, p.phone, p.telegram_id, p.hubspot_contact_id, p.hubspot_owner_id,
            p.assigned_rep_id)
           IS DISTINCT FROM (
               :name, coalesce(:email, p.email), coalesce(:phone, p.phone),
               coalesce(:telegram, p.telegram_id), :contact_id, :owner_id::text,
               CASE WHEN p.status IN ('unreached', 'contacted', 'in_conversation')
                    THEN coalesce((SELECT id FROM taken), p.assigned_rep_id)
                    ELSE p.assigned_rep_id END)
    RETURNING p.id, 'updated' AS outcome
), created AS (
    INSERT INTO prospects (name, email, phone, telegram_id, hubspot_contact_id, hubspot_owner_id,
                           source, assigned_rep_id, assigned_at, status_changed_at, created_at, updated_at)
    SELECT :name, :email, :phone, :telegram, :contact_id, :owner_id, 'hubspot',
           (SELECT id FROM owner), CASE WHEN EXISTS (SELECT 1 FROM owner) THEN :now END,
           :now, :now, :now
     WHERE NOT EXISTS (SELECT 1 FROM found)
    RETURNING id, 'created' AS outcome
)
SELECT id, outcome FROM updated
UNION ALL
SELECT id, outcome FROM created;

-- name: unlink_archived
-- Prospects of contacts archived in HubSpot keep what is ours but lose the link; one nobody has
-- taken yet is archived, so that it is not handed out.
WITH gone AS (
    UPDATE prospects p
       SET hubspot_contact_id = NULL,
           status = CASE WHEN p.status = 'unreached' AND p.assigned_rep_id IS NULL
                         THEN 'archived' ELSE p.status END,
           status_changed_at = CASE WHEN p.status = 'unreached' AND p.assigned_rep_id IS NULL
                                    THEN :now ELSE p.status_changed_at END,
           updated_at = :now
     WHERE p.hubspot_contact_id = ANY(:ids::text[])
    RETURNING p.id
)
SELECT count(*) FROM gone;

-- name: relink_merged_deal
-- A deal of ours linked to one merged into this deal is this deal now, unless one already is.
WITH one AS (
    SELECT id FROM deals
     WHERE hubspot_deal_id = ANY(:merged_ids::text[])
       AND NOT EXISTS (SELECT 1 FROM deals WHERE hubspot_deal_id = :deal_id)
     ORDER BY created_at, id
     LIMIT 1
     FOR UPDATE
)
UPDATE deals d SET hubspot_deal_id = :deal_id, updated_at = :now
  FROM one WHERE d.id = one.id
RETURNING d.id;

-- name: upsert_deal
-- The deal of the first associated contact we have as a prospect; its rep is the deal owner's
-- rep, else the prospect's. A stage change restarts the days in stage (from when HubSpot says
-- it was entered, when it does); a deal closed in HubSpot closes ours. Unchanged: no row.
WITH prospect AS (
    SELECT id, assigned_rep_id FROM prospects
     WHERE hubspot_contact_id = ANY(:contact_ids::text[])
     ORDER BY array_position(:contact_ids::text[], hubspot_contact_id)
     LIMIT 1
), owner AS (
    SELECT id FROM reps
     WHERE :owner_id::text IS NOT NULL AND hubspot_owner_id = :owner_id AND status = 'active'
     LIMIT 1
), old AS (
    SELECT stage, closed_at FROM deals WHERE hubspot_deal_id = :deal_id
), up AS (
    INSERT INTO deals (prospect_id, rep_id, name, stage, amount, pipeline, close_date, won,
                       hubspot_deal_id, hubspot_modified_at, stage_changed_at, closed_at,
                       created_at, updated_at)
    SELECT prospect.id, coalesce((SELECT id FROM owner), prospect.assigned_rep_id), :name,
           :stage, :amount::numeric, :pipeline, :close_date::date, :won::boolean, :deal_id,
           :modified::timestamptz,
           coalesce(:entered_stage::timestamptz, :now::timestamptz), CASE WHEN :won::boolean IS NOT NULL THEN :now::timestamptz END,
           :now::timestamptz, :now::timestamptz
      FROM prospect
    ON CONFLICT (hubspot_deal_id) DO UPDATE
       SET prospect_id = EXCLUDED.prospect_id, rep_id = EXCLUDED.rep_id, name = EXCLUDED.name,
           stage = EXCLUDED.stage, amount = EXCLUDED.amount, pipeline = EXCLUDED.pipeline,
           close_date = EXCLUDED.close_date, won = EXCLUDED.won,
           hubspot_modified_at = EXCLUDED.hubspot_modified_at,
           stage_changed_at = CASE
               WHEN deals.stage IS DISTINCT FROM EXCLUDED.stage THEN EXCLUDED.stage_changed_at
               ELSE coalesce(:entered_stage::timestamptz, deals.stage_changed_at) END,
           closed_at = CASE WHEN EXCLUDED.won IS NULL THEN NULL
                            ELSE coalesce(deals.closed_at, EXCLUDED.closed_at) END,
           updated_at = EXCLUDED.updated_at
     WHERE (deals.prospect_id, deals.rep_id, deals.name, deals.stage, deals.amount,
            deals.pipeline, deals.close_date, deals.won)
           IS DISTINCT FROM
           (EXCLUDED.prospect_id, EXCLUDED.rep_id, EXCLUDED.name, EXCLUDED.stage,
            EXCLUDED.amount, EXCLUDED.pipeline, EXCLUDED.close_date, EXCLUDED.won)
    RETURNING id, stage, closed_at
)
SELECT EXISTS (SELECT 1 FROM prospect) AS known,
       (SELECT id FROM up) AS id,
       NOT EXISTS (SELECT 1 FROM old) AS created,
       (SELECT stage FROM old) IS DISTINCT FROM (SELECT stage FROM up) AS moved,
       (SELECT stage FROM old) AS previous,
       EXISTS (SELECT 1 FROM old WHERE closed_at IS NULL)
           AND (SELECT closed_at FROM up) IS NOT NULL AS closed;

-- name: close_archived_deals
-- Deals archived in HubSpot are closed here, neither won nor lost, and lose the link, so that
-- they leave the digests and are counted once.
WITH gone AS (
    UPDATE deals
       SET hubspot_deal_id = NULL, closed_at = coalesce(closed_at, :now), updated_at = :now
     WHERE hubspot_deal_id = ANY(:ids::text[])
    RETURNING id
)
SELECT count(*) FROM gone;
