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

-- name: upsert_meetings
-- Sales meetings found in the calendar (each event once). One the bot booked (same event id)
-- keeps its prospect, source and steps; a time moved is followed; one cancelled here and back
-- in the calendar is scheduled again; one already held stays held. A booked one moved in the
-- calendar itself, or restored there after it was cancelled, owes its Zoom meeting and HubSpot
-- record the change ('follow').
INSERT INTO meetings (rep_id, prospect_id, title, starts_at, ends_at, calendar_event_id,
                      source, created_at, updated_at)
SELECT :rep_id, m.prospect_id, m.title, m.starts_at, m.ends_at, m.event_id, 'calendar', :now, :now
  FROM unnest(:event_ids::text[], :prospect_ids::text[], :titles::text[],
              :starts::timestamptz[], :ends::timestamptz[])
       AS m(event_id, prospect_id, title, starts_at, ends_at)
ON CONFLICT (rep_id, calendar_event_id) DO UPDATE
   SET prospect_id = coalesce(meetings.prospect_id, excluded.prospect_id),
       title = CASE WHEN meetings.source = 'calendar' AND excluded.title <> ''
                    THEN excluded.title ELSE meetings.title END,
       starts_at = excluded.starts_at,
       ends_at = excluded.ends_at,
       status = CASE WHEN meetings.status = 'cancelled' THEN 'scheduled' ELSE meetings.status END,
       owed = CASE WHEN meetings.source <> 'calendar'
                        AND (meetings.zoom_meeting_id IS NOT NULL
                             OR meetings.hubspot_meeting_id IS NOT NULL)
                        AND (meetings.status = 'cancelled'
                             OR meetings.status = 'scheduled'
                                AND (meetings.starts_at, meetings.ends_at)
                                    IS DISTINCT FROM (excluded.starts_at, excluded.ends_at))
                        AND NOT 'follow' = ANY (meetings.owed)
                   THEN array_append(meetings.owed, 'follow') ELSE meetings.owed END,
       updated_at = excluded.updated_at
RETURNING id, calendar_event_id, xmax = 0 AS made;

-- name: cancel_by_events
-- Events cancelled or declined (:gone), or deleted or no longer sales meetings (:found): their
-- meetings are cancelled; of :found only those found in the calendar (one the bot booked
-- without inviting anyone is still a meeting). A booked one owes the cancelling of its Zoom
-- meeting and HubSpot record ('follow').
UPDATE meetings
   SET status = 'cancelled', updated_at = :now,
       owed = CASE WHEN (zoom_meeting_id IS NOT NULL OR hubspot_meeting_id IS NOT NULL)
                        AND NOT 'follow' = ANY (owed)
                   THEN array_append(owed, 'follow') ELSE owed END
 WHERE rep_id = :rep_id AND status = 'scheduled'
   AND (calendar_event_id = ANY(:gone::text[])
        OR (calendar_event_id = ANY(:found::text[]) AND source = 'calendar'))
RETURNING id;

-- name: queue_follows
-- Of the meetings a sync just changed, the booked ones that owe their Zoom meeting and HubSpot
-- record the change: followed at once, by a task queued behind the sync in the rep's chat
-- (the scheduler tries again what fails).
INSERT INTO inbox (chat_id, kind, payload, not_before, created_at)
SELECT r.telegram_id, 'task',
       jsonb_build_object('task', 'settle_meeting', 'data', jsonb_build_object('meeting_id', m.id)),
       :now, :now
  FROM meetings m JOIN reps r ON r.id = m.rep_id
 WHERE m.rep_id = :rep_id AND m.id = ANY(:ids::uuid[]) AND 'follow' = ANY (m.owed)
RETURNING id;

-- name: state
SELECT * FROM calendar_syncs WHERE rep_id = :rep_id;
