-- name: begin
-- Locks the chat's row until the turn commits, creating it on first contact, so a chat has one
-- turn at a time; and opens the turn's row. Who acted is written at the end, once resolved.
-- The history comes and goes as JSON text: pydantic reads and writes it directly.
WITH chat AS (
    INSERT INTO chats (chat_id, created_at, updated_at) VALUES (:chat_id, :now, :now)
    ON CONFLICT (chat_id) DO UPDATE SET chat_id = EXCLUDED.chat_id
    RETURNING chat_id, language, history::text AS history, pending_approval, pending_expires_at
), turn AS (
    INSERT INTO turns (chat_id, inbox_id, actor_telegram_id, actor_role, model, started_at)
    VALUES (:chat_id, :inbox_id, :actor_telegram_id, 'unknown', :model, :now)
    RETURNING id
)
SELECT chat.*, turn.id AS turn_id FROM chat, turn;

-- name: end
-- The rest of the turn in one statement: the chat's new history, the turn's row, its reply
-- queued and its inbox item done. Only the holder of the item's current claim finishes it (as
-- inbox.finish); `finished` says whether it did, and when not the caller rolls all of it back.
-- Each row is a message of the turn, the reply last.
WITH chat AS (
    UPDATE chats
       SET history = :history::text::jsonb, language = coalesce(:language, language),
           pending_approval = :pending_approval, pending_expires_at = :pending_expires_at,
           updated_at = :now
     WHERE chat_id = :chat_id
), turn AS (
    UPDATE turns
       SET actor_role = :actor_role, requests = :requests, input_tokens = :input_tokens,
           output_tokens = :output_tokens, outcome = :outcome, finished_at = :now
     WHERE id = :turn_id
), reply AS (
    INSERT INTO outbox (chat_id, text, buttons, turn_id, created_at, not_before)
    VALUES (:chat_id, :text, :buttons, :turn_id, :now, :now)
    RETURNING *
), item AS (
    UPDATE inbox
       SET status = 'done', processed_at = :now, locked_until = NULL, last_error = NULL
     WHERE id = :inbox_id AND locked_by = :worker AND attempts = :attempt AND status = 'pending'
    RETURNING id
)
SELECT m.*, EXISTS (SELECT FROM item) AS finished
  FROM (SELECT * FROM outbox WHERE turn_id = :turn_id UNION ALL SELECT * FROM reply) AS m
 ORDER BY m.id;

-- name: finish
UPDATE turns
   SET requests = :requests, input_tokens = :input_tokens, output_tokens = :output_tokens,
       outcome = :outcome, finished_at = :now
 WHERE id = :id;
