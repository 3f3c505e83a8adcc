-- name: enqueue
INSERT INTO outbox (chat_id, text, buttons, turn_id, dedupe_key, created_at, not_before)
VALUES (:chat_id, :text, :buttons, :turn_id, :dedupe_key, :now, :now)
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id;

-- name: of_turn
SELECT * FROM outbox WHERE turn_id = :turn_id ORDER BY id;

-- name: latest_with_buttons
SELECT * FROM outbox WHERE chat_id = :chat_id AND buttons IS NOT NULL ORDER BY id DESC LIMIT 1;

-- name: mark_sent
UPDATE outbox SET status = 'sent', sent_at = :now, attempts = attempts + 1
 WHERE id = ANY(:ids::bigint[]);
