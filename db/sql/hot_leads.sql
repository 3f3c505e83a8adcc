-- name: admins
-- Every admin (the ids the settings name, and active reps made admins), with the language they
-- read and when a message to them may go out: after their own quiet hours if they set any as a
-- rep, else the team's defaults, in their timezone or the default one.
WITH admins AS (
    SELECT unnest(:admin_ids::bigint[]) AS chat_id
     UNION
    SELECT telegram_id FROM reps WHERE is_admin AND status = 'active'
)
SELECT a.chat_id,
       coalesce(r.language, c.language) AS language,
       coalesce(r.timezone, :timezone::text) AS timezone,
       salesbot_after_quiet(:now::timestamptz, coalesce(r.timezone, :timezone::text),
                            coalesce(r.quiet_hours_start, :quiet_start::time),
                            coalesce(r.quiet_hours_end, :quiet_end::time)) AS after_quiet
  FROM admins a
  LEFT JOIN reps r ON r.telegram_id = a.chat_id
  LEFT JOIN chats c ON c.chat_id = a.chat_id
 ORDER BY a.chat_id;

-- name: deal
-- A synced deal as an alert names it: its prospect and its rep.
SELECT d.name, d.amount, d.currency, p.name AS prospect, r.name AS rep,
       r.telegram_id AS rep_chat_id
  FROM deals d
  LEFT JOIN prospects p ON p.id = d.prospect_id
  LEFT JOIN reps r ON r.id = d.rep_id
 WHERE d.hubspot_deal_id = :deal_id;
