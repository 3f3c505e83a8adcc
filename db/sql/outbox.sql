-- name: enqueue
INSERT INTO outbox (chat_id, text, buttons, turn_id, dedupe_key, created_at, not_before, held_until,
                    about)
VALUES (:chat_id, :text, :buttons, :turn_id, :dedupe_key, :now,
        coalesce(:held_until::timestamptz, :now::timestamptz), :held_until::timestamptz, :about)
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id;

-- name: enqueue_photo
-- A photo is a message with its picture in the payload (base64 PNG) and its caption as the text.
INSERT INTO outbox (chat_id, text, payload, turn_id, created_at, not_before, held_until)
VALUES (:chat_id, :caption, :payload, :turn_id, :now,
        coalesce(:held_until::timestamptz, :now::timestamptz), :held_until::timestamptz)
RETURNING id;

-- name: of_turn
SELECT * FROM outbox WHERE turn_id = :turn_id ORDER BY id;

-- name: latest_with_buttons
SELECT * FROM outbox WHERE chat_id = :chat_id AND buttons IS NOT NULL ORDER BY id DESC LIMIT 1;

-- name: mark_sent
UPDATE outbox SET status = 'sent', sent_at = :now, attempts = attempts + 1
 WHERE id = ANY(:ids::bigint[]);

-- name: enqueue_callback_answer
INSERT INTO outbox (chat_id, kind, text, payload, dedupe_key, created_at, not_before)
VALUES (:chat_id, 'callback_answer', '', :payload, :dedupe_key, :now, :now)
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id;

-- name: claim
-- The oldest unsent message of each chat no one holds: chats are served at once, each in order.
-- A notice held for the recipient's quiet hours waits without holding up the chat.
WITH heads AS (
    SELECT DISTINCT ON (chat_id) id, locked_until, not_before
      FROM outbox
     WHERE status = 'pending' AND (held_until IS NULL OR held_until <= :now)
     ORDER BY chat_id, id
), free AS (
    SELECT id FROM heads
     WHERE (locked_until IS NULL OR locked_until < :now) AND not_before <= :now
     ORDER BY id
     LIMIT :limit
)
UPDATE outbox
   SET locked_by = :worker, locked_until = :until, attempts = attempts + 1
 WHERE id IN (SELECT id FROM outbox WHERE id IN (SELECT id FROM free) FOR UPDATE SKIP LOCKED)
   AND status = 'pending' AND (locked_until IS NULL OR locked_until < :now)
RETURNING *;

-- name: next_due
SELECT min(not_before) FROM outbox WHERE status = 'pending';

-- name: part_sent
-- Every write of a claimed message is fenced on its claim (db/claims.py): a sender whose claim
-- was lost learns it here and stops, leaving the parts it recorded to the new holder.
UPDATE outbox SET parts_sent = :parts_sent, telegram_message_id = :telegram_message_id
 WHERE id = :id AND locked_by = :worker AND attempts = :attempt AND status = 'pending'
RETURNING id;

-- name: settle
-- The message's fate: sent, or never sendable (blocked by the user, refused by Telegram).
UPDATE outbox
   SET status = :status, sent_at = :now, locked_by = NULL, locked_until = NULL,
       last_error = :error, telegram_message_id = coalesce(:telegram_message_id, telegram_message_id)
 WHERE id = :id AND locked_by = :worker AND attempts = :attempt AND status = 'pending'
RETURNING id;

-- name: release
-- Gives a message back: after a failure, to be tried again from :not_before; when Telegram asks
-- to wait, or on shutdown, without counting the attempt.
UPDATE outbox
   SET locked_by = NULL, locked_until = NULL, not_before = :not_before, last_error = :error,
       attempts = attempts - :refund
 WHERE id = :id AND locked_by = :worker AND attempts = :attempt AND status = 'pending'
RETURNING id;

-- name: extend
UPDATE outbox o SET locked_until = :until
  FROM unnest(:ids::bigint[], :workers::text[], :attempts::int[]) AS c (id, worker, attempt)
 WHERE o.id = c.id AND o.locked_by = c.worker AND o.attempts = c.attempt
   AND o.status = 'pending'
RETURNING o.id;

-- name: replied_to
-- The bot's message a reply quotes, and what it was about: its own `about`, or the scheduler
-- event of the turn that wrote it to this chat; with the names as they are now.
WITH sent AS (
    SELECT o.text, coalesce(o.about, CASE WHEN i.kind = 'event' THEN
               coalesce(i.payload->'data', '{}') || jsonb_build_object('event', i.payload->>'event')
           END) AS about
      FROM outbox o
      LEFT JOIN turns t ON t.id = o.turn_id AND t.chat_id = o.chat_id
      LEFT JOIN inbox i ON i.id = t.inbox_id
     WHERE o.chat_id = :chat_id AND o.telegram_message_id = :message_id
     ORDER BY o.id DESC
     LIMIT 1
)
SELECT s.text, s.about->>'event' AS event,
       p.id AS prospect_id, p.name AS prospect_name,
       m.id AS meeting_id, m.title AS meeting_title, m.starts_at AS meeting_starts_at,
       r.id AS rep_id, r.name AS rep_name, r.email AS rep_email
  FROM sent s
  LEFT JOIN prospects p ON p.id = s.about->>'prospect_id'
  LEFT JOIN meetings m ON m.id::text = s.about->>'meeting_id'  -- as text: an id that is no uuid
  LEFT JOIN reps r ON r.id::text = s.about->>'rep_id';          -- matches nothing, not an error
