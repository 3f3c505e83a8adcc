-- name: language
SELECT coalesce((SELECT language FROM reps WHERE telegram_id = :chat_id),
                (SELECT language FROM chats WHERE chat_id = :chat_id));
