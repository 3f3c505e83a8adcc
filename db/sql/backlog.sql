-- name: backlog
-- The items of each queue due by :now and not yet done, and how long the longest-waiting one
-- has been due (events held for quiet hours are not due yet, so they are not a backlog).
SELECT 'inbox' AS queue, count(*) AS due,
       coalesce(extract(epoch FROM :now - min(not_before)), 0)::float8 AS oldest_seconds
  FROM inbox
 WHERE status = 'pending' AND not_before <= :now
UNION ALL
SELECT 'outbox', count(*),
       coalesce(extract(epoch FROM :now - min(not_before)), 0)::float8
  FROM outbox
 WHERE status = 'pending' AND not_before <= :now;
