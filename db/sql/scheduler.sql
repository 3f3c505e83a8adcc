-- Due work, found set-based and turned into inbox events in the same statement. Each event has a
-- dedupe key, so a piece of work becomes one event however many ticks or schedulers see it.
-- An event for a rep waits for the end of their quiet hours (and of a snooze, for reminders).

-- name: release_from_inactive
-- Unreached prospects of a rep who is no longer active go back to the pool.
UPDATE prospects p
   SET assigned_rep_id = NULL, assigned_at = NULL, updated_at = :now::timestamptz
  FROM reps r
 WHERE p.assigned_rep_id = r.id AND r.status <> 'active' AND p.status = 'unreached'
RETURNING p.id;

-- name: assign_waiting
-- Round-robin by load: each waiting prospect, oldest first, takes the next free "slot" of the
-- active reps ordered by how many open prospects they would then have (water-filling), so a
-- batch spreads evenly and the least loaded reps fill first. The rep hears of each one.
WITH locked AS (
    SELECT id, created_at FROM prospects
     WHERE status = 'unreached' AND assigned_rep_id IS NULL
     ORDER BY created_at, id
     LIMIT :batch
       FOR UPDATE SKIP LOCKED
), waiting AS (
    SELECT id, row_number() OVER (ORDER BY created_at, id) AS n FROM locked
), loads AS (
    SELECT r.id, r.approved_at, count(p.id) AS open
      FROM reps r
      LEFT JOIN prospects p
        ON p.assigned_rep_id = r.id AND p.status IN ('unreached', 'contacted', 'in_conversation')
     WHERE r.status = 'active'
     GROUP BY r.id
), slots AS (
    SELECT l.id AS rep_id,
           row_number() OVER (ORDER BY k, l.approved_at, l.id) AS n
      FROM loads l
     CROSS JOIN LATERAL generate_series(l.open + 1, l.open + (SELECT count(*) FROM waiting)) AS k
), assigned AS (
    UPDATE prospects p
       SET assigned_rep_id = s.rep_id, assigned_at = :now::timestamptz, updated_at = :now::timestamptz
      FROM waiting w JOIN slots s USING (n)
     WHERE p.id = w.id AND p.assigned_rep_id IS NULL
    RETURNING p.*
), logged AS (
    INSERT INTO activities (prospect_id, rep_id, kind, created_at)
    SELECT id, assigned_rep_id, 'assigned', :now::timestamptz FROM assigned
)
INSERT INTO inbox (chat_id, kind, dedupe_key, payload, not_before, created_at)
SELECT r.telegram_id, 'event',
       'assigned:' || a.id || ':' || r.id,
       jsonb_build_object('event', 'prospect_assigned', 'data', jsonb_build_object(
           'prospect_id', a.id, 'name', a.name, 'telegram', a.telegram_id,
           'context', a.context, 'notes', a.notes, 'language', a.language)),
       salesbot_after_quiet(:now::timestamptz, r.timezone, coalesce(r.quiet_hours_start, :quiet_start::time),
                            coalesce(r.quiet_hours_end, :quiet_end::time)),
       :now::timestamptz
  FROM assigned a JOIN reps r ON r.id = a.assigned_rep_id
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id;

-- name: unreached_reminders
-- One reminder per interval since assignment while the prospect stays unreached.
INSERT INTO inbox (chat_id, kind, dedupe_key, payload, not_before, created_at)
SELECT r.telegram_id, 'event',
       'unreached:' || p.id || ':' || r.id || ':'
           || floor(extract(epoch FROM :now::timestamptz - p.assigned_at) / extract(epoch FROM :every::interval))::bigint,
       jsonb_build_object('event', 'unreached_reminder', 'data', jsonb_build_object(
           'prospect_id', p.id, 'name', p.name, 'telegram', p.telegram_id, 'context', p.context,
           'language', p.language,
           'hours_since_assigned', floor(extract(epoch FROM :now::timestamptz - p.assigned_at) / 3600))),
       salesbot_after_quiet(greatest(:now::timestamptz, r.snoozed_until), r.timezone,
                            coalesce(r.quiet_hours_start, :quiet_start::time),
                            coalesce(r.quiet_hours_end, :quiet_end::time)),
       :now::timestamptz
  FROM prospects p JOIN reps r ON r.id = p.assigned_rep_id AND r.status = 'active'
 WHERE p.status = 'unreached' AND p.assigned_rep_id IS NOT NULL
   AND p.assigned_at <= :now::timestamptz - :every::interval
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id;

