-- name: record
INSERT INTO audit_log (turn_id, actor_telegram_id, actor_rep_id, actor_role, tool, args,
                       allowed, outcome, detail, created_at)
VALUES (:turn_id, :actor_telegram_id, :actor_rep_id, :actor_role, :tool, :args,
        :allowed, :outcome, :detail, :now);
