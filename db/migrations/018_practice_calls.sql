-- Practice calls: the model plays a client built from a prospect (or a typical client), the rep
-- practises, and the practice is scored on a short rubric with the feedback given.
CREATE TABLE practices (
    id                bigserial PRIMARY KEY,
    rep_id            uuid NOT NULL REFERENCES reps (id),
    prospect_id       text REFERENCES prospects (id),
    focus             text CHECK (length(focus) <= 200),
    persona           jsonb NOT NULL,
    status            text NOT NULL DEFAULT 'open'
                      CHECK (status IN ('open', 'finished', 'abandoned')),
    started_at        timestamptz NOT NULL,
    finished_at       timestamptz,
    score_opening     smallint CHECK (score_opening BETWEEN 1 AND 5),
    score_discovery   smallint CHECK (score_discovery BETWEEN 1 AND 5),
    score_objections  smallint CHECK (score_objections BETWEEN 1 AND 5),
    score_next_step   smallint CHECK (score_next_step BETWEEN 1 AND 5),
    feedback          text CHECK (length(feedback) <= 2000),
    CHECK ((status = 'open') = (finished_at IS NULL)),
    CHECK ((status = 'finished') = (feedback IS NOT NULL AND score_opening IS NOT NULL
                                    AND score_discovery IS NOT NULL
                                    AND score_objections IS NOT NULL
                                    AND score_next_step IS NOT NULL))
);
-- One practice open per rep at a time.
CREATE UNIQUE INDEX practices_one_open ON practices (rep_id) WHERE status = 'open';
CREATE INDEX practices_finished ON practices (rep_id, finished_at) WHERE status = 'finished';
