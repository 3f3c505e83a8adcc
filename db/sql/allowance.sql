-- name: role
-- The speaker's role as the turn will resolve it; for one the limits apply to, the lock that
-- makes admissions take turns is taken too (held until the caller's transaction ends, a moment).
WITH speaker AS (
    SELECT CASE WHEN :telegram_id = ANY(:admin_ids::bigint[]) THEN 'admin'
                WHEN r.is_admin AND r.status = 'active' THEN 'admin'
                ELSE coalesce(r.status, 'unknown') END AS role
      FROM (SELECT) AS one LEFT JOIN reps r ON r.telegram_id = :telegram_id
)
SELECT role, CASE WHEN role = ANY(:limited::text[]) THEN pg_advisory_xact_lock(:lock) END
  FROM speaker;

-- name: admit
-- One model turn for a limited speaker, or why not: their turns in the last hour, their tokens in
-- the last day (from the turns recorded), and the turns of every limited speaker in the last hour.
-- A turn granted is recorded at once; the turns older than the hour are forgotten.
WITH gone AS (
    DELETE FROM limited_turns WHERE granted_at <= :now::timestamptz - interval '1 hour'
), taken AS (
    SELECT count(*) FILTER (WHERE telegram_id = :telegram_id) AS own, count(*) AS everyone
      FROM limited_turns
     WHERE granted_at > :now::timestamptz - interval '1 hour'
), spent AS (
    SELECT coalesce(sum(input_tokens + output_tokens), 0) AS tokens
      FROM turns
     WHERE actor_telegram_id = :telegram_id AND started_at > :now::timestamptz - interval '1 day'
), verdict AS (
    SELECT CASE WHEN own >= :turns_per_hour THEN 'turns'
                WHEN tokens >= :tokens_per_day THEN 'tokens'
                WHEN everyone >= :all_turns_per_hour THEN 'busy' END AS refused
      FROM taken, spent
), granted AS (
    INSERT INTO limited_turns (telegram_id, granted_at)
    SELECT :telegram_id, :now FROM verdict WHERE refused IS NULL
)
SELECT refused FROM verdict;

-- name: registrations
-- The applications a person sent in the last day, as the audit log has them.
SELECT count(*) FROM audit_log
 WHERE actor_telegram_id = :telegram_id AND tool = 'register_rep' AND outcome = 'ok'
   AND created_at > :now::timestamptz - interval '1 day';