-- name: follow_ups
-- A contacted prospect silent since the last contact: one follow-up draft per contact.
INSERT INTO inbox (chat_id, kind, dedupe_key, payload, not_before, created_at)
SELECT r.telegram_id, 'event',
       'follow_up:' || p.id || ':' || extract(epoch FROM p.last_contact_at)::bigint,
       jsonb_build_object('event', 'follow_up', 'data', jsonb_build_object(
           'prospect_id', p.id, 'name', p.name, 'telegram', p.telegram_id, 'context', p.context,
           'language', p.language, 'last_contact_at', p.last_contact_at)),
       salesbot_after_quiet(greatest(:now::timestamptz, r.snoozed_until), r.timezone,
                            coalesce(r.quiet_hours_start, :quiet_start::time),
                            coalesce(r.quiet_hours_end, :quiet_end::time)),
       :now::timestamptz
  FROM prospects p JOIN reps r ON r.id = p.assigned_rep_id AND r.status = 'active'
 WHERE p.status = 'contacted'
   AND p.last_contact_at <= :now::timestamptz - :after::interval
   AND p.last_contact_at > :now::timestamptz - :after::interval - interval '2 days'
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id;

-- name: meeting_preps
INSERT INTO inbox (chat_id, kind, dedupe_key, payload, not_before, created_at)
SELECT r.telegram_id, 'event',
       -- a meeting handed to another rep is theirs to prepare: a key of its own
       'prep:' || m.id || ':' || extract(epoch FROM m.starts_at)::bigint
           || CASE WHEN m.handed_over THEN ':' || m.rep_id ELSE '' END,
       jsonb_build_object('event', 'meeting_prep', 'data', jsonb_build_object(
           'meeting_id', m.id, 'title', m.title, 'starts_at', m.starts_at,
           'prospect_id', p.id, 'name', p.name, 'context', p.context, 'notes', p.notes,
           'status', p.status, 'zoom_join_url', m.zoom_join_url)),
       salesbot_after_quiet(:now::timestamptz, r.timezone, coalesce(r.quiet_hours_start, :quiet_start::time),
                            coalesce(r.quiet_hours_end, :quiet_end::time)),
       :now::timestamptz
  FROM meetings m
  JOIN reps r ON r.id = m.rep_id AND r.status = 'active'
  LEFT JOIN prospects p ON p.id = m.prospect_id
 WHERE m.status = 'scheduled' AND m.starts_at > :now::timestamptz AND m.starts_at <= :now::timestamptz + :before::interval
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id;

-- name: meeting_debriefs
INSERT INTO inbox (chat_id, kind, dedupe_key, payload, not_before, created_at)
SELECT r.telegram_id, 'event',
       'debrief:' || m.id || ':' || extract(epoch FROM m.starts_at)::bigint,
       jsonb_build_object('event', 'meeting_debrief', 'data', jsonb_build_object(
           'meeting_id', m.id, 'title', m.title, 'starts_at', m.starts_at,
           'prospect_id', p.id, 'name', p.name, 'status', p.status)),
       salesbot_after_quiet(:now::timestamptz, r.timezone, coalesce(r.quiet_hours_start, :quiet_start::time),
                            coalesce(r.quiet_hours_end, :quiet_end::time)),
       :now::timestamptz
  FROM meetings m
  JOIN reps r ON r.id = m.rep_id AND r.status = 'active'
  LEFT JOIN prospects p ON p.id = m.prospect_id
 WHERE m.status = 'scheduled' AND m.ends_at <= :now::timestamptz AND m.ends_at > :now::timestamptz - interval '1 day'
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id;

-- name: pending_applications
-- Each admin hears once of each application left pending too long.
INSERT INTO inbox (chat_id, kind, dedupe_key, payload, not_before, created_at)
SELECT a.admin_id, 'event',
       'pending:' || r.id || ':' || a.admin_id,
       jsonb_build_object('event', 'pending_application', 'data', jsonb_build_object(
           'rep_id', r.id, 'name', r.name, 'email', r.email,
           'hours_waiting', floor(extract(epoch FROM :now::timestamptz - r.registered_at) / 3600))),
       salesbot_after_quiet(:now::timestamptz, coalesce(o.timezone, :timezone::text),
                            coalesce(o.quiet_hours_start, :quiet_start::time),
                            coalesce(o.quiet_hours_end, :quiet_end::time)),
       :now::timestamptz
  FROM reps r CROSS JOIN unnest(:admin_ids::bigint[]) AS a (admin_id)
  LEFT JOIN reps o ON o.telegram_id = a.admin_id
 WHERE r.status = 'pending' AND r.registered_at <= :now::timestamptz - :after::interval
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id;

