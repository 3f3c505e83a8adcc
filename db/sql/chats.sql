-- name: lock
-- Creates the chat on first contact.
INSERT INTO chats (chat_id, created_at, updated_at) VALUES (:chat_id, :now, :now)
ON CONFLICT (chat_id) DO NOTHING;

-- name: get_for_update
-- Holds the chat for this turn: one turn at a time per chat.
SELECT * FROM chats WHERE chat_id = :chat_id FOR UPDATE;

-- name: save
UPDATE chats
   SET history = :history, language = coalesce(:language, language),
       pending_approval = :pending_approval, pending_expires_at = :pending_expires_at,
       updated_at = :now
 WHERE chat_id = :chat_id;

-- name: language
SELECT coalesce((SELECT language FROM reps WHERE telegram_id = :chat_id),
                (SELECT language FROM chats WHERE chat_id = :chat_id));
