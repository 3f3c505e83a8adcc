-- name: add_updates
-- Updates from Telegram, in one statement; one seen before (same update_id) is dropped.
INSERT INTO inbox (chat_id, kind, update_id, payload, created_at, not_before)
SELECT chat_id, kind, update_id, payload, :now, :now
  FROM unnest(:chat_ids::bigint[], :kinds::text[], :update_ids::bigint[], :payloads::jsonb[])
       AS u (chat_id, kind, update_id, payload)
ON CONFLICT (update_id) DO NOTHING
RETURNING id, update_id;

-- name: claim
-- The oldest pending item of each chat no one holds, oldest first: chats are served at once,
-- each in order. The lease conditions are repeated in the UPDATE so that a row another process
-- claimed since this statement's snapshot is re-checked and skipped.
-- An item tried before (held now, or waiting for its retry) holds up its chat until it is done:
-- the chat's later items wait, in order. An item never tried may step aside: one not yet due
-- (an event held for the end of quiet hours), or an event while the chat waits for the user to
-- confirm something (it would cancel the confirmation, so it waits for the answer or the
-- confirmation's expiry).
WITH heads AS (
    SELECT DISTINCT ON (chat_id) id, locked_until, not_before
      FROM inbox i
     WHERE status = 'pending'
       AND (attempts > 0 OR not_before <= :now AND NOT (kind = 'event' AND EXISTS (
           SELECT 1 FROM chats c
            WHERE c.chat_id = i.chat_id AND c.pending_approval IS NOT NULL
              AND c.pending_expires_at > :now)))
     ORDER BY chat_id, id
), free AS (
    SELECT id FROM heads
     WHERE (locked_until IS NULL OR locked_until < :now) AND not_before <= :now
     ORDER BY id
     LIMIT :limit
)
UPDATE inbox
   SET locked_by = :worker, locked_until = :until, attempts = attempts + 1
 WHERE id IN (SELECT id FROM inbox WHERE id IN (SELECT id FROM free) FOR UPDATE SKIP LOCKED)
   AND status = 'pending' AND (locked_until IS NULL OR locked_until < :now)
RETURNING id, chat_id, kind, payload, attempts;

-- name: extend
-- Only claims that still hold keep their lease (db/claims.py); returns the rows they hold.
UPDATE inbox i SET locked_until = :until
  FROM unnest(:ids::bigint[], :workers::text[], :attempts::int[]) AS c (id, worker, attempt)
 WHERE i.id = c.id AND i.locked_by = c.worker AND i.attempts = c.attempt
   AND i.status = 'pending'
RETURNING i.id;

-- name: finish
-- Only the holder of the current claim finishes an item, so a turn whose lease ran out and was
-- taken again rolls back instead of answering twice.
UPDATE inbox
   SET status = :status, processed_at = :now, locked_until = NULL, last_error = :error
 WHERE id = :id AND locked_by = :worker AND attempts = :attempt AND status = 'pending'
RETURNING id;

-- name: release
-- Gives an item back: after a failure, to be tried again from :not_before; on shutdown, at once
-- and without counting the attempt.
UPDATE inbox
   SET locked_by = NULL, locked_until = NULL, not_before = :not_before, last_error = :error,
       attempts = attempts - :refund
 WHERE id = :id AND locked_by = :worker AND attempts = :attempt AND status = 'pending'
RETURNING id;

-- name: get
SELECT * FROM inbox WHERE id = :id;

-- name: of_chat
SELECT * FROM inbox WHERE chat_id = :chat_id ORDER BY id;

-- name: pending_count
SELECT count(*) FROM inbox WHERE status = 'pending';