-- name: calendar_reminders
INSERT INTO inbox (chat_id, kind, dedupe_key, payload, not_before, created_at)
SELECT r.telegram_id, 'event',
       'calendar:' || r.id || ':' || extract(epoch FROM r.approved_at)::bigint,
       jsonb_build_object('event', 'calendar_reminder', 'data', jsonb_build_object(
           'name', r.name, 'email', r.email)),
       salesbot_after_quiet(greatest(:now::timestamptz, r.snoozed_until), r.timezone,
                            coalesce(r.quiet_hours_start, :quiet_start::time),
                            coalesce(r.quiet_hours_end, :quiet_end::time)),
       :now::timestamptz
  FROM reps r
 WHERE r.status = 'active' AND r.calendar_connected_at IS NULL
   AND r.approved_at <= :now::timestamptz - :after::interval
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id;

-- name: stale_digests
-- Once a day, after the rep's digest hour and outside their quiet hours, in their timezone: their open
-- prospects with no activity for a while, the longest silent first, and their open deals whose
-- stage has not moved for as long (those synced from HubSpot among them), the longest first. Each
-- rep is looked at once a day (`digest_on`), whether or not anything is stale.
WITH due AS (
    SELECT r.id, r.telegram_id, r.timezone, r.quiet_hours_start, r.quiet_hours_end, r.snoozed_until,
           (:now::timestamptz AT TIME ZONE r.timezone)::date AS today,
           'digest:' || r.id || ':' || (:now::timestamptz AT TIME ZONE r.timezone)::date AS key
      FROM reps r
     WHERE r.status = 'active'
       AND (:now::timestamptz AT TIME ZONE r.timezone)::time >= coalesce(r.digest_time, :digest_at::time)
       AND salesbot_after_quiet(:now::timestamptz, r.timezone,
                                coalesce(r.quiet_hours_start, :quiet_start::time),
                                coalesce(r.quiet_hours_end, :quiet_end::time)) = :now::timestamptz
       AND r.digest_on IS DISTINCT FROM (:now::timestamptz AT TIME ZONE r.timezone)::date
), marked AS (
    UPDATE reps r SET digest_on = d.today FROM due d WHERE r.id = d.id
), stale AS (
    SELECT d.id AS rep_id, p.id, p.name, p.status,
           floor(extract(epoch FROM :now::timestamptz
                 - coalesce(p.last_activity_at, p.status_changed_at)) / 86400)::int AS days
      FROM due d
      JOIN prospects p ON p.assigned_rep_id = d.id
                      AND p.status IN ('contacted', 'in_conversation')
     WHERE coalesce(p.last_activity_at, p.status_changed_at)
           <= :now::timestamptz - :stale::interval
), stuck AS (
    SELECT d.id AS rep_id, x.name, x.stage, x.amount, x.currency, p.id AS prospect_id,
           p.name AS prospect,
           floor(extract(epoch FROM :now::timestamptz - x.stage_changed_at) / 86400)::int AS days
      FROM due d
      JOIN deals x ON x.rep_id = d.id AND x.closed_at IS NULL
      JOIN prospects p ON p.id = x.prospect_id
     WHERE x.stage_changed_at <= :now::timestamptz - :stale::interval
), found AS (
    SELECT d.*,
           (SELECT count(*) FROM stale s WHERE s.rep_id = d.id) AS silent,
           (SELECT to_jsonb((array_agg(jsonb_build_object(
                       'prospect_id', s.id, 'name', s.name, 'status', s.status, 'days_silent', s.days)
                       ORDER BY s.days DESC))[1:10])
              FROM stale s WHERE s.rep_id = d.id) AS longest_silent,
           (SELECT to_jsonb((array_agg(jsonb_build_object(
                       'deal', x.name, 'prospect_id', x.prospect_id, 'prospect', x.prospect,
                       'stage', x.stage,
                       'amount', x.amount, 'currency', x.currency, 'days_in_stage', x.days)
                       ORDER BY x.days DESC, x.name))[1:10])
              FROM stuck x WHERE x.rep_id = d.id) AS stale_deals
      FROM due d
)
INSERT INTO inbox (chat_id, kind, dedupe_key, payload, not_before, created_at)
SELECT f.telegram_id, 'event', f.key,
       jsonb_build_object('event', 'stale_digest', 'data',
           jsonb_build_object('stale', f.silent, 'longest_silent', coalesce(f.longest_silent, '[]'))
           || CASE WHEN f.stale_deals IS NULL THEN '{}'::jsonb
                   ELSE jsonb_build_object('stale_deals', f.stale_deals) END),
       salesbot_after_quiet(greatest(:now::timestamptz, f.snoozed_until), f.timezone,
                            coalesce(f.quiet_hours_start, :quiet_start::time),
                            coalesce(f.quiet_hours_end, :quiet_end::time)),
       :now::timestamptz
  FROM found f
 WHERE f.silent > 0 OR f.stale_deals IS NOT NULL
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id;

