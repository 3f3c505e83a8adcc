-- The whole mission's schema: later migrations add columns, not tables to rethink.
-- Timestamps are written from the application's clock; the defaults are a fallback.

CREATE TABLE reps (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    telegram_id           bigint NOT NULL UNIQUE,
    telegram_username     text,
    name                  text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    email                 text NOT NULL CHECK (length(email) BETWEEN 3 AND 255),
    status                text NOT NULL DEFAULT 'pending'
                          CHECK (status IN ('pending', 'active', 'suspended', 'rejected', 'removed')),
    language              text NOT NULL DEFAULT 'ru' CHECK (language IN ('ru', 'en')),
    timezone              text NOT NULL DEFAULT 'Asia/Makassar',
    calendar_account_name text,
    calendar_connected_at timestamptz,
    zoom_user_id          text,
    hubspot_owner_id      text,
    is_admin              boolean NOT NULL DEFAULT false,
    quiet_hours_start     time,
    quiet_hours_end       time,
    snoozed_until         timestamptz,
    status_reason         text,
    registered_at         timestamptz NOT NULL DEFAULT now(),
    approved_at           timestamptz,
    approved_by           uuid REFERENCES reps (id),
    approved_by_telegram_id bigint,
    status_changed_at     timestamptz NOT NULL DEFAULT now(),
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reps_status ON reps (status);
CREATE INDEX reps_email ON reps (lower(email));
-- One live registration per corporate mailbox; rejected and removed rows keep their history.
CREATE UNIQUE INDEX reps_live_email ON reps (lower(email))
    WHERE status IN ('pending', 'active', 'suspended');
CREATE INDEX reps_username ON reps (lower(telegram_username));

CREATE TABLE prospects (
    id                text PRIMARY KEY
                      DEFAULT 'p_' || substr(replace(gen_random_uuid()::text, '-', ''), 1, 12),
    telegram_id       text,
    name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    context           text,
    status            text NOT NULL DEFAULT 'unreached'
                      CHECK (status IN ('unreached', 'contacted', 'in_conversation', 'converted', 'archived')),
    assigned_rep_id   uuid REFERENCES reps (id),
    email             text,
    notes             text,
    language          text CHECK (language IN ('ru', 'en')),
    hubspot_contact_id text,
    last_contact_at   timestamptz,
    assigned_at       timestamptz,
    status_changed_at timestamptz NOT NULL DEFAULT now(),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX prospects_status ON prospects (status);
CREATE INDEX prospects_assigned_rep ON prospects (assigned_rep_id, status);
CREATE INDEX prospects_unassigned_unreached ON prospects (created_at)
    WHERE status = 'unreached' AND assigned_rep_id IS NULL;
CREATE INDEX prospects_open_by_rep ON prospects (assigned_rep_id)
    WHERE status IN ('unreached', 'contacted', 'in_conversation');
CREATE INDEX prospects_last_contact ON prospects (status, last_contact_at);
CREATE INDEX prospects_email ON prospects (lower(email));
CREATE INDEX prospects_telegram ON prospects (lower(telegram_id));

-- Every touch on a prospect (contact, note, status change, meeting): deal signals come from here.
CREATE TABLE activities (
    id          bigserial PRIMARY KEY,
    prospect_id text NOT NULL REFERENCES prospects (id),
    rep_id      uuid REFERENCES reps (id),
    kind        text NOT NULL
                CHECK (kind IN ('assigned', 'contact', 'note', 'status', 'meeting', 'hubspot_note')),
    body        text,
    data        jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX activities_prospect ON activities (prospect_id, created_at);

CREATE TABLE deals (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    prospect_id        text NOT NULL REFERENCES prospects (id),
    rep_id             uuid REFERENCES reps (id),
    name               text NOT NULL,
    stage              text NOT NULL DEFAULT 'new',
    amount             numeric(14, 2),
    currency           text NOT NULL DEFAULT 'USD',
    next_step          text,
    next_step_due      timestamptz,
    hubspot_deal_id    text UNIQUE,
    stage_changed_at   timestamptz NOT NULL DEFAULT now(),
    closed_at          timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deals_prospect ON deals (prospect_id);
CREATE INDEX deals_rep_open ON deals (rep_id, stage_changed_at) WHERE closed_at IS NULL;

CREATE TABLE meetings (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    rep_id             uuid NOT NULL REFERENCES reps (id),
    prospect_id        text REFERENCES prospects (id),
    title              text NOT NULL,
    starts_at          timestamptz NOT NULL,
    ends_at            timestamptz NOT NULL CHECK (ends_at > starts_at),
    status             text NOT NULL DEFAULT 'scheduled'
                       CHECK (status IN ('scheduled', 'held', 'cancelled', 'no_show')),
    zoom_meeting_id    bigint,
    zoom_join_url      text,
    calendar_event_id  text,
    hubspot_meeting_id text,
    sandbox            boolean NOT NULL DEFAULT false,
    idempotency_key    text UNIQUE,
    outcome            text,
    debrief            text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX meetings_upcoming ON meetings (starts_at) WHERE status = 'scheduled';
CREATE INDEX meetings_ended ON meetings (ends_at) WHERE status = 'scheduled';
CREATE INDEX meetings_rep ON meetings (rep_id, starts_at);
CREATE INDEX meetings_prospect ON meetings (prospect_id, starts_at);

-- One row per Telegram chat: the agent's trimmed history and a paused confirmation, if any.
CREATE TABLE chats (
    chat_id            bigint PRIMARY KEY,
    language           text CHECK (language IN ('ru', 'en')),
    history            jsonb NOT NULL DEFAULT '[]',
    pending_approval   jsonb,
    pending_expires_at timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

-- Telegram updates and scheduler events, claimed per chat, oldest first, under a lease.
CREATE TABLE inbox (
    id           bigserial PRIMARY KEY,
    chat_id      bigint NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('message', 'callback', 'event')),
    update_id    bigint UNIQUE,
    dedupe_key   text UNIQUE,
    payload      jsonb NOT NULL,
    status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
    not_before   timestamptz NOT NULL DEFAULT now(),
    attempts     integer NOT NULL DEFAULT 0,
    locked_by    text,
    locked_until timestamptz,
    last_error   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz
);
CREATE INDEX inbox_pending ON inbox (chat_id, id) WHERE status = 'pending';
CREATE INDEX inbox_due ON inbox (not_before, id) WHERE status = 'pending';

CREATE TABLE turns (
    id                bigserial PRIMARY KEY,
    chat_id           bigint NOT NULL,
    inbox_id          bigint REFERENCES inbox (id),
    actor_telegram_id bigint,
    actor_role        text NOT NULL,
    model             text,
    requests          integer NOT NULL DEFAULT 0,
    input_tokens      integer NOT NULL DEFAULT 0,
    output_tokens     integer NOT NULL DEFAULT 0,
    outcome           text NOT NULL DEFAULT 'ok',
    started_at        timestamptz NOT NULL DEFAULT now(),
    finished_at       timestamptz
);
CREATE INDEX turns_chat ON turns (chat_id, started_at);

-- Messages to send, in order per chat; sent once, and only after the turn that made them committed.
CREATE TABLE outbox (
    id                  bigserial PRIMARY KEY,
    chat_id             bigint NOT NULL,
    kind                text NOT NULL DEFAULT 'message' CHECK (kind IN ('message', 'callback_answer')),
    text                text NOT NULL,
    buttons             jsonb,
    parse_mode          text,
    dedupe_key          text UNIQUE,
    turn_id             bigint REFERENCES turns (id),
    status              text NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'sent', 'failed', 'blocked')),
    attempts            integer NOT NULL DEFAULT 0,
    not_before          timestamptz NOT NULL DEFAULT now(),
    locked_by           text,
    locked_until        timestamptz,
    last_error          text,
    telegram_message_id bigint,
    created_at          timestamptz NOT NULL DEFAULT now(),
    sent_at             timestamptz
);
CREATE INDEX outbox_pending ON outbox (chat_id, id) WHERE status = 'pending';
CREATE INDEX outbox_due ON outbox (not_before, id) WHERE status = 'pending';

-- Work the scheduler has planned (snoozes, reminders); it becomes an inbox event when due.
CREATE TABLE scheduled_jobs (
    id          bigserial PRIMARY KEY,
    kind        text NOT NULL,
    chat_id     bigint NOT NULL,
    payload     jsonb NOT NULL DEFAULT '{}',
    due_at      timestamptz NOT NULL,
    dedupe_key  text NOT NULL UNIQUE,
    status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'enqueued', 'cancelled')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    enqueued_at timestamptz
);
CREATE INDEX scheduled_jobs_due ON scheduled_jobs (due_at) WHERE status = 'pending';

CREATE TABLE audit_log (
    id                bigserial PRIMARY KEY,
    turn_id           bigint REFERENCES turns (id),
    actor_telegram_id bigint,
    actor_rep_id      uuid REFERENCES reps (id),
    actor_role        text NOT NULL,
    tool              text NOT NULL,
    args              jsonb NOT NULL DEFAULT '{}',
    allowed           boolean NOT NULL,
    outcome           text NOT NULL,
    detail            text,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_created ON audit_log (created_at);
CREATE INDEX audit_log_tool ON audit_log (tool, created_at);

-- What each Google / Zoom / HubSpot call did, real or sandboxed.
CREATE TABLE integration_records (
    id          bigserial PRIMARY KEY,
    service     text NOT NULL CHECK (service IN ('google_calendar', 'zoom', 'hubspot')),
    operation   text NOT NULL,
    sandbox     boolean NOT NULL,
    rep_id      uuid REFERENCES reps (id),
    prospect_id text REFERENCES prospects (id),
    external_id text,
    request     jsonb NOT NULL DEFAULT '{}',
    response    jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX integration_records_service ON integration_records (service, created_at);
CREATE INDEX integration_records_rep ON integration_records (rep_id, created_at);

-- OAuth tokens, encrypted by the application; the plain token never reaches the database.
CREATE TABLE oauth_tokens (
    rep_id     uuid NOT NULL REFERENCES reps (id),
    provider   text NOT NULL CHECK (provider IN ('google')),
    ciphertext bytea NOT NULL,
    scopes     text[] NOT NULL DEFAULT '{}',
    expires_at timestamptz,
    revoked_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (rep_id, provider)
);
