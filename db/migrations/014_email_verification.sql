-- An email is trusted only once its owner has proved it: with a one-time code mailed to it, or
-- by signing in to Google as it. The bot acts in Google as a rep's email, so an unproved one
-- must not be used there. Emails on file before this are unproved until their owners prove them.
ALTER TABLE reps
    ADD COLUMN email_verified_at timestamptz,
    ADD COLUMN email_verified_by text CHECK (email_verified_by IN ('code', 'google')),
    ADD CONSTRAINT reps_email_verified_by_when
        CHECK ((email_verified_at IS NULL) = (email_verified_by IS NULL));

-- Every code sent, for the address it was sent to: only its hash is kept. A code is spent when
-- it is used or a newer one is sent; the rows also count how many were sent in a day.
CREATE TABLE email_codes (
    id         bigserial PRIMARY KEY,
    rep_id     uuid NOT NULL REFERENCES reps (id) ON DELETE CASCADE,
    email      text NOT NULL,
    code_hash  text NOT NULL,
    attempts   integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    expires_at timestamptz NOT NULL,
    spent_at   timestamptz,
    created_at timestamptz NOT NULL
);
CREATE INDEX email_codes_by_rep ON email_codes (rep_id, created_at DESC);
