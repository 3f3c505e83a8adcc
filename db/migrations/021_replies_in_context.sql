-- What a message was about (its prospect, meeting or applicant), for when someone replies to it;
-- a turn's reply to a scheduler event is known by its event instead. Sent messages are found by
-- Telegram's message id in their chat (for a message sent in parts, its last part's).
ALTER TABLE outbox ADD COLUMN about jsonb;
CREATE INDEX outbox_telegram_message ON outbox (chat_id, telegram_message_id)
    WHERE telegram_message_id IS NOT NULL;
