-- name: lock
-- Creates the chat on first contact; either way the row stays locked until the turn commits,
-- so a chat has one turn at a time.
INSERT INTO chats (chat_id, created_at, updated_at) VALUES (:chat_id, :now, :now)
ON CONFLICT (chat_id) DO UPDATE SET chat_id = EXCLUDED.chat_id
RETURNING *;

-- name: save
UPDATE chats
   SET history = :history, language = coalesce(:language, language),
       pending_approval = :pending_approval, pending_expires_at = :pending_expires_at,
       updated_at = :now
 WHERE chat_id = :chat_id;

-- name: language
SELECT coalesce((SELECT language FROM reps WHERE telegram_id = :chat_id),
                (SELECT language FROM chats WHERE chat_id = :chat_id));
