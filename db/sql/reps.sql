-- name: create
-- A rejected or removed rep who writes again applies anew on the same row; the application is
-- kept in the row's status history either way.
WITH applied AS (
INSERT INTO reps AS r (telegram_id, telegram_username, name, email, language, timezone,
                       registered_at, status_changed_at, created_at, updated_at)
VALUES (:telegram_id, :telegram_username, :name, :email, :language, :timezone,
        :now, :now, :now, :now)
ON CONFLICT (telegram_id) DO UPDATE
   SET telegram_username = EXCLUDED.telegram_username,
       name = EXCLUDED.name,
       email = EXCLUDED.email,
       email_verified_at = CASE WHEN r.email = EXCLUDED.email THEN r.email_verified_at END,
       email_verified_by = CASE WHEN r.email = EXCLUDED.email THEN r.email_verified_by END,
       language = EXCLUDED.language,
       timezone = EXCLUDED.timezone,
       status = 'pending',
       status_reason = NULL,
       approved_at = NULL,
       approved_by = NULL,
       approved_by_telegram_id = NULL,
       registered_at = EXCLUDED.registered_at,
       status_changed_at = EXCLUDED.status_changed_at,
       updated_at = EXCLUDED.updated_at
 WHERE r.status IN ('rejected', 'removed')
RETURNING *
), logged AS (
    INSERT INTO rep_status_changes (rep_id, status, by_telegram_id, changed_at)
    SELECT id, status, telegram_id, status_changed_at FROM applied
)
SELECT * FROM applied;

-- name: get
SELECT * FROM reps WHERE id = :id;

-- name: get_by_telegram_id
SELECT * FROM reps WHERE telegram_id = :telegram_id;

-- name: get_by_email
-- The live registration first, then the most recent past one.
SELECT * FROM reps
 WHERE mailbox(email) = mailbox(:email)
 ORDER BY status IN ('pending', 'active', 'suspended') DESC, updated_at DESC
 LIMIT 1;

-- name: list
SELECT * FROM reps
 WHERE :status::text IS NULL OR status = :status
 ORDER BY registered_at, id;

-- name: approve
WITH changed AS (
UPDATE reps
   SET status = 'active', status_reason = NULL, approved_at = :now,
       approved_by = :by_rep_id, approved_by_telegram_id = :by_telegram_id,
       status_changed_at = :now, updated_at = :now
 WHERE id = :id AND status = ANY(:allowed::text[])
RETURNING *
), logged AS (
    INSERT INTO rep_status_changes (rep_id, status, by_telegram_id, changed_at)
    SELECT id, status, :by_telegram_id, :now FROM changed
)
SELECT * FROM changed;

-- name: set_status
WITH changed AS (
UPDATE reps
   SET status = :status, status_reason = :reason, status_changed_at = :now, updated_at = :now
 WHERE id = :id AND status = ANY(:allowed::text[])
RETURNING *
), logged AS (
    INSERT INTO rep_status_changes (rep_id, status, reason, by_telegram_id, changed_at)
    SELECT id, status, status_reason, :by_telegram_id, :now FROM changed
)
SELECT * FROM changed;

-- name: past
-- What the rep's row went through before its current status, newest first, with who did it
-- (a rep's name when the one who did it is a rep, else only their Telegram id).
SELECT c.status, c.reason, c.changed_at, c.by_telegram_id,
       c.by_telegram_id = r.telegram_id AS by_self, by.name AS by_name,
       by.telegram_username AS by_username
  FROM rep_status_changes c
  JOIN reps r ON r.id = c.rep_id
  LEFT JOIN reps by ON by.telegram_id = c.by_telegram_id
 WHERE c.rep_id = :rep_id
 ORDER BY c.changed_at DESC, c.id DESC
OFFSET 1 LIMIT :limit;

-- name: update
-- A new email is unproved, whatever was proved for the old one.
UPDATE reps
   SET name = coalesce(:name, name),
       email = coalesce(:email, email),
       email_verified_at = CASE WHEN coalesce(:email, email) = email THEN email_verified_at END,
       email_verified_by = CASE WHEN coalesce(:email, email) = email THEN email_verified_by END,
       telegram_username = coalesce(:telegram_username, telegram_username),
       language = coalesce(:language, language),
       timezone = coalesce(:timezone, timezone),
       updated_at = :now
 WHERE id = :id
RETURNING *;

-- name: set_calendar_account
UPDATE reps
   SET calendar_account_name = :account,
       calendar_connected_at = CASE WHEN :account::text IS NULL THEN NULL ELSE :now::timestamptz END,
       updated_at = :now
 WHERE id = :id
RETURNING *;

-- name: find
-- Exact matches on id, Telegram id, @username or email (as a mailbox) first; then names
-- with every word said as a word, or else as a word's beginning.
WITH q AS (SELECT lower(btrim(:ref)) AS ref, lower(ltrim(btrim(:ref), '@')) AS handle)
SELECT r.*,
       (r.id::text = q.ref OR r.telegram_id::text = q.ref OR lower(r.telegram_username) = q.handle
        OR mailbox(r.email) = mailbox(q.ref)) AS exact,
       name_match(r.name, q.ref) AS named
  FROM reps r, q
 WHERE (r.id::text = q.ref OR r.telegram_id::text = q.ref OR lower(r.telegram_username) = q.handle
        OR mailbox(r.email) = mailbox(q.ref) OR name_match(r.name, q.ref) > 0)
   AND (:statuses::text[] IS NULL OR r.status = ANY(:statuses::text[]))
 ORDER BY exact DESC, named DESC, name_key(r.name) = name_key(q.ref) DESC, r.registered_at
 LIMIT 20;

-- name: snooze
UPDATE reps SET snoozed_until = :until, updated_at = :now WHERE id = :id RETURNING *;

-- name: update_settings
-- A rep's own settings; a NULL argument leaves that one as it is.
UPDATE reps
   SET timezone = coalesce(:timezone, timezone),
       quiet_hours_start = coalesce(:quiet_start::time, quiet_hours_start),
       quiet_hours_end = coalesce(:quiet_end::time, quiet_hours_end),
       language = coalesce(:language, language),
       digest_time = coalesce(:digest_time::time, digest_time),
       updated_at = :now
 WHERE id = :id
RETURNING *;
