-- Push from Google Calendar (with a public address): each watched calendar has a channel,
-- Google's notifications name it and carry its token. Only the token's SHA-256 is kept: a
-- notification proves itself by a token whose hash matches. A rep has two channels for a
-- moment while one is renewed.
CREATE TABLE calendar_channels (
    id           text PRIMARY KEY,
    rep_id       uuid NOT NULL REFERENCES reps (id),
    resource_id  text NOT NULL,
    token_sha256 text NOT NULL,
    expires_at   timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX calendar_channels_rep ON calendar_channels (rep_id, expires_at);