-- name: team_digests
-- Once a day for each admin, after the digest hour in the default timezone: the team's open
-- and stale prospects per active rep, and their open deals with those stuck in one stage as
-- long (HubSpot's among them). Stale means what the reps' own digests mean: no activity (or,
-- without any, no status change) for :stale; a touched row (a HubSpot id) is not activity.
WITH due AS (
    SELECT a.admin_id,
           'team-digest:' || a.admin_id || ':' || (:now::timestamptz AT TIME ZONE :timezone::text)::date AS key
      FROM unnest(:admin_ids::bigint[]) AS a (admin_id)
     WHERE (:now::timestamptz AT TIME ZONE :timezone::text)::time
           BETWEEN :digest_at::time AND :quiet_start::time
       AND NOT EXISTS (
           SELECT 1 FROM inbox i
            WHERE i.dedupe_key = 'team-digest:' || a.admin_id || ':'
                                 || (:now::timestamptz AT TIME ZONE :timezone::text)::date)
), team AS (
    SELECT r.name,
           count(p.id) AS open,
           count(p.id) FILTER (
               WHERE p.status <> 'unreached'
                 AND coalesce(p.last_activity_at, p.status_changed_at)
                     <= :now::timestamptz - :stale::interval) AS stale,
           count(p.id) FILTER (WHERE p.status = 'unreached') AS unreached,
           (SELECT count(*) FROM deals x WHERE x.rep_id = r.id AND x.closed_at IS NULL) AS open_deals,
           (SELECT count(*) FROM deals x
             WHERE x.rep_id = r.id AND x.closed_at IS NULL
               AND x.stage_changed_at <= :now::timestamptz - :stale::interval) AS stuck_deals
      FROM reps r
      LEFT JOIN prospects p ON p.assigned_rep_id = r.id
                           AND p.status IN ('unreached', 'contacted', 'in_conversation')
     WHERE r.status = 'active' AND EXISTS (SELECT 1 FROM due)
     GROUP BY r.id, r.name
)
INSERT INTO inbox (chat_id, kind, dedupe_key, payload, not_before, created_at)
SELECT d.admin_id, 'event', d.key,
       jsonb_build_object('event', 'team_digest', 'data', jsonb_build_object(
           'reps', (SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.stale DESC, t.name), '[]')
                      FROM team t),
           'pending_applications', (SELECT count(*) FROM reps WHERE status = 'pending'))),
       salesbot_after_quiet(:now::timestamptz, coalesce(o.timezone, :timezone::text),
                            coalesce(o.quiet_hours_start, :quiet_start::time),
                            coalesce(o.quiet_hours_end, :quiet_end::time)),
       :now::timestamptz
  FROM due d LEFT JOIN reps o ON o.telegram_id = d.admin_id
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id;

-- name: owed_steps
-- A booked meeting whose HubSpot log failed is tried again once per :every since it was
-- booked, for a week, by a task the turn workers run in code (no model, no message unless it
-- works).
INSERT INTO inbox (chat_id, kind, dedupe_key, payload, not_before, created_at)
SELECT r.telegram_id, 'task',
       'owed:' || m.id || ':'
           || floor(extract(epoch FROM :now::timestamptz - m.created_at) / extract(epoch FROM :every::interval))::bigint,
       jsonb_build_object('task', 'settle_meeting', 'data', jsonb_build_object('meeting_id', m.id)),
       :now::timestamptz, :now::timestamptz
  FROM meetings m JOIN reps r ON r.id = m.rep_id AND r.status = 'active'
 WHERE m.owed <> '{}' AND 'hubspot' = ANY (m.owed) AND m.prospect_id IS NOT NULL
   AND m.created_at <= :now::timestamptz - :every::interval
   AND m.created_at > :now::timestamptz - interval '7 days'
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id;

