-- name: create
INSERT INTO meetings (rep_id, prospect_id, title, starts_at, ends_at, zoom_meeting_id,
                      zoom_join_url, calendar_event_id, hubspot_meeting_id, sandbox,
                      idempotency_key, owed, created_at, updated_at)
VALUES (:rep_id, :prospect_id, :title, :starts_at, :ends_at, :zoom_meeting_id,
        :zoom_join_url, :calendar_event_id, :hubspot_meeting_id, :sandbox,
        :idempotency_key, :owed, :now, :now)
RETURNING *;

-- name: by_key
SELECT * FROM meetings WHERE idempotency_key = :idempotency_key;

-- name: settle_owed
UPDATE meetings
   SET hubspot_meeting_id = coalesce(:hubspot_meeting_id, hubspot_meeting_id),
       owed = array_remove(owed, :step),
       updated_at = :now
 WHERE id = :id
RETURNING *;

-- name: scheduled_between
-- The rep's own meetings that overlap [start, end): busy time even when the calendar is not
-- told (the sandbox).
SELECT * FROM meetings
 WHERE rep_id = :rep_id AND status = 'scheduled'
   AND starts_at < :end_at AND ends_at > :start_at
 ORDER BY starts_at;

-- name: of_prospect
SELECT * FROM meetings WHERE prospect_id = :prospect_id ORDER BY starts_at;

-- name: get_for_update
SELECT * FROM meetings WHERE id = :id FOR UPDATE;

-- name: record_debrief
-- The rep's account of their latest meeting with the prospect that is over and not yet told.
UPDATE meetings SET status = 'held', debrief = :debrief, outcome = :outcome, updated_at = :now
 WHERE id = (SELECT id FROM meetings
              WHERE prospect_id = :prospect_id AND rep_id = :rep_id AND status = 'scheduled'
                AND ends_at <= :now AND debrief IS NULL
              ORDER BY ends_at DESC LIMIT 1)
RETURNING id;

-- name: upcoming
-- Scheduled meetings not yet over: one by id, those with some prospects, or all.
SELECT * FROM meetings
 WHERE status = 'scheduled' AND ends_at > :now
   AND (:id::uuid IS NULL OR id = :id::uuid)
   AND (:prospect_ids::text[] IS NULL OR prospect_id = ANY (:prospect_ids::text[]))
 ORDER BY starts_at;

-- name: cancel
UPDATE meetings SET status = 'cancelled', updated_at = :now
 WHERE id = :id AND status = 'scheduled'
RETURNING *;

-- name: move
UPDATE meetings SET starts_at = :starts_at, ends_at = :ends_at, updated_at = :now
 WHERE id = :id AND status = 'scheduled'
RETURNING *;

-- name: has_upcoming
SELECT EXISTS (SELECT 1 FROM meetings
                WHERE rep_id = :rep_id AND status = 'scheduled' AND ends_at > :now);

-- name: listed
-- The rep's meetings overlapping [start, end), scheduled or held, with whom each is.
SELECT m.*, p.name AS prospect_name FROM meetings m
  LEFT JOIN prospects p ON p.id = m.prospect_id
 WHERE m.rep_id = :rep_id AND m.status IN ('scheduled', 'held')
   AND m.starts_at < :end_at AND m.ends_at > :start_at
 ORDER BY m.starts_at;

-- name: has_any
SELECT EXISTS (SELECT 1 FROM meetings WHERE rep_id = :rep_id);
