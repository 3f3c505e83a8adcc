-- name: state_for_update
-- The rep's sync state, held until the transaction ends (one sync of a rep at a time).
INSERT INTO calendar_syncs (rep_id, next_attempt_at, created_at, updated_at)
VALUES (:rep_id, :now, :now, :now)
ON CONFLICT (rep_id) DO UPDATE SET rep_id = excluded.rep_id
RETURNING *;

-- name: succeeded
UPDATE calendar_syncs
   SET sync_token = :sync_token, last_synced_at = :now, consecutive_failures = 0,
       last_error = NULL, next_attempt_at = :next_attempt_at, updated_at = :now
 WHERE rep_id = :rep_id
RETURNING *;

-- name: failed
UPDATE calendar_syncs
   SET consecutive_failures = consecutive_failures + 1, last_error = :error,
       next_attempt_at = :next_attempt_at, updated_at = :now
 WHERE rep_id = :rep_id
RETURNING *;

-- name: prospects_by_email
SELECT id, lower(email) AS email, assigned_rep_id FROM prospects
 WHERE lower(email) = ANY(:emails::text[]);

-- name: create_prospect
-- An outside attendee of the rep's meeting, now the rep's prospect, already in conversation.
INSERT INTO prospects (name, email, context, status, assigned_rep_id, assigned_at, source,
                       status_changed_at, created_at, updated_at)
VALUES (:name, :email, :context, 'in_conversation', :rep_id, :now, 'calendar', :now, :now, :now)
RETURNING id;

-- name: upsert_meeting
-- A sales meeting found in the calendar. One the bot booked (same event id) keeps its prospect,
-- source and steps; a time moved is followed; one cancelled here and back in the calendar is
-- scheduled again; one already held stays held.
INSERT INTO meetings (rep_id, prospect_id, title, starts_at, ends_at, calendar_event_id,
                      source, created_at, updated_at)
VALUES (:rep_id, :prospect_id, :title, :starts_at, :ends_at, :event_id, 'calendar', :now, :now)
ON CONFLICT (rep_id, calendar_event_id) DO UPDATE
   SET prospect_id = coalesce(meetings.prospect_id, excluded.prospect_id),
       title = CASE WHEN meetings.source = 'calendar' AND excluded.title <> ''
                    THEN excluded.title ELSE meetings.title END,
       starts_at = excluded.starts_at,
       ends_at = excluded.ends_at,
       status = CASE WHEN meetings.status = 'cancelled' THEN 'scheduled' ELSE meetings.status END,
       updated_at = excluded.updated_at
RETURNING id;

-- name: cancel_by_event
-- An event cancelled, declined, deleted or no longer a sales meeting: its meeting is cancelled.
-- With :found_only, only a meeting found in the calendar (one the bot booked without inviting
-- anyone is still a meeting).
UPDATE meetings SET status = 'cancelled', updated_at = :now
 WHERE rep_id = :rep_id AND calendar_event_id = :event_id AND status = 'scheduled'
   AND (source = 'calendar' OR NOT :found_only)
RETURNING id;

-- name: state
SELECT * FROM calendar_syncs WHERE rep_id = :rep_id;
