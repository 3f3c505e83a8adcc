-- name: add_reps
-- Rows of a case's setup; what a row leaves out gets the value a real rep would have, its
-- status in the row's history too (by someone not recorded).
WITH added AS (
INSERT INTO reps (telegram_id, telegram_username, name, email, status, language, timezone,
                  calendar_account_name, calendar_connected_at, is_admin, snoozed_until,
                  registered_at, approved_at, status_changed_at, created_at, updated_at)
SELECT r.telegram_id, r.username, r.name, r.email, coalesce(r.status, 'active'),
       coalesce(r.language, 'ru'), coalesce(r.timezone, :timezone),
       CASE WHEN r.calendar THEN r.email END, CASE WHEN r.calendar THEN :now::timestamptz END,
       coalesce(r.is_admin, false), r.snoozed_until,
       coalesce(r.registered_at, :now::timestamptz - interval '7 days'),
       CASE WHEN coalesce(r.status, 'active') <> 'pending'
            THEN coalesce(r.registered_at, :now::timestamptz - interval '7 days') END,
       coalesce(r.registered_at, :now::timestamptz - interval '7 days'),
       :now::timestamptz, :now::timestamptz
  FROM jsonb_to_recordset(:rows::jsonb) AS r (
       telegram_id bigint, username text, name text, email text, status text, language text,
       timezone text, calendar boolean, is_admin boolean, snoozed_until timestamptz,
       registered_at timestamptz)
RETURNING id, status, status_changed_at
)
INSERT INTO rep_status_changes (rep_id, status, changed_at)
SELECT id, status, status_changed_at FROM added;

-- name: add_prospects
INSERT INTO prospects (id, telegram_id, name, context, status, assigned_rep_id, email, notes,
                       language, last_contact_at, assigned_at, status_changed_at, created_at,
                       updated_at)
SELECT coalesce(p.id, 'p_' || substr(md5(p.name), 1, 12)), p.telegram, p.name, p.context,
       coalesce(p.status, 'unreached'), r.id, p.email, p.notes, p.language, p.last_contact_at,
       CASE WHEN r.id IS NOT NULL THEN coalesce(p.assigned_at, p.created_at, :now::timestamptz) END,
       coalesce(p.status_changed_at, p.created_at, :now::timestamptz),
       coalesce(p.created_at, :now::timestamptz), :now::timestamptz
  FROM jsonb_to_recordset(:rows::jsonb) AS p (
       id text, telegram text, name text, context text, status text, rep bigint, email text,
       notes text, language text, last_contact_at timestamptz, assigned_at timestamptz,
       status_changed_at timestamptz, created_at timestamptz)
  LEFT JOIN reps r ON r.telegram_id = p.rep;

-- name: assign_seeded
-- A seed prospect named in the setup by id only is assigned or changed, not added.
UPDATE prospects t
   SET assigned_rep_id = r.id,
       assigned_at = CASE WHEN r.id IS NOT NULL THEN coalesce(p.assigned_at, :now::timestamptz) END,
       status = coalesce(p.status, t.status), last_contact_at = p.last_contact_at,
       status_changed_at = coalesce(p.status_changed_at, :now::timestamptz),
       created_at = least(t.created_at, :now::timestamptz), updated_at = :now::timestamptz
  FROM jsonb_to_recordset(:rows::jsonb) AS p (
       id text, rep bigint, status text, assigned_at timestamptz, last_contact_at timestamptz,
       status_changed_at timestamptz)
  LEFT JOIN reps r ON r.telegram_id = p.rep
 WHERE t.id = p.id;

-- name: add_meetings
INSERT INTO meetings (rep_id, prospect_id, title, starts_at, ends_at, status, zoom_join_url,
                      sandbox, created_at, updated_at)
SELECT r.id, m.prospect, coalesce(m.title, 'Meeting'), m.starts_at,
       m.starts_at + make_interval(mins => coalesce(m.duration_minutes, 30)),
       coalesce(m.status, 'scheduled'), m.zoom_join_url, true, :now::timestamptz,
       :now::timestamptz
  FROM jsonb_to_recordset(:rows::jsonb) AS m (
       rep bigint, prospect text, title text, starts_at timestamptz, duration_minutes int,
       status text, zoom_join_url text)
  JOIN reps r ON r.telegram_id = m.rep;

-- name: add_deals
INSERT INTO deals (prospect_id, rep_id, name, stage, amount, currency, next_step, next_step_due,
                   stage_changed_at, created_at, updated_at)
SELECT d.prospect, r.id, coalesce(d.name, d.prospect), coalesce(d.stage, 'new'), d.amount,
       coalesce(d.currency, 'USD'), d.next_step, d.next_step_due,
       coalesce(d.stage_changed_at, d.created_at, :now::timestamptz),
       coalesce(d.created_at, :now::timestamptz), :now::timestamptz
  FROM jsonb_to_recordset(:rows::jsonb) AS d (
       prospect text, rep bigint, name text, stage text, amount numeric, currency text,
       next_step text, next_step_due timestamptz, stage_changed_at timestamptz,
       created_at timestamptz)
  LEFT JOIN reps r ON r.telegram_id = d.rep;

