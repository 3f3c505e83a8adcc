-- The admins' view of the team: prospects across reps, stale deals, each rep's numbers.
-- "Stale" means what the daily digests mean: an open prospect past unreached with no activity
-- (or, without any, no status change) for :stale.

-- name: prospects
-- One page of prospects by status, rep or lack of one, with how many match in all.
SELECT p.*, r.name AS rep_name, count(*) OVER () AS total
  FROM prospects p
  LEFT JOIN reps r ON r.id = p.assigned_rep_id
 WHERE (:status::text IS NULL OR p.status = :status::text)
   AND (:rep_id::uuid IS NULL OR p.assigned_rep_id = :rep_id::uuid)
   AND (NOT :unassigned::boolean OR p.assigned_rep_id IS NULL)
 ORDER BY p.status_changed_at DESC, p.name
 LIMIT :limit OFFSET :offset;

-- name: stale
SELECT p.id, p.name, p.status, r.name AS rep_name,
       floor(extract(epoch FROM :now::timestamptz
             - coalesce(p.last_activity_at, p.status_changed_at)) / 86400)::int AS days_silent,
       count(*) OVER () AS total
  FROM prospects p
  JOIN reps r ON r.id = p.assigned_rep_id
 WHERE p.status IN ('contacted', 'in_conversation')
   AND coalesce(p.last_activity_at, p.status_changed_at) <= :now::timestamptz - :stale::interval
   AND (:rep_id::uuid IS NULL OR p.assigned_rep_id = :rep_id::uuid)
 ORDER BY days_silent DESC, p.name
 LIMIT :limit;

-- name: per_rep
-- Each active rep (or the one asked for, whatever their status) over the period since :since.
SELECT r.id, r.name, r.status,
       count(p.id) FILTER (WHERE p.status IN ('unreached', 'contacted', 'in_conversation')) AS open,
       count(p.id) FILTER (
           WHERE p.status IN ('contacted', 'in_conversation')
             AND coalesce(p.last_activity_at, p.status_changed_at)
                 <= :now::timestamptz - :stale::interval) AS stale,
       count(p.id) FILTER (WHERE p.status = 'unreached') AS unreached,
       count(p.id) FILTER (WHERE p.status = 'converted'
                             AND p.status_changed_at >= :since::timestamptz) AS converted,
       (SELECT count(*) FROM activities a
         WHERE a.rep_id = r.id AND a.kind = 'contact' AND a.created_at >= :since::timestamptz)
           AS contacts,
       (SELECT count(*) FROM meetings m
         WHERE m.rep_id = r.id AND m.created_at >= :since::timestamptz) AS meetings_booked,
       (SELECT count(*) FROM meetings m
         WHERE m.rep_id = r.id AND m.starts_at >= :since::timestamptz
           AND (m.status = 'held' OR (m.status = 'scheduled' AND m.ends_at <= :now::timestamptz)))
           AS meetings_held,
       (SELECT max(a.created_at) FROM activities a WHERE a.rep_id = r.id) AS last_activity
  FROM reps r
  LEFT JOIN prospects p ON p.assigned_rep_id = r.id
 WHERE (:rep_id::uuid IS NULL AND r.status = 'active') OR r.id = :rep_id::uuid
 GROUP BY r.id
 ORDER BY r.name;

-- name: pending_count
SELECT count(*) FROM reps WHERE status = 'pending';

-- name: upcoming_meetings
SELECT m.id, m.title, m.starts_at, p.name AS prospect_name
  FROM meetings m LEFT JOIN prospects p ON p.id = m.prospect_id
 WHERE m.rep_id = :rep_id AND m.status = 'scheduled' AND m.starts_at > :now
 ORDER BY m.starts_at
 LIMIT 10;

-- name: hand_over_meetings
-- A prospect's meetings still to come go with them to their new rep: the prep and the
-- debrief follow.
UPDATE meetings SET rep_id = :to_rep, handed_over = true, updated_at = :now
 WHERE prospect_id = :prospect_id AND rep_id = :from_rep AND status = 'scheduled'
   AND starts_at > :now
RETURNING id, title, starts_at;

-- name: meetings_to_hand_over
SELECT id, title, starts_at FROM meetings
 WHERE prospect_id = :prospect_id AND rep_id = :from_rep AND status = 'scheduled'
   AND starts_at > :now
 ORDER BY starts_at;
