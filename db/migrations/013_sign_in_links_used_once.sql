-- A sign-in link works once: the callback spends its state's nonce here before it trusts the
-- code that came with it.
CREATE TABLE sign_in_states_used (
    nonce   text PRIMARY KEY,
    rep_id  uuid NOT NULL REFERENCES reps (id) ON DELETE CASCADE,
    used_at timestamptz NOT NULL
);
