-- name: create
INSERT INTO prospects (name, telegram_id, email, context, notes, language,
                       status_changed_at, created_at, updated_at)
VALUES (:name, :telegram_id, :email, :context, :notes, :language, :now, :now, :now)
RETURNING *;

-- name: get
SELECT * FROM prospects WHERE id = :id;

-- name: list
SELECT * FROM prospects
 WHERE (:status::text IS NULL OR status = :status)
   AND (:rep_id::uuid IS NULL OR assigned_rep_id = :rep_id)
 ORDER BY created_at, id;

-- name: unassigned_unreached
SELECT * FROM prospects
 WHERE status = 'unreached' AND assigned_rep_id IS NULL
 ORDER BY created_at, id
 LIMIT :limit;

-- name: assign
WITH rep AS (
    SELECT id FROM reps WHERE id = :rep_id AND status = 'active'
), updated AS (
    UPDATE prospects p
       SET assigned_rep_id = rep.id, assigned_at = :now, updated_at = :now
      FROM rep
     WHERE p.id = :id AND p.status IN ('unreached', 'contacted', 'in_conversation')
    RETURNING p.*
), logged AS (
    INSERT INTO activities (prospect_id, rep_id, kind, created_at)
    SELECT id, assigned_rep_id, 'assigned', :now FROM updated
)
SELECT * FROM updated;

-- name: set_status
WITH old AS (
    SELECT id, status FROM prospects WHERE id = :id AND status = ANY(:allowed::text[]) FOR UPDATE
), updated AS (
    UPDATE prospects p
       SET status = :status, status_changed_at = :now, updated_at = :now
      FROM old
     WHERE p.id = old.id
    RETURNING p.*, old.status AS old_status
), logged AS (
    INSERT INTO activities (prospect_id, rep_id, kind, body, data, created_at)
    SELECT id, :rep_id, 'status', :note,
           jsonb_build_object('from', old_status, 'to', status), :now
      FROM updated
)
SELECT * FROM updated;

-- name: record_contact
-- The first contact moves an unreached prospect to contacted.
WITH updated AS (
    UPDATE prospects
       SET last_contact_at = :now,
           status = CASE WHEN status = 'unreached' THEN 'contacted' ELSE status END,
           status_changed_at = CASE WHEN status = 'unreached' THEN :now ELSE status_changed_at END,
           updated_at = :now
     WHERE id = :id
    RETURNING *
), logged AS (
    INSERT INTO activities (prospect_id, rep_id, kind, body, created_at)
    SELECT id, :rep_id, 'contact', :note, :now FROM updated
)
SELECT * FROM updated;

-- name: open_counts
-- Open prospects per active rep, zeros included, the least loaded first.
SELECT r.id AS rep_id, count(p.id) AS open_prospects
  FROM reps r
  LEFT JOIN prospects p
    ON p.assigned_rep_id = r.id AND p.status IN ('unreached', 'contacted', 'in_conversation')
 WHERE r.status = 'active'
 GROUP BY r.id
 ORDER BY count(p.id), min(r.approved_at), r.id;

-- name: least_loaded_rep
SELECT r.*
  FROM reps r
  LEFT JOIN prospects p
    ON p.assigned_rep_id = r.id AND p.status IN ('unreached', 'contacted', 'in_conversation')
 WHERE r.status = 'active'
 GROUP BY r.id
 ORDER BY count(p.id), r.approved_at NULLS LAST, r.id
 LIMIT 1;

-- name: find
-- Exact matches on id, @telegram or email first; then names with every word said as a word,
-- or else as a word's beginning.
WITH q AS (SELECT lower(btrim(:ref)) AS ref, lower(ltrim(btrim(:ref), '@')) AS handle)
SELECT p.*,
       (lower(p.id) = q.ref OR lower(ltrim(p.telegram_id, '@')) = q.handle
        OR lower(p.email) = q.ref) AS exact,
       name_match(p.name, q.ref) AS named
  FROM prospects p, q
 WHERE (lower(p.id) = q.ref OR lower(ltrim(p.telegram_id, '@')) = q.handle
        OR lower(p.email) = q.ref OR name_match(p.name, q.ref) > 0)
   AND (:rep_id::uuid IS NULL OR p.assigned_rep_id = :rep_id)
 ORDER BY exact DESC, named DESC, name_key(p.name) = name_key(q.ref) DESC, p.created_at
 LIMIT 20;

-- name: set_hubspot_contact
UPDATE prospects SET hubspot_contact_id = :contact_id, updated_at = :now
 WHERE id = :id
RETURNING *;

-- name: log_activity
INSERT INTO activities (prospect_id, rep_id, kind, body, data, created_at)
VALUES (:prospect_id, :rep_id, :kind, :body, :data, :now);

-- name: release_of_rep
-- A rep who leaves gives their open prospects back: unassigned, their status and history kept.
UPDATE prospects
   SET assigned_rep_id = NULL, assigned_at = NULL, updated_at = :now
 WHERE assigned_rep_id = :rep_id AND status = ANY(:open::text[])
RETURNING *;

-- name: known_contacts
SELECT lower(email) AS email, lower(telegram_id) AS telegram
  FROM prospects
 WHERE lower(email) = ANY(:emails::text[]) OR lower(telegram_id) = ANY(:handles::text[]);