-- name: follow_steps
-- A booked meeting moved or cancelled in the calendar itself owes its Zoom meeting and its
-- HubSpot record the change. The sync queues the first try; what fails is tried again once
-- per :every since the change, for a week, by the same task as an owed HubSpot log.
INSERT INTO inbox (chat_id, kind, dedupe_key, payload, not_before, created_at)
SELECT r.telegram_id, 'task',
       'follow:' || m.id || ':' || extract(epoch FROM m.updated_at) || ':'
           || floor(extract(epoch FROM :now::timestamptz - m.updated_at) / extract(epoch FROM :every::interval))::bigint,
       jsonb_build_object('task', 'settle_meeting', 'data', jsonb_build_object('meeting_id', m.id)),
       :now::timestamptz, :now::timestamptz
  FROM meetings m JOIN reps r ON r.id = m.rep_id AND r.status = 'active'
 WHERE 'follow' = ANY (m.owed)
   AND m.updated_at <= :now::timestamptz - :every::interval
   AND m.updated_at > :now::timestamptz - interval '7 days'
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id;

-- name: calendar_syncs
-- Each connected calendar of an active rep with a proved email is synced when its next attempt
-- is due (after a success, a failure or never), by a task the turn workers run in code. The key
-- is the attempt's time: one task per attempt, however many ticks see it.
INSERT INTO inbox (chat_id, kind, dedupe_key, payload, not_before, created_at)
SELECT r.telegram_id, 'task',
       'calendar_sync:' || r.id || ':'
           || extract(epoch FROM coalesce(s.next_attempt_at, r.calendar_connected_at))::bigint,
       jsonb_build_object('task', 'calendar_sync', 'data', jsonb_build_object('rep_id', r.id)),
       :now::timestamptz, :now::timestamptz
  FROM reps r LEFT JOIN calendar_syncs s ON s.rep_id = r.id
 WHERE r.status = 'active' AND r.calendar_connected_at IS NOT NULL
   AND r.email_verified_at IS NOT NULL
   AND coalesce(s.next_attempt_at, r.calendar_connected_at) <= :now::timestamptz
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id;

-- name: crm_syncs
-- HubSpot is synced once in every interval, by a task that the turn workers run in code, in
-- the team's background chat (:chat_id, no person's: a long sync holds up no one's messages).
-- The key is the interval's number: one task per interval, however many ticks see it; one
-- that failed is finished with why, and the next interval tries again.
INSERT INTO inbox (chat_id, kind, dedupe_key, payload, not_before, created_at)
SELECT :chat_id::bigint, 'task',
       'crm_sync:' || floor(extract(epoch FROM :now::timestamptz) / :every_seconds::float8)::bigint,
       jsonb_build_object('task', 'crm_sync', 'data', '{}'::jsonb),
       :now::timestamptz, :now::timestamptz
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id;

