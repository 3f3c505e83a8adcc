-- name: issue
-- A new code spends every earlier one of the rep's.
WITH spent AS (
    UPDATE email_codes SET spent_at = :now
     WHERE rep_id = :rep_id AND spent_at IS NULL
)
INSERT INTO email_codes (rep_id, email, code_hash, expires_at, created_at)
VALUES (:rep_id, :email, :code_hash, :expires_at, :now)
RETURNING *;

-- name: sent_since
SELECT count(*) FROM email_codes WHERE rep_id = :rep_id AND created_at > :since;

-- name: live
-- The code that may still be typed: the newest, unspent, unexpired, for the email on file.
SELECT * FROM email_codes
 WHERE rep_id = :rep_id AND email = :email AND spent_at IS NULL AND expires_at > :now
 ORDER BY created_at DESC, id DESC
 LIMIT 1;

-- name: count_attempt
-- A wrong code counts, and the last allowed one spends the code.
UPDATE email_codes
   SET attempts = attempts + 1,
       spent_at = CASE WHEN attempts + 1 >= :limit THEN :now::timestamptz ELSE spent_at END
 WHERE id = :id
RETURNING attempts;

-- name: spend
UPDATE email_codes SET spent_at = :now WHERE id = :id AND spent_at IS NULL RETURNING id;

-- name: mark_verified
-- Only the address the proof was for: an email changed meanwhile stays unproved.
UPDATE reps
   SET email_verified_at = :now, email_verified_by = :by, updated_at = :now
 WHERE id = :rep_id AND email = :email
RETURNING *;
