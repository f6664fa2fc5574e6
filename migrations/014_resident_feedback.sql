-- The resident loop: after 结案 the reporter of a case (who holds its request
-- token) says whether it is fixed and how satisfied they are. "Not fixed"
-- sends the case back to 核查 with their note (and photo); the satisfaction
-- answers feed the evaluation (满意率). One answer per closing: a case closed
-- again after a "not fixed" can be answered again.
CREATE TABLE report_feedback (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id      bigint NOT NULL REFERENCES tasks (id) ON DELETE RESTRICT,
    closed_at    timestamptz NOT NULL,
    fixed        boolean NOT NULL,
    satisfaction text CHECK (satisfaction IN ('satisfied', 'basically_satisfied', 'dissatisfied')),
    note         text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
    photo_id     bigint REFERENCES photos (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (task_id, closed_at)
);
CREATE INDEX report_feedback_created_idx ON report_feedback (created_at);

---- create above / drop below ----

DROP TABLE report_feedback;