-- name: add_activities
INSERT INTO activities (prospect_id, rep_id, kind, body, created_at)
SELECT a.prospect, r.id, a.kind, a.body, coalesce(a.at, :now::timestamptz)
  FROM jsonb_to_recordset(:rows::jsonb) AS a (
       prospect text, rep bigint, kind text, body text, at timestamptz)
  LEFT JOIN reps r ON r.telegram_id = a.rep;

-- name: reps
-- The state a case is judged by, in words a dataset can write: people by Telegram id.
SELECT telegram_id, telegram_username AS username, name, email, status, language, timezone,
       calendar_connected_at IS NOT NULL AS calendar, status_reason,
       (snoozed_until AT TIME ZONE timezone)::date::text AS snoozed_until
  FROM reps ORDER BY telegram_id;

-- name: prospects
SELECT p.id, p.name, p.telegram_id AS telegram, p.email, p.status, r.telegram_id AS rep,
       p.language, p.context, p.notes
  FROM prospects p LEFT JOIN reps r ON r.id = p.assigned_rep_id
 ORDER BY p.id;

-- name: meetings
SELECT r.telegram_id AS rep, m.prospect_id AS prospect, p.name AS prospect_name, m.title,
       m.starts_at, m.ends_at, m.duration_minutes, m.status,
       m.zoom_join_url IS NOT NULL AS zoom, m.owed
  FROM meetings m JOIN reps r ON r.id = m.rep_id LEFT JOIN prospects p ON p.id = m.prospect_id
 ORDER BY m.starts_at, r.telegram_id;

-- name: practices
-- Practice calls: whose, with which client, how they ended and how they were scored.
SELECT r.telegram_id AS rep, p.name AS prospect_name, x.focus, x.status,
       x.score_opening AS opening, x.score_discovery AS discovery,
       x.score_objections AS objections, x.score_next_step AS next_step,
       x.feedback IS NOT NULL AS feedback
  FROM practices x JOIN reps r ON r.id = x.rep_id LEFT JOIN prospects p ON p.id = x.prospect_id
 ORDER BY x.id;

-- name: deals
-- Deals, ours or synced from HubSpot: whose, with which client, where they stand.
SELECT d.name, p.name AS prospect_name, r.telegram_id AS rep, d.stage, d.amount,
       d.closed_at IS NOT NULL AS closed, d.hubspot_deal_id IS NOT NULL AS hubspot
  FROM deals d JOIN prospects p ON p.id = d.prospect_id LEFT JOIN reps r ON r.id = d.rep_id
 ORDER BY d.created_at, d.name;

-- name: events
-- What the scheduler queued, to whom, and whether it was delivered (done) or is still held.
SELECT chat_id AS "to", payload->>'event' AS event, status, payload->'data' AS data
  FROM inbox WHERE kind = 'event' ORDER BY id;

-- name: outside_calls
-- What was done in Google, Zoom and HubSpot (writes only), per prospect. Prospects are named,
-- not by id: a prospect added in a case gets a new random id in every run.
SELECT i.service, i.operation, p.name AS prospect_name, count(*)::int AS times
  FROM integration_records i LEFT JOIN prospects p ON p.id = i.prospect_id
 WHERE i.operation IN ('meetings.create', 'events.insert', 'notes.create', 'events.patch',
                       'events.delete', 'meetings.update', 'meetings.delete')
   AND i.undone_at IS NULL AND NOT (i.response ? 'error')
 GROUP BY i.service, i.operation, p.name
 ORDER BY i.service, i.operation, p.name;

-- name: messages
-- What reached the chats by :now and was not shown before: a notice held for the recipient's
-- quiet hours shows when it is delivered.
SELECT o.id, o.chat_id, o.text, o.buttons, o.turn_id
  FROM outbox o
 WHERE o.kind = 'message' AND o.id <> ALL (:shown::bigint[])
   AND (o.held_until IS NULL OR o.held_until <= :now::timestamptz)
 ORDER BY o.id;

-- name: delivered
-- As the sender records Telegram's id of what it sent (here the outbox id), for a reply to it.
UPDATE outbox SET telegram_message_id = id WHERE id = ANY(:ids::bigint[]);

-- name: calls_of_turns
SELECT a.turn_id, a.tool, a.args, a.allowed, a.outcome, a.detail
  FROM audit_log a WHERE a.turn_id = ANY(:turn_ids::bigint[]) ORDER BY a.id;

-- name: turns_after
SELECT id, chat_id, requests, input_tokens, output_tokens, outcome
  FROM turns WHERE id > :after ORDER BY id;

-- name: refused
SELECT DISTINCT tool FROM audit_log WHERE NOT allowed ORDER BY tool;

-- name: add_event
-- A scheduler event as the scheduler queues it, due now.
INSERT INTO inbox (chat_id, kind, payload, not_before, created_at)
VALUES (:chat_id, 'event', :payload, :now, :now);
