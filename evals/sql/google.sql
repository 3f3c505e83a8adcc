-- name: prove_emails
-- The reps whose calendars a case's Google world holds: connected, their emails proved by a
-- code when their calendars were (Google is acted in only as a proved address).
UPDATE reps
   SET email_verified_at = coalesce(calendar_connected_at, :now::timestamptz),
       email_verified_by = 'code'
 WHERE lower(email) = ANY(:emails::text[]) AND email_verified_at IS NULL;