-- name: drop_void_events
-- Each event is checked again as it comes to be served: one that is no longer true is dropped,
-- with why, and audited, instead of reaching the agent. Its recipient must still be an active
-- rep (admins' events excepted), and what made it due must still hold: the prospect still
-- theirs, not archived, not contacted since; the meeting still theirs, at the same time, not
-- cancelled nor logged; the application still undecided; the calendar still unconnected.
-- A reminder still true whose rep snoozed reminders since it was queued waits for the snooze.
WITH due AS (
    SELECT i.id, i.payload->>'event' AS event, i.payload->'data' AS data,
           r.id AS rep_id, r.status AS rep_status, r.calendar_connected_at, r.snoozed_until
      FROM inbox i
      LEFT JOIN reps r ON r.telegram_id = i.chat_id
     WHERE i.kind = 'event' AND i.status = 'pending' AND i.not_before <= :now::timestamptz
       AND (i.locked_until IS NULL OR i.locked_until < :now::timestamptz)
), judged AS (
    SELECT d.id, d.event, d.data, d.snoozed_until, CASE
        WHEN d.event IN ('pending_application', 'team_digest') THEN (
            SELECT 'application_decided' FROM reps a
             WHERE d.event = 'pending_application' AND a.id = (d.data->>'rep_id')::uuid
               AND a.status <> 'pending')
        WHEN d.rep_status IS DISTINCT FROM 'active' THEN 'recipient_not_active'
        WHEN d.event IN ('prospect_assigned', 'unreached_reminder', 'follow_up') THEN (
            SELECT CASE
                WHEN p.assigned_rep_id IS DISTINCT FROM d.rep_id THEN 'prospect_not_theirs'
                WHEN p.status = 'archived' THEN 'prospect_archived'
                WHEN d.event <> 'follow_up' AND p.status <> 'unreached' THEN 'contact_reported'
                WHEN d.event = 'follow_up'
                     AND p.last_contact_at > (d.data->>'last_contact_at')::timestamptz
                    THEN 'contact_reported'
                WHEN d.event = 'follow_up' AND p.status <> 'contacted' THEN 'status_changed'
            END
              FROM prospects p WHERE p.id = d.data->>'prospect_id')
        WHEN d.event IN ('meeting_prep', 'meeting_debrief') THEN (
            SELECT CASE
                WHEN m.rep_id <> d.rep_id THEN 'meeting_not_theirs'
                WHEN m.status = 'cancelled' THEN 'meeting_cancelled'
                WHEN m.status <> 'scheduled' THEN 'meeting_logged'
                WHEN m.starts_at <> (d.data->>'starts_at')::timestamptz THEN 'meeting_moved'
                WHEN d.event = 'meeting_prep' AND m.starts_at <= :now::timestamptz
                    THEN 'meeting_started'
            END
              FROM meetings m WHERE m.id = (d.data->>'meeting_id')::uuid)
        WHEN d.event = 'calendar_reminder' AND d.calendar_connected_at IS NOT NULL
            THEN 'calendar_connected'
    END AS reason
      FROM due d
), dropped AS (
    UPDATE inbox i
       SET status = 'dropped', processed_at = :now::timestamptz, last_error = j.reason,
           locked_until = NULL
      FROM judged j
     WHERE i.id = j.id AND j.reason IS NOT NULL AND i.status = 'pending'
       AND (i.locked_until IS NULL OR i.locked_until < :now::timestamptz)
    RETURNING i.id, i.chat_id, j.event, j.data, j.reason
), snoozed AS (
    UPDATE inbox i SET not_before = j.snoozed_until
      FROM judged j
     WHERE i.id = j.id AND j.reason IS NULL AND j.snoozed_until > :now::timestamptz
       AND j.event IN ('unreached_reminder', 'follow_up', 'calendar_reminder', 'stale_digest')
       AND i.status = 'pending' AND (i.locked_until IS NULL OR i.locked_until < :now::timestamptz)
), audited AS (
    INSERT INTO audit_log (actor_telegram_id, actor_role, tool, args, allowed, outcome, detail,
                           created_at)
    SELECT chat_id, 'scheduler', coalesce(event, 'event'),
           coalesce(data, '{}') || jsonb_build_object('inbox_id', id), true,
           'dropped', reason, :now::timestamptz
      FROM dropped
)
SELECT id, event, reason FROM dropped ORDER BY id;

-- name: quiet_until
-- When a message to this chat may be delivered, as the events above compute it: after the
-- quiet hours of the person it is, their own if they set any as a rep (an admin too), else
-- the team's defaults, in their timezone or the default one.
SELECT salesbot_after_quiet(:now::timestamptz, coalesce(r.timezone, :timezone::text),
                            coalesce(r.quiet_hours_start, :quiet_start::time),
                            coalesce(r.quiet_hours_end, :quiet_end::time))
  FROM (VALUES (1)) AS one (x)
  LEFT JOIN reps r ON r.telegram_id = :chat_id;

-- name: owed_owners
-- A prospect of a HubSpot contact whose rep's owner HubSpot does not hold yet has it written
-- there, by a task in the team's background chat (:chat_id) that the turn workers run in code:
-- at once, then once per :every since it was assigned, for a week. A rep with no matched owner
-- owes nothing.
INSERT INTO inbox (chat_id, kind, dedupe_key, payload, not_before, created_at)
SELECT :chat_id::bigint, 'task',
       'owner:' || p.id || ':' || r.hubspot_owner_id || ':'
           || floor(extract(epoch FROM :now::timestamptz - p.assigned_at) / extract(epoch FROM :every::interval))::bigint,
       jsonb_build_object('task', 'hubspot_owner', 'data', jsonb_build_object('prospect_id', p.id)),
       :now::timestamptz, :now::timestamptz
  FROM prospects p JOIN reps r ON r.id = p.assigned_rep_id
 WHERE p.hubspot_contact_id IS NOT NULL AND r.hubspot_owner_id IS NOT NULL
   AND r.hubspot_owner_id IS DISTINCT FROM p.hubspot_owner_id
   AND p.assigned_at > :now::timestamptz - interval '7 days'
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id;
