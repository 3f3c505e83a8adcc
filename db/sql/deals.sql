-- name: create
INSERT INTO deals (prospect_id, rep_id, name, stage, amount, currency, next_step, next_step_due,
                   hubspot_deal_id, stage_changed_at, created_at, updated_at)
VALUES (:prospect_id, :rep_id, :name, :stage, :amount, :currency, :next_step, :next_step_due,
        :hubspot_deal_id, :now, :now, :now)
RETURNING *;

-- name: open_of_prospect
-- The prospect's open deal; the latest when there are several.
SELECT * FROM deals
 WHERE prospect_id = :prospect_id AND closed_at IS NULL
 ORDER BY created_at DESC, id
 LIMIT 1;

-- name: activity
-- Touches by kind and the latest one; meetings held (marked held, or scheduled and over) and
-- still to come, and the end of the latest one held.
WITH touches AS (
    SELECT kind, count(*) AS n, max(created_at) AS last_at
      FROM activities
     WHERE prospect_id = :prospect_id AND created_at <= :now
       AND kind IN ('contact', 'note', 'meeting', 'hubspot_note')
     GROUP BY kind
), mine AS (
    SELECT m.*, (m.status = 'held' OR (m.status = 'scheduled' AND m.ends_at <= :now)) AS is_held
      FROM meetings m
     WHERE m.prospect_id = :prospect_id
)
SELECT (SELECT coalesce(jsonb_object_agg(kind, n), '{}') FROM touches) AS touches,
       (SELECT max(last_at) FROM touches) AS last_touch_at,
       count(*) FILTER (WHERE is_held) AS meetings_held,
       count(*) FILTER (WHERE status = 'scheduled' AND starts_at > :now) AS meetings_upcoming,
       max(least(ends_at, :now)) FILTER (WHERE is_held) AS last_meeting_at
  FROM mine;

-- name: recent_activity
-- What was recorded with the prospect lately, the latest first: what a prep plan cites.
SELECT kind, body, created_at
  FROM activities
 WHERE prospect_id = :prospect_id AND created_at <= :now AND kind <> 'assigned'
 ORDER BY created_at DESC, id DESC
 LIMIT :limit;
