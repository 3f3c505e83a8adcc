-- Practice calls: one open per rep; an open one older than :stale_before counts as given up.

-- name: abandon_open
-- A new practice replaces one left open.
UPDATE practices SET status = 'abandoned', finished_at = :now
 WHERE rep_id = :rep_id AND status = 'open'
RETURNING id;

-- name: start
INSERT INTO practices (rep_id, prospect_id, focus, persona, started_at)
VALUES (:rep_id, :prospect_id, :focus, :persona, :now)
RETURNING *;

-- name: open_for
SELECT * FROM practices
 WHERE rep_id = :rep_id AND status = 'open' AND started_at > :stale_before
 FOR UPDATE;

-- name: finish
UPDATE practices
   SET status = 'finished', finished_at = :now, score_opening = :opening,
       score_discovery = :discovery, score_objections = :objections,
       score_next_step = :next_step, feedback = :feedback
 WHERE id = :id AND status = 'open'
RETURNING *;

-- name: summary
-- A rep's finished practices: how many (in all and since :since), when the last one was, and
-- the averages of those before practice :before_id (of all, without one).
SELECT count(*) AS done,
       count(*) FILTER (WHERE finished_at >= :since::timestamptz) AS recent,
       max(finished_at) AS last_at,
       round(avg(score_opening) FILTER (WHERE earlier), 1) AS opening,
       round(avg(score_discovery) FILTER (WHERE earlier), 1) AS discovery,
       round(avg(score_objections) FILTER (WHERE earlier), 1) AS objections,
       round(avg(score_next_step) FILTER (WHERE earlier), 1) AS next_step
  FROM (SELECT *, (:before_id::bigint IS NULL OR id < :before_id::bigint) AS earlier
          FROM practices
         WHERE rep_id = :rep_id AND status = 'finished') finished;

-- name: counts
-- Finished practices per rep since :since (only reps who practised).
SELECT rep_id, count(*) AS practices
  FROM practices
 WHERE status = 'finished' AND finished_at >= :since
   AND (:rep_id::uuid IS NULL OR rep_id = :rep_id::uuid)
 GROUP BY rep_id;
