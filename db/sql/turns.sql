-- name: start
INSERT INTO turns (chat_id, inbox_id, actor_telegram_id, actor_role, model, started_at)
VALUES (:chat_id, :inbox_id, :actor_telegram_id, :actor_role, :model, :now)
RETURNING id;

-- name: finish
UPDATE turns
   SET requests = :requests, input_tokens = :input_tokens, output_tokens = :output_tokens,
       outcome = :outcome, finished_at = :now
 WHERE id = :id;
