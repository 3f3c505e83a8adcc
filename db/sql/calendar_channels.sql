-- name: add
INSERT INTO calendar_channels (id, rep_id, resource_id, token_sha256, expires_at, created_at)
VALUES (:id, :rep_id, :resource_id, :token_sha256, :expires_at, :now);

-- name: get
SELECT * FROM calendar_channels WHERE id = :id;

-- name: of_rep
SELECT * FROM calendar_channels WHERE rep_id = :rep_id ORDER BY expires_at;

-- name: drop
DELETE FROM calendar_channels WHERE id = :id;

-- name: drop_of_rep
DELETE FROM calendar_channels WHERE rep_id = :rep_id;

-- name: live
SELECT EXISTS (
    SELECT 1 FROM calendar_channels WHERE rep_id = :rep_id AND expires_at > :now::timestamptz
);

-- name: queue_sync
-- A proved notification: the rep's calendar is synced now, by the same task the scheduler
-- queues, if the rep may still be synced. One task per message.
INSERT INTO inbox (chat_id, kind, dedupe_key, payload, not_before, created_at)
SELECT r.telegram_id, 'task',
       'calendar_sync:' || r.id || '/push/' || :channel_id::text || '/' || :message::text,
       jsonb_build_object('task', 'calendar_sync', 'data', jsonb_build_object('rep_id', r.id)),
       :now::timestamptz, :now::timestamptz
  FROM reps r
 WHERE r.id = :rep_id AND r.status = 'active' AND r.calendar_connected_at IS NOT NULL
   AND r.email_verified_at IS NOT NULL
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id;

-- name: queue_watches
-- Each connected calendar of an active rep with a proved email is watched: one with no channel
-- living past :renew_at gets a task to open one (a failed attempt is tried again the next hour:
-- the key is the hour).
INSERT INTO inbox (chat_id, kind, dedupe_key, payload, not_before, created_at)
SELECT r.telegram_id, 'task',
       'calendar_watch:' || r.id || ':' || floor(extract(epoch FROM :now::timestamptz) / 3600),
       jsonb_build_object('task', 'calendar_watch', 'data', jsonb_build_object('rep_id', r.id)),
       :now::timestamptz, :now::timestamptz
  FROM reps r
 WHERE r.status = 'active' AND r.calendar_connected_at IS NOT NULL
   AND r.email_verified_at IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM calendar_channels c
                    WHERE c.rep_id = r.id AND c.expires_at > :renew_at::timestamptz)
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id;
